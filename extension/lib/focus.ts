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

/**
 * How long a view may take to appear (lazy chunks, a worker answer on a busy
 * machine), in ms; after that focus is left alone.
 */
const SETTLE_MS = 5_000;
/** How long the control to return to may take (the list refreshing) before the landing spot is used. */
const RETURN_MS = 2_000;
/** How long the view's own landing spot may take before its back button is used. */
const FALLBACK_MS = 1_000;

const LANDING_SELECTORS = ['[data-autofocus]', '[data-view-heading]'] as const;
/** Only once the view had time to render its content: the back button stands first in every header. */
const FALLBACK_SELECTOR = '[data-view-fallback]';

function focusable(el: HTMLElement): boolean {
  return (
    el.isConnected &&
    el.getClientRects().length > 0 &&
    !el.matches(':disabled') &&
    el.getAttribute('aria-hidden') !== 'true'
  );
}

function first(root: ParentNode, selectors: readonly string[]): HTMLElement | null {
  for (const selector of selectors) {
    for (const el of root.querySelectorAll<HTMLElement>(selector)) if (focusable(el)) return el;
  }
  return null;
}

/**
 * The element a view wants focused after waiting `waited` ms for it:
 * `preferred` first (for a while), then its marked control or heading, and
 * after a while its back button.
 */
export function landingOf(
  root: ParentNode,
  preferred: string | null | undefined,
  waited: number,
): HTMLElement | null {
  if (preferred != null) {
    const back = first(root, [preferred]);
    if (back !== null || waited < RETURN_MS) return back;
  }
  return (
    first(root, LANDING_SELECTORS) ??
    (waited >= FALLBACK_MS ? first(root, [FALLBACK_SELECTOR]) : null)
  );
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
  const since = performance.now();
  const attempt = () => {
    const moved = document.activeElement !== started && !focusIsLost();
    if (moved && options.force !== true) return;
    const container = root();
    const waited = performance.now() - since;
    const target = container === undefined ? null : landingOf(container, preferred, waited);
    if (target !== null) {
      target.focus();
      return;
    }
    if (waited < SETTLE_MS) requestAnimationFrame(attempt);
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

const TABBABLE =
  'a[href], button:not(:disabled), input:not(:disabled), select:not(:disabled), textarea:not(:disabled), [tabindex]:not([tabindex="-1"])';

/**
 * Keeps Tab inside `container` (a modal dialog): from its last control Tab
 * wraps to the first, and Shift+Tab from the first to the last. A modal
 * `<dialog>` makes the page inert, but Tab would still leave for the
 * browser's own toolbar.
 */
export function trapTab(e: KeyboardEvent, container: HTMLElement): void {
  if (e.key !== 'Tab') return;
  const items = [...container.querySelectorAll<HTMLElement>(TABBABLE)].filter(focusable);
  const head = items[0];
  const tail = items[items.length - 1];
  if (head === undefined || tail === undefined) return;
  const active = container.ownerDocument.activeElement;
  if (e.shiftKey && (active === head || !container.contains(active))) {
    e.preventDefault();
    tail.focus();
  } else if (!e.shiftKey && (active === tail || !container.contains(active))) {
    e.preventDefault();
    head.focus();
  }
}
