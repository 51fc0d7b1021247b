'use strict';
// Native addons (better-sqlite3, the history store) are built by node-gyp against the headers of the Node.js
// that runs the install. Where that Node.js was installed with its headers (Debian's and most distributions'
// packages put them in <prefix>/include/node), they are used, instead of node-gyp's download from nodejs.org,
// which a machine without access to it cannot make. pnpm passes lifecycle scripts only the environment it is
// told to, hence extraEnv.
const { existsSync, readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

function localHeaders() {
  const prefix = dirname(dirname(process.execPath));
  const versionH = join(prefix, 'include', 'node', 'node_version.h');
  if (!existsSync(versionH)) return undefined;
  const text = readFileSync(versionH, 'utf8');
  const part = (name) => new RegExp(`#define NODE_${name}_VERSION (\\d+)`).exec(text)?.[1];
  const version = `v${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`;
  return version === process.version ? prefix : undefined;
}

module.exports = {
  hooks: {
    updateConfig(config) {
      const nodedir = process.env.npm_config_nodedir ?? localHeaders();
      if (nodedir === undefined) return config;
      return { ...config, extraEnv: { ...config.extraEnv, npm_config_nodedir: nodedir } };
    },
  },
};
