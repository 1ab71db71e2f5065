/**
 * Every bench suite, by name. To add one, write bench/<name>.ts exporting
 * `suite: Suite` and add one line here. Loaded lazily, so running one suite
 * never imports another's dependencies.
 */
import type { Suite } from './lib/suite.ts';

export const suites: Readonly<Record<string, () => Promise<{ suite: Suite }>>> = {
  crypto: () => import('./crypto.ts'),
  ui: () => import('./ui.ts'),
  relay: () => import('./relay.ts'),
  attachments: () => import('./attachments.ts'),
  backup: () => import('./backup.ts'),
};
