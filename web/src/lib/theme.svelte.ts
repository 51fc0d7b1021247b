/** The colour scheme the page is drawn in, followed live, for canvas drawing that CSS cannot reach. */

/** `auto` follows the system; an embed may fix one. */
export type ThemeMode = 'auto' | 'light' | 'dark';

class Theme {
  mode: ThemeMode = $state('auto');
  #systemDark = $state(false);
  dark = $derived(this.mode === 'auto' ? this.#systemDark : this.mode === 'dark');

  constructor() {
    if (typeof matchMedia !== 'function') return;
    const mq = matchMedia('(prefers-color-scheme: dark)');
    this.#systemDark = mq.matches;
    mq.addEventListener('change', (e) => {
      this.#systemDark = e.matches;
    });
  }

  /** Fixes the scheme (or returns it to the system's): app.css colours follow the root's `data-theme`. */
  set(mode: ThemeMode): void {
    this.mode = mode;
    if (typeof document === 'undefined') return;
    if (mode === 'auto') delete document.documentElement.dataset['theme'];
    else document.documentElement.dataset['theme'] = mode;
  }
}

/** The page's colour scheme. uPlot paints on canvas, so its colours are chosen in script from this. */
export const theme = new Theme();
