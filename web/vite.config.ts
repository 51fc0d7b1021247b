import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

/** Where `vite dev` finds a running dockpulse server (`node server/dist/main.js`). */
const backend = process.env['DOCKPULSE_DEV_BACKEND'] ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [svelte()],
  server: {
    proxy: {
      '/ws': { target: backend, ws: true },
      '/api': backend,
      '/healthz': backend,
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The gateway serves no source maps; `vite dev` has its own.
    sourcemap: false,
    target: 'es2022',
  },
});
