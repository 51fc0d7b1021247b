/**
 * Builds the embeddable client, `src/client/dockpulse-client.ts`, as one dependency-free ES module with a
 * stable name, `dist/dockpulse-client.js` and the same as `dist/dockpulse-client.mjs` (the gateway serves both
 * at its root), and its types beside them. Runs after the app's build, whose output it must not wipe.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { defineConfig, type Plugin } from 'vite';

const ENTRY = fileURLToPath(new URL('./src/client/dockpulse-client.ts', import.meta.url));
const SRC = fileURLToPath(new URL('./src/', import.meta.url));
const CORE = fileURLToPath(new URL('./src/client/', import.meta.url));

/**
 * Fails the build when the client bundles anything but the framework-free core (`src/client/`) and
 * `@dockpulse/shared`: a module of the app or a package (Svelte, uPlot) would make it neither small nor
 * dependency-free. ESLint says the same at the import; this catches what reaches the bundle another way.
 */
function coreOnly(): Plugin {
  return {
    name: 'dockpulse-client-core-only',
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') continue;
        const foreign = chunk.moduleIds.filter((id) => (id.startsWith(SRC) && !id.startsWith(CORE)) || id.includes('/node_modules/'));
        if (foreign.length > 0) this.error(`dockpulse-client.js would bundle modules outside src/client: ${foreign.join(', ')}`);
      }
    },
  };
}

/**
 * Emits `dockpulse-client.d.ts` from the entry alone. The entry declares every public type itself, so the
 * declarations need nothing else; one that imports something would not resolve for an embedder, so that
 * fails the build.
 */
function declarations(): Plugin {
  return {
    name: 'dockpulse-client-declarations',
    async generateBundle() {
      const source = await readFile(ENTRY, 'utf8');
      const out = ts.transpileDeclaration(source, {
        fileName: ENTRY,
        reportDiagnostics: true,
        compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, strict: true },
      });
      const problems = (out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      if (problems.length > 0) this.error(`dockpulse-client.d.ts: ${problems.join('; ')}`);
      if (/^\s*(import|export\s[^;]*\sfrom)\s/m.test(out.outputText)) {
        this.error('dockpulse-client.d.ts would import other modules: declare the public types in dockpulse-client.ts');
      }
      this.emitFile({ type: 'asset', fileName: 'dockpulse-client.d.ts', source: out.outputText });
      this.emitFile({ type: 'asset', fileName: 'dockpulse-client.d.mts', source: out.outputText });
    },
  };
}

/**
 * Emits the module a second time as `dockpulse-client.mjs`. Node takes a `.js` file for CommonJS when the
 * nearest package.json says `"type": "commonjs"` (as `npm init -y` writes), and then fails on `export`; a
 * `.mjs` file is an ES module wherever it lies. Browsers take either.
 */
function mjs(): Plugin {
  return {
    name: 'dockpulse-client-mjs',
    generateBundle(_options, bundle) {
      const chunk = bundle['dockpulse-client.js'];
      if (chunk?.type !== 'chunk') return this.error('dockpulse-client.js is missing from the bundle');
      this.emitFile({ type: 'asset', fileName: 'dockpulse-client.mjs', source: chunk.code });
    },
  };
}

export default defineConfig({
  plugins: [coreOnly(), declarations(), mjs()],
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    copyPublicDir: false,
    target: 'es2022',
    // Small, and read by the people who embed it: left readable, so it needs no source map (the gateway serves none).
    sourcemap: false,
    minify: false,
    lib: {
      entry: ENTRY,
      formats: ['es'],
      fileName: () => 'dockpulse-client.js',
    },
  },
});
