/**
 * Where focus lands when a view appears. Chromium ignores `autofocus` on
 * elements inserted after the document loaded, and a view that replaces the
 * one holding focus leaves it on `<body>`; so each view marks its landing
 * spot and the page moves focus there once the view is in the document
 * (docs/extension.md, "Focus and keyboard").
 *
 * A view marks its first control with `data-autofocus`, or its heading with
 * `data-view-heading` (and tabindex="-1", so it can hold focus without
 * becoming a Tab stop); its back button is the last resort
 * (`data-view-fallback`).
 *
 * Runs in: pages.
 */

/** How long a view may take to appear (lazy chunks, a first worker answer). */
const SETTLE_FRAMES = 60;

const LANDING_SELECTORS = [
  '[data-autofocus]',
  '[data-view-heading]',
  '[data-view-fallback]',
] as const;

function visible(el: HTMLElement): boolean {
  return el.isConnected && el.getClientRects().length > 0 && !el.matches(':disabled');
}

/** The element a view wants focused: `preferred` if present, else its marked control or heading. */
export function landingOf(root: ParentNode, preferred?: string | null): HTMLElement | null {
  const selectors = preferred == null ? LANDING_SELECTORS : [preferred, ...LANDING_SELECTORS];
  for (const selector of selectors) {
    for (const el of root.querySelectorAll<HTMLElement>(selector)) {
      if (visible(el) && el.getAttribute('aria-hidden') !== 'true') return el;
    }
  }
  return null;
}

/** True when nobody holds focus: it fell to `<body>` or left the document with its element. */
export function focusIsLost(doc: Document = document): boolean {
  const active = doc.activeElement;
  return active === null || active === doc.body || !active.isConnected;
}

/**
 * Moves focus into the view under `root` once it is rendered: to `preferred`
 * (a selector, e.g. the list item the reader came back from), else the view's
 * landing spot. Tries for a few frames while the view is still appearing and
 * gives up if the reader moved focus themselves meanwhile.
 */
export function focusView(
  root: () => ParentNode | undefined,
  preferred?: string | null,
  options: { force?: boolean } = {},
): void {
  const started = document.activeElement;
  let frames = 0;
  const attempt = () => {
    const moved = document.activeElement !== started && !focusIsLost();
    if (moved && options.force !== true) return;
    const container = root();
    const target = container === undefined ? null : landingOf(container, preferred);
    if (target !== null) {
      target.focus({ preventScroll: false });
      return;
    }
    if (++frames < SETTLE_FRAMES) requestAnimationFrame(attempt);
  };
  queueMicrotask(() => requestAnimationFrame(attempt));
}

/** Focuses one element after the current render (for elements that appear on a click). */
export function focusSoon(target: () => HTMLElement | null | undefined): void {
  requestAnimationFrame(() => {
    const el = target();
    if (el?.isConnected === true) el.focus();
  });
}
