/**
 * User settings, kept in the plain `meta` store: the worker needs them while
 * the vault is locked (how long until auto-lock, whether a notification may
 * show text), and none of them is secret.
 *
 * Runs in: the service worker and Node (tests).
 */
import * as v from 'valibot';
import { AUTO_LOCK_CHOICES, DEFAULT_SETTINGS, type Settings } from '../../lib/protocol.ts';
import type { MetaStore } from './idb-store.ts';

export const SETTINGS_META = 'settings';

const storedSettings = v.object({
  autoLockMinutes: v.picklist(AUTO_LOCK_CHOICES),
  notifications: v.boolean(),
  notificationPreview: v.boolean(),
  readReceipts: v.boolean(),
  typingIndicators: v.boolean(),
  showPresence: v.boolean(),
});

/** Stored settings, field by field; anything missing or damaged falls back to its default. */
export function readSettings(raw: unknown): Settings {
  const parsed = v.safeParse(v.partial(storedSettings), raw);
  if (!parsed.success) return DEFAULT_SETTINGS;
  const out = parsed.output;
  return {
    autoLockMinutes: out.autoLockMinutes ?? DEFAULT_SETTINGS.autoLockMinutes,
    notifications: out.notifications ?? DEFAULT_SETTINGS.notifications,
    notificationPreview: out.notificationPreview ?? DEFAULT_SETTINGS.notificationPreview,
    readReceipts: out.readReceipts ?? DEFAULT_SETTINGS.readReceipts,
    typingIndicators: out.typingIndicators ?? DEFAULT_SETTINGS.typingIndicators,
    showPresence: out.showPresence ?? DEFAULT_SETTINGS.showPresence,
  };
}

export class SettingsStore {
  readonly #meta: MetaStore;

  constructor(meta: MetaStore) {
    this.#meta = meta;
  }

  async get(): Promise<Settings> {
    return readSettings(await this.#meta.get(SETTINGS_META));
  }

  async update(patch: Partial<Settings>): Promise<Settings> {
    const next: Settings = { ...(await this.get()), ...patch };
    await this.#meta.set(SETTINGS_META, next);
    return next;
  }
}
