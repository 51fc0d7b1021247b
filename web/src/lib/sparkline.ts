/** The SVG path of a sparkline: cheap enough to redraw 200 of them every second. */

/**
 * Path through the points `(xs[i], ys[i])`, x mapped from `[from, to]` onto `[0, width]` and y from `[0, max]`
 * onto `[height - pad, pad]`. A null y breaks the line; a point standing alone between two gaps becomes a dot.
 */
export function sparklinePath(
  xs: readonly number[],
  ys: readonly (number | null)[],
  from: number,
  to: number,
  max: number,
  width: number,
  height: number,
  pad = 1,
): string {
  const span = to - from;
  if (!(span > 0) || !(max > 0)) return '';
  const h = height - 2 * pad;
  let d = '';
  let open = false;
  let run = 0;
  for (let i = 0; i < xs.length; i++) {
    const v = ys[i];
    const t = xs[i];
    if (v === null || v === undefined || t === undefined || t < from) {
      if (open && run === 1) d += 'h0.01';
      open = false;
      continue;
    }
    const x = ((t - from) / span) * width;
    const y = pad + h - (Math.min(Math.max(v, 0), max) / max) * h;
    d += `${open ? 'L' : 'M'}${round(x)} ${round(y)}`;
    run = open ? run + 1 : 1;
    open = true;
  }
  if (open && run === 1) d += 'h0.01';
  return d;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
