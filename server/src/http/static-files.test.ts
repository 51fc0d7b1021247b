import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StaticFiles } from './static-files.js';

let dir: string;
let root: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dockpulse-static-'));
  root = join(dir, 'dist');
  await mkdir(join(root, 'assets'), { recursive: true });
  await writeFile(join(root, 'index.html'), '<html>app</html>');
  await writeFile(join(root, 'assets', 'app-1234.js'), 'console.log(1)');
  await writeFile(join(root, 'assets', 'app-1234.js.map'), '{"version":3,"sources":["../src/app.ts"]}');
  for (const f of ['dockpulse-client.js', 'dockpulse-client.mjs', 'dockpulse-client.d.ts', 'dockpulse-client.d.mts']) {
    await writeFile(join(root, f), 'export {};');
  }
  await writeFile(join(dir, 'secret.txt'), 'outside the root');
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('serves files with their type, and hashed assets as immutable', async () => {
  const files = new StaticFiles(root);
  const js = await files.get('/assets/app-1234.js');
  assert.equal(js?.body.toString(), 'console.log(1)');
  assert.equal(js?.type, 'text/javascript; charset=utf-8');
  assert.equal(js?.immutable, true);
  const index = await files.get('/');
  assert.equal(index?.body.toString(), '<html>app</html>');
  assert.equal(index?.immutable, false);
});

test('the JS client is served as a script whether it is named .js or .mjs, its types as text', async () => {
  const files = new StaticFiles(root);
  const types = await Promise.all(
    ['/dockpulse-client.js', '/dockpulse-client.mjs', '/dockpulse-client.d.ts', '/dockpulse-client.d.mts'].map(
      async (p) => (await files.get(p))?.type,
    ),
  );
  assert.deepEqual(types, [
    'text/javascript; charset=utf-8',
    'text/javascript; charset=utf-8',
    'text/plain; charset=utf-8',
    'text/plain; charset=utf-8',
  ]);
});

test('client-side routes get the app, dots in their last segment included', async () => {
  const files = new StaticFiles(root);
  const routes = [
    '/c/some-container',
    '/c/web.1',
    '/c/web.1/',
    '/c/edge-2/web.1',
    '/c/edge-2/web.1/',
    '/s/dps1.eyJzaWQiOiJ4In0.c2ln',
    '/embed/a.b',
    '/embed/edge-2/a.b',
  ];
  for (const p of routes) assert.equal((await files.get(p))?.body.toString(), '<html>app</html>', p);
});

test('a path with a dot beyond the routes is not the app: three segments, or a share link with two', async () => {
  const files = new StaticFiles(root);
  for (const p of ['/c/edge/web.1/x.js', '/embed/a/b/c.css', '/s/a/b.c', '/x/edge/web.1']) assert.equal(await files.get(p), undefined, p);
});

test('a missing asset is not found, rather than the app in its place', async () => {
  const files = new StaticFiles(root);
  assert.equal(await files.get('/assets/app-old.js'), undefined);
  assert.equal(await files.get('/favicon.ico'), undefined);
});

test('a rebuilt index.html is served at once', async () => {
  const files = new StaticFiles(root);
  assert.equal((await files.get('/'))?.body.toString(), '<html>app</html>');
  await writeFile(join(root, 'index.html'), '<html>rebuilt</html>');
  try {
    assert.equal((await files.get('/'))?.body.toString(), '<html>rebuilt</html>');
  } finally {
    await writeFile(join(root, 'index.html'), '<html>app</html>');
  }
});

test('no path escapes the root', async () => {
  const files = new StaticFiles(root);
  for (const p of ['/../secret.txt', '/..%2fsecret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/%00', '/%E0%A4%A']) {
    const f = await files.get(p);
    assert.ok(f === undefined || f.body.toString() === '<html>app</html>', p);
  }
});

test('a source map is never served, even where a build left one', async () => {
  const files = new StaticFiles(root);
  for (const path of ['/assets/app-1234.js.map', '/assets/APP-1234.JS.MAP', '/assets/app-1234.js.map?x', '/assets/app-1234.js%2emap']) {
    assert.equal(await files.get(path.split('?')[0]!), undefined, path);
  }
});
