/**
 * Which messages the reader has actually seen: a message counts once at
 * least half of it (or half the viewport, for a tall one) is inside the
 * scrolling history while the page is visible. Messages that scroll by
 * while the page is hidden count when it becomes visible again, if they are
 * still in view (docs/extension.md, "Reading and unread").
 *
 * Runs in: pages.
 */

export interface SeenTracker {
  /** Watches a message row; returns the function that stops watching it. */
  observe(el: Element, id: string): () => void;
  dispose(): void;
}

export function createSeenTracker(root: Element, onSeen: (id: string) => void): SeenTracker {
  const ids = new WeakMap<Element, string>();
  const inView = new Set<string>();
  const visible = () => document.visibilityState === 'visible';

  const observer = new IntersectionObserver(
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

  const onVisibility = () => {
    if (visible()) for (const id of inView) onSeen(id);
  };
  document.addEventListener('visibilitychange', onVisibility);

  return {
    observe(el, id) {
      ids.set(el, id);
      observer.observe(el);
      return () => {
        observer.unobserve(el);
        inView.delete(id);
      };
    },
    dispose() {
      observer.disconnect();
      document.removeEventListener('visibilitychange', onVisibility);
      inView.clear();
    },
  };
}
