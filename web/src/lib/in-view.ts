/**
 * Whether an element is on (or near) the screen, from one IntersectionObserver shared by every caller: work
 * that only feeds pixels, such as a sparkline's path, can then be skipped for the rows scrolled out of view.
 */

type Listener = (visible: boolean) => void;

const listeners = new Map<Element, Listener>();
let observer: IntersectionObserver | undefined;

/** Calls `onChange` with the element's visibility now and on every change; returns the function that stops. */
export function observeInView(el: Element, onChange: Listener): () => void {
  if (typeof IntersectionObserver === 'undefined') {
    onChange(true);
    return () => {};
  }
  observer ??= new IntersectionObserver(
    (entries) => {
      for (const e of entries) listeners.get(e.target)?.(e.isIntersecting);
    },
    // A screen's worth of margin, so a path is ready before its row scrolls in.
    { rootMargin: '100% 0px' },
  );
  listeners.set(el, onChange);
  observer.observe(el);
  return () => {
    observer?.unobserve(el);
    listeners.delete(el);
  };
}
