/**
 * IndexedDB behind the client core's storage interfaces (shared/client/store.ts).
 *
 * One database, `parley`, with four object stores:
 *  - `records`: the core's records, every value sealed with the vault key
 *    (record-seal.ts; associated data = the record key). Readable only while
 *    the vault is open; every call asks the vault for its key, so a lock takes
 *    effect on the very next operation. While locked, two things still work
 *    (`lockedPolicy`): listing the keys under `keysWhileLocked` prefixes
 *    (values stay sealed) and writes that only delete: enough for the
 *    disappearing-message sweep to run from an alarm.
 *  - `keys`: non-extractable CryptoKeys stored as objects (structured clone
 *    keeps them usable but never exposes their bytes to script). Not sealed,
 *    so the device key can authenticate to the relay while the vault is
 *    locked and messages keep arriving. Anything that must stay under the
 *    vault (the identity private key) belongs in `records`, not here.
 *  - `meta`: small plain values needed while locked: the vault header,
 *    settings, the account summary shown on the lock screen.
 *  - `inbox`: frames that arrived while the vault was locked, in arrival
 *    order (auto-increment keys), each sealed to the inbox public key
 *    (locked-inbox.ts) until an unlock drains them.
 *
 * Sealing happens before a transaction opens: an IndexedDB transaction
 * commits as soon as it waits on anything that is not an IndexedDB request,
 * so crypto inside it would break `write`'s all-or-nothing promise.
 *
 * Runs in: the service worker (and pages, in E2E checks).
 */
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type {
  ClientStorage,
  KeyHandleStore,
  ListOptions,
  RecordStore,
  StoreOperation,
} from '../../../shared/client/store.ts';
import type { Random } from '../../../shared/crypto/random.ts';
import { listBounds } from './key-range.ts';
import { LOCKED_VALUE, lockedPolicy } from './locked-policy.ts';
import { openRecord, sealRecord } from './record-seal.ts';

export const DB_NAME = 'parley';
export const DB_VERSION = 1;

export interface ParleyDb extends DBSchema {
  records: { key: string; value: Uint8Array };
  keys: { key: string; value: CryptoKey };
  meta: { key: string; value: unknown };
  inbox: { key: number; value: Uint8Array };
}

export type ParleyDatabase = IDBPDatabase<ParleyDb>;

export function openParleyDb(name = DB_NAME): Promise<ParleyDatabase> {
  return openDB<ParleyDb>(name, DB_VERSION, {
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        db.createObjectStore('records');
        db.createObjectStore('keys');
        db.createObjectStore('meta');
        db.createObjectStore('inbox', { autoIncrement: true });
      }
    },
  });
}

export interface SealedRecordDeps {
  readonly db: ParleyDatabase;
  /** Throws VAULT_LOCKED while locked. */
  readonly vaultKey: () => CryptoKey;
  readonly random: Random;
  /**
   * Prefixes whose record KEYS may be listed while the vault is locked. Their
   * values come back empty (`LOCKED_VALUE`): nothing is unsealed. For indexes
   * whose keys say everything, such as the disappearing-message index
   * `expiry/<time>/<author>/<message key>`, swept from an alarm while locked.
   */
  readonly keysWhileLocked?: readonly string[];
}

