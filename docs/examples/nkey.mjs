// Makes an NKEY for one dockpulse agent or gateway: writes its seed to a file only its owner may read (give
// that file to dockpulse as DOCKPULSE_NATS_NKEY) and prints its public key (for nats-server's configuration).
// Usage, from the repository's root after `pnpm install`: node docs/examples/nkey.mjs /etc/dockpulse/nats.nk
import { writeFileSync } from 'node:fs';
import { createUser } from '@nats-io/nkeys';

const [file] = process.argv.slice(2);
if (!file) {
  console.error('usage: node docs/examples/nkey.mjs <seed file to write>');
  process.exit(2);
}
const user = createUser();
try {
  // `wx`: never overwrite a seed that some process may still use.
  writeFileSync(file, new TextDecoder().decode(user.getSeed()) + '\n', { mode: 0o600, flag: 'wx' });
} catch (e) {
  console.error(`${file}: ${e.code === 'EEXIST' ? 'already exists; remove it first if it is no longer used' : e.message}`);
  process.exit(1);
}
console.log(user.getPublicKey());
