// `node --import tsx --import ./src/testing/register-svelte-runes.js --test …`: lets tests import modules
// that use runes (see svelte-runes-hooks.js). Registered after tsx, so it sees the JavaScript tsx made.
import { register } from 'node:module';

register('./svelte-runes-hooks.js', import.meta.url);
