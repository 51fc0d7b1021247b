// Module hooks that compile `.svelte.ts` and `.svelte.js` modules with Svelte's compiler, as Vite does for the
// app, so that `node --test` can run the view models that use runes. The TypeScript has been stripped by the
// hooks registered before these (tsx) by the time `nextLoad` returns.
import { compileModule } from 'svelte/compiler';

const RUNES_MODULE = /\.svelte\.(?:ts|js)$/;

/** @type {import('node:module').LoadHook} */
export async function load(url, context, nextLoad) {
  const loaded = await nextLoad(url, context);
  const path = new URL(url).pathname;
  if (!RUNES_MODULE.test(path) || loaded.source === undefined || loaded.source === null) return loaded;
  const source = typeof loaded.source === 'string' ? loaded.source : Buffer.from(loaded.source).toString('utf8');
  const { js } = compileModule(source, { filename: path, generate: 'client' });
  return { format: 'module', source: js.code, shortCircuit: true };
}
