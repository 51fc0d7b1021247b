import { mount } from 'svelte';
import 'uplot/dist/uPlot.min.css';
import './app.css';
import App from './App.svelte';
import EmbedApp from './EmbedApp.svelte';
import ShareApp from './ShareApp.svelte';
import { parseRoute } from './lib/route.js';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

// A share link's page and an embed are apps of their own: their own socket and credentials, no dashboard
// around them, and (for a share link) no call to the HTTP API.
const route = parseRoute(location.pathname);
if (route.name === 'share') mount(ShareApp, { target, props: { token: route.token } });
else if (route.name === 'embed') mount(EmbedApp, { target, props: { ref: route.ref, host: route.host } });
else mount(App, { target });
