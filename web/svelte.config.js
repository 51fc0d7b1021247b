/** @type {import('@sveltejs/vite-plugin-svelte').SvelteConfig} */
export default {
  compilerOptions: {
    // Runes everywhere, so a component written in the legacy style fails to compile instead of half-working.
    runes: true,
  },
};
