/** The colour scheme the page is drawn in, followed live, for canvas drawing that CSS cannot reach. */

class Theme {
  dark = $state(false);

  constructor() {
    if (typeof matchMedia !== 'function') return;
    const mq = matchMedia('(prefers-color-scheme: dark)');
    this.dark = mq.matches;
    mq.addEventListener('change', (e) => {
      this.dark = e.matches;
    });
  }
}

/** The page's colour scheme. uPlot paints on canvas, so its colours are chosen in script from this. */
export const theme = new Theme();
