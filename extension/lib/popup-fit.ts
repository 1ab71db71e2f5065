/**
 * Keeps the popup inside its window when zoomed in. Chrome sizes an action
 * popup to its content, up to 800×600 screen pixels; the popup asks for
 * 23.75rem × 35rem (380×560 at 100 %), so from about 108 % zoom (or with a
 * larger default font) it no longer fits, the page scrolls and the composer
 * is below the fold. Once Chrome has sized the window, the popup is limited
 * to it, and its flex column keeps the header and composer in view while
 * the history scrolls. Limits only after the first layout: a height taken
 * from the viewport before Chrome sized the window would shrink it to nothing.
 *
 * Runs in: the popup page.
 */

export interface PopupBox {
  /** The window's size in CSS px (innerWidth / innerHeight). */
  readonly windowWidth: number;
  readonly windowHeight: number;
  /** The size the content asks for in CSS px (scrollWidth / scrollHeight). */
  readonly contentWidth: number;
  readonly contentHeight: number;
}

/** The largest size the popup may take, per axis: the window's, when the content overflows it. */
export function popupLimits(box: PopupBox): { maxWidth: number | null; maxHeight: number | null } {
  return {
    maxWidth: box.contentWidth > box.windowWidth ? box.windowWidth : null,
    maxHeight: box.contentHeight > box.windowHeight ? box.windowHeight : null,
  };
}

/** Sets --popup-max-width / --popup-max-height on the root after each layout-changing resize. */
export function fitPopupToWindow(win: Window = window): void {
  const root = win.document.documentElement;
  const fit = () => {
    const limits = popupLimits({
      windowWidth: win.innerWidth,
      windowHeight: win.innerHeight,
      contentWidth: root.scrollWidth,
      contentHeight: root.scrollHeight,
    });
    if (limits.maxWidth !== null)
      root.style.setProperty('--popup-max-width', `${limits.maxWidth}px`);
    if (limits.maxHeight !== null)
      root.style.setProperty('--popup-max-height', `${limits.maxHeight}px`);
  };
  win.requestAnimationFrame(() => win.requestAnimationFrame(fit));
  win.addEventListener('resize', () => {
    // A larger window (zoomed out again): start from the size the popup asks for.
    root.style.removeProperty('--popup-max-width');
    root.style.removeProperty('--popup-max-height');
    win.requestAnimationFrame(fit);
  });
}
