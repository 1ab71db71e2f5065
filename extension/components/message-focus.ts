/**
 * Arrow keys inside the chat history move focus between messages (each
 * message row has tabindex -1, so the history stays one Tab stop). From the
 * history itself, ArrowUp starts at the newest message in view and ArrowDown
 * at the oldest; other keys keep their scrolling behaviour.
 *
 * Runs in: pages.
 */

const ITEM = '.messages__item[tabindex]';

function inView(el: HTMLElement, root: HTMLElement): boolean {
  const a = el.getBoundingClientRect();
  const b = root.getBoundingClientRect();
  return a.bottom > b.top && a.top < b.bottom;
}

export function moveMessageFocus(event: KeyboardEvent, root: HTMLElement): void {
  if (event.key !== 'ArrowUp' && event.key !== 'ArrowDown') return;
  if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
  const items = [...root.querySelectorAll<HTMLElement>(ITEM)];
  if (items.length === 0) return;
  const up = event.key === 'ArrowUp';
  let next: HTMLElement | undefined;
  const current = (event.target as HTMLElement).closest<HTMLElement>(ITEM);
  if (current !== null && root.contains(current)) {
    next = items[items.indexOf(current) + (up ? -1 : 1)];
    // At the first or last rendered message: let the history scroll instead.
    if (next === undefined) return;
  } else if (event.target === root) {
    const shown = items.filter((el) => inView(el, root));
    next = up ? shown[shown.length - 1] : shown[0];
  }
  if (next === undefined) return;
  event.preventDefault();
  next.focus({ preventScroll: true });
  next.scrollIntoView({ block: 'nearest' });
}
