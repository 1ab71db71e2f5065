/** Stands in for `wxt/browser` in the UI preview. */
export const browser = {
  runtime: { id: 'preview', getURL: (path: string) => path },
  windows: { getCurrent: async () => ({ id: 1 }) },
  tabs: { create: async () => ({}) },
  sidePanel: { open: async () => undefined },
};
