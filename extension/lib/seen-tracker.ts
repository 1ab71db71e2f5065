/**
 * Which messages the reader has actually seen: a message counts once at
 * least half of it (or half the viewport, for a tall one) is inside the
 * scrolling history while the page is visible. Messages that scroll by
 * while the page is hidden count when it becomes visible again, if they are
 * still in view (docs/extension.md, "Reading and unread").
 *
 * Rows can be watched before the history's element exists (they render
 * first); they are observed once `attach` gives the element.
 *
 * Runs in: pages.
 */

export interface SeenTracker {
  /** Starts observing inside `root` (the scrolling history). */
  attach(root: Element): void;
  /** Watches a message row; returns the function that stops watching it. */
  observe(el: Element, id: string): () => void;
  dispose(): void;
}

export function createSeenTracker(onSeen: (id: string) => void): SeenTracker {
  const ids = new Map<Element, string>();
  const inView = new Set<string>();
  const visible = () => document.visibilityState === 'visible';
  let observer: IntersectionObserver | undefined;

  const onVisibility = () => {
    if (visible()) for (const id of inView) onSeen(id);
  };

  return {
    attach(root) {
      observer = new IntersectionObserver(
        (entries) => {
          const rootHeight = root.clientHeight;
          for (const entry of entries) {
            const id = ids.get(entry.target);
            if (id === undefined) continue;
            const enough =
              entry.isIntersecting &&
              (entry.intersectionRatio >= 0.5 || entry.intersectionRect.height >= rootHeight / 2);
            if (enough) inView.add(id);
            else inView.delete(id);
            if (enough && visible()) onSeen(id);
          }
        },
        { root, threshold: [0, 0.25, 0.5, 0.75, 1] },
      );
      for (const el of ids.keys()) observer.observe(el);
      document.addEventListener('visibilitychange', onVisibility);
    },
    observe(el, id) {
      ids.set(el, id);
      observer?.observe(el);
      return () => {
        observer?.unobserve(el);
        ids.delete(el);
        inView.delete(id);
      };
    },
    dispose() {
      observer?.disconnect();
      document.removeEventListener('visibilitychange', onVisibility);
      ids.clear();
      inView.clear();
    },
  };
}