export function createIdbRecordStore({
  db,
  vaultKey,
  random,
  keysWhileLocked = [],
}: SealedRecordDeps): RecordStore {
  /** The vault key, or null while locked when `allowed` says the operation needs none. */
  const keyOrNull = (allowed: boolean): CryptoKey | null => {
    try {
      return vaultKey();
    } catch (e) {
      if (allowed) return null;
      throw e;
    }
  };
  return {
    async get(key) {
      const k = vaultKey();
      const sealed = await db.get('records', key);
      return sealed === undefined ? undefined : openRecord(k, key, sealed);
    },

    async write(ops: readonly StoreOperation[]) {
      if (ops.length === 0) return;
      const k = keyOrNull(lockedPolicy.canWrite(ops));
      const prepared = await Promise.all(
        ops.map(async (o) =>
          o.op === 'set'
            ? {
                op: 'set' as const,
                key: o.key,
                // k is null only while locked, when every op is a delete.
                sealed: await sealRecord(k ?? vaultKey(), o.key, o.value, random),
              }
            : o,
        ),
      );
      const tx = db.transaction('records', 'readwrite');
      await Promise.all([
        ...prepared.map((o) =>
          o.op === 'set' ? tx.store.put(o.sealed, o.key) : tx.store.delete(o.key),
        ),
        tx.done,
      ]);
    },

    async list(prefix: string, options: ListOptions = {}) {
      const k = keyOrNull(lockedPolicy.canList(prefix, keysWhileLocked));
      const bounds = listBounds(prefix, options);
      const limit = options.limit ?? Number.POSITIVE_INFINITY;
      if (bounds === null || limit <= 0) return [];
      const range = IDBKeyRange.bound(
        bounds.lower,
        bounds.upper,
        bounds.lowerOpen,
        bounds.upperOpen,
      );
      const raw: Array<readonly [string, Uint8Array]> = [];
      let cursor = await db.transaction('records').store.openCursor(range, bounds.direction);
      while (cursor !== null && raw.length < limit) {
        if (cursor.key.startsWith(prefix)) raw.push([cursor.key, cursor.value]);
        cursor = await cursor.continue();
      }
      if (k === null) return raw.map(([key]) => [key, LOCKED_VALUE] as const);
      return Promise.all(
        raw.map(async ([key, sealed]) => [key, await openRecord(k, key, sealed)] as const),
      );
    },
  };
}

export function createIdbKeyStore(db: ParleyDatabase): KeyHandleStore {
  return {
    async getKey(name) {
      return db.get('keys', name);
    },
    async setKey(name, key) {
      await db.put('keys', key, name);
    },
    async deleteKey(name) {
      await db.delete('keys', name);
    },
  };
}

export function createIdbStorage(deps: SealedRecordDeps): ClientStorage {
  return { records: createIdbRecordStore(deps), keys: createIdbKeyStore(deps.db) };
}

/** Plain values that must be readable while locked. Never secrets. */
export interface MetaStore {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
}

export function createMetaStore(db: ParleyDatabase): MetaStore {
  return {
    get: (key) => db.get('meta', key),
    set: async (key, value) => {
      await db.put('meta', value, key);
    },
    delete: (key) => db.delete('meta', key),
  };
}

/** Ordered queue of opaque frames (sealed by the caller). */
export interface InboxQueue {
  append(sealed: Uint8Array): Promise<number>;
  /** Oldest first. */
  peek(limit: number): Promise<Array<readonly [number, Uint8Array]>>;
  remove(ids: readonly number[]): Promise<void>;
  count(): Promise<number>;
  /** Frames and their total size, by one walk over the queue. */
  usage(): Promise<{ readonly count: number; readonly bytes: number }>;
}

export function createInboxQueue(db: ParleyDatabase): InboxQueue {
  return {
    append: (sealed) => db.add('inbox', sealed),
    async peek(limit) {
      const out: Array<readonly [number, Uint8Array]> = [];
      let cursor = await db.transaction('inbox').store.openCursor();
      while (cursor !== null && out.length < limit) {
        out.push([cursor.key, cursor.value]);
        cursor = await cursor.continue();
      }
      return out;
    },
    async remove(ids) {
      const tx = db.transaction('inbox', 'readwrite');
      await Promise.all([...ids.map((id) => tx.store.delete(id)), tx.done]);
    },
    count: () => db.count('inbox'),
    async usage() {
      let count = 0;
      let bytes = 0;
      let cursor = await db.transaction('inbox').store.openCursor();
      while (cursor !== null) {
        count++;
        bytes += cursor.value.length;
        cursor = await cursor.continue();
      }
      return { count, bytes };
    },
  };
}

/** Removes everything: used when an unfinished onboarding is thrown away. */
export async function clearAll(db: ParleyDatabase): Promise<void> {
  const tx = db.transaction(['records', 'keys', 'meta', 'inbox'], 'readwrite');
  await Promise.all([
    tx.objectStore('records').clear(),
    tx.objectStore('keys').clear(),
    tx.objectStore('meta').clear(),
    tx.objectStore('inbox').clear(),
    tx.done,
  ]);
}
