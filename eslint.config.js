// Lint rules for the whole workspace: typescript-eslint's recommended type-aware set for TypeScript, the Svelte
// plugin for components. Formatting is Prettier's job, so no stylistic rules here.
import js from '@eslint/js';
import globals from 'globals';
import svelte from 'eslint-plugin-svelte';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/',
      '**/node_modules/',
      'e2e/test-results/',
      'e2e/playwright-report/',
      '**/results/',
      'docs/examples/',
      '.pnpmfile.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: {
      globals: { ...globals.node, ...globals.browser },
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: ['.svelte'],
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // node:test's test() and describe() return promises that the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', name: ['test', 'describe', 'it', 'suite'], package: 'node:test' }] },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Named exports only (Svelte components and tool config files excepted).' },
      ],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    // Plain JavaScript files are outside every tsconfig.
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The view models replace their $state.raw fields wholesale; the Maps and Sets inside them are bookkeeping
    // that must not make anything re-render.
    files: ['**/*.svelte.ts'],
    rules: { 'svelte/prefer-svelte-reactivity': 'off' },
  },
  {
    // web/src/client is the framework-free core that the published dockpulse-client.js bundles and the app wraps:
    // it must not pull in the app (lib/, components, Svelte, uPlot). Its tests may use helpers from web/src/testing.
    files: ['web/src/client/**/*.ts'],
    ignores: ['web/src/client/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../*', 'svelte', 'svelte/*', 'uplot', 'uplot/*'],
              message: 'web/src/client imports only its own modules and @dockpulse/shared: the app wraps the core, never the reverse.',
            },
          ],
        },
      ],
    },
  },
  {
    // Tool configuration files export their configuration by default, as their tools expect.
    files: [
      'eslint.config.js',
      '**/vite*.config.ts',
      '**/svelte.config.js',
      '**/playwright.config.ts',
      '**/bench.config.ts',
      'e2e/screenshots.config.ts',
      'e2e/global-*.ts',
    ],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
