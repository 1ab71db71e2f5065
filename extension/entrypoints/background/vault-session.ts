/**
 * The unlocked vault key's copy in `chrome.storage.session`, so that an open
 * vault stays open when Chrome stops the idle service worker and starts it
 * again (it does so after 30 s without events, or at will).
 *
 * Why this is acceptable (docs/extension.md, "Lock policy"):
 *  - `storage.session` lives in the browser process's memory only: never
 *    written to disk, cleared when the browser exits and when the extension
 *    is reloaded, updated or disabled. Exiting the browser therefore locks.
 *  - Access level TRUSTED_CONTEXTS (Chrome's default, set explicitly here):
 *    content scripts cannot read it. Parley has none, and its pages are
 *    extension pages under a strict CSP.
 *  - The key is as exposed as it already was: someone who can read the
 *    browser's memory could read the worker's CryptoKey too. What changes is
 *    that an extension page could read the raw bytes (the worker's
 *    CryptoKey is non-extractable); a script injected into an extension page
 *    is already game over, since it could call the worker's RPC while unlocked.
 *  - Locking (by hand, auto-lock, vault reset) deletes the copy first.
 *
 * Runs in: the service worker; the Vault sees only the `VaultSessionStore`
 * interface (tests use a Map).
 */
import { type Bytes, fromBase64Url, toBase64Url } from '../../../shared/bytes.ts';

export const SESSION_VAULT_KEY = 'parley/vault-key';

/** Where the Vault keeps the unwrapped key while open. Must never reach disk. */
export interface VaultSessionStore {
  load(): Promise<Bytes | undefined>;
  save(raw: Bytes): Promise<void>;
  clear(): Promise<void>;
}

/** The slice of `chrome.storage.session` used here. */
export interface SessionArea {
  get(key: string): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
  remove(key: string): Promise<void>;
  setAccessLevel?(options: { accessLevel: 'TRUSTED_CONTEXTS' }): Promise<void>;
}

export function sessionVaultStore(area: SessionArea): VaultSessionStore {
  // Content scripts never see session storage; the default already, said out loud.
  const ready = area.setAccessLevel?.({ accessLevel: 'TRUSTED_CONTEXTS' }) ?? Promise.resolve();
  return {
    async load() {
      await ready;
      const value = (await area.get(SESSION_VAULT_KEY))[SESSION_VAULT_KEY];
      if (typeof value !== 'string') return undefined;
      try {
        const raw = fromBase64Url(value);
        return raw.length === 32 ? raw : undefined;
      } catch {
        return undefined;
      }
    },
    async save(raw) {
      await ready;
      // storage.session holds JSON values: base64url text.
      await area.set({ [SESSION_VAULT_KEY]: toBase64Url(raw) });
    },
    async clear() {
      await area.remove(SESSION_VAULT_KEY);
    },
  };
}
