/**
 * Client-side routing on the History API. Same-origin links are intercepted at the document, so components
 * write plain `<a href>` and get working middle-click, copy-link and keyboard behaviour for free.
 */
import { isStandalonePath, parseRoute, type Route } from './route.js';

class Router {
  path = $state(typeof location === 'undefined' ? '/' : location.pathname);
  search = $state(typeof location === 'undefined' ? '' : location.search);
  route: Route = $derived(parseRoute(this.path));
  query: URLSearchParams = $derived(new URLSearchParams(this.search));

  /** Starts following the address bar and intercepting link clicks; returns the function that stops it. */
  start(): () => void {
    const onPop = () => this.#sync();
    const onClick = (e: MouseEvent) => this.#onClick(e);
    addEventListener('popstate', onPop);
    document.addEventListener('click', onClick);
    return () => {
      removeEventListener('popstate', onPop);
      document.removeEventListener('click', onClick);
    };
  }

  /** Goes to a same-origin address, adding a history entry. */
  navigate(href: string): void {
    const url = new URL(href, location.href);
    history.pushState(null, '', url.pathname + url.search + url.hash);
    this.#sync();
    scrollTo(0, 0);
  }

  /** Rewrites query parameters in place (no history entry); null or empty removes one. */
  setQuery(params: Record<string, string | null>): void {
    const url = new URL(location.href);
    for (const [k, v] of Object.entries(params)) {
      if (v === null || v === '') url.searchParams.delete(k);
      else url.searchParams.set(k, v);
    }
    if (url.search === location.search) return;
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
    this.search = url.search;
  }

  #sync(): void {
    this.path = location.pathname;
    this.search = location.search;
  }

  #onClick(e: MouseEvent): void {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = e.target instanceof Element ? e.target.closest('a') : null;
    if (!a || !a.href || a.target || a.hasAttribute('download') || a.origin !== location.origin) return;
    // Server routes (the API, health check) are real pages, not app routes; so are a share link's and an
    // embed's views, which are apps of their own with their own socket.
    if (a.pathname.startsWith('/api/') || a.pathname === '/healthz' || isStandalonePath(a.pathname)) return;
    e.preventDefault();
    if (a.pathname + a.search !== location.pathname + location.search) this.navigate(a.href);
  }
}

/** The app's one router. */
export const router = new Router();
