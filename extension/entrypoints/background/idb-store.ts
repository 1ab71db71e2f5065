/**
 * IndexedDB behind the client core's storage interfaces (shared/client/store/store.ts).
 *
 * One database, `parley`, with four object stores:
 *  - `records`: the core's records, every value sealed with the vault key
 *    (record-seal.ts), each stored under an OPAQUE key (record-keys.ts: the
 *    record kind, then HMAC tags), so the keys on disk name no user, group,
 *    handle or time. Readable only while the vault is open; every call asks
 *    the vault for its key, so a lock takes effect on the very next
 *    operation. While locked only `sweepLocked` works: it deletes the
 *    disappearing messages whose (coarse) expiry bucket has ended, from the
 *    expiry entries' clear list of opaque keys.
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
import { pageOf } from '../../../shared/client/store/sorted-keys.ts';
import { Keys, pad16 } from '../../../shared/client/store/storage-keys.ts';
import type {
  ClientStorage,
  KeyHandleStore,
  ListOptions,
  RecordStore,
  StoreOperation,
} from '../../../shared/client/store/store.ts';
import type { Random } from '../../../shared/crypto/random.ts';
import {
  bucketEndOfStored,
  INDEX_KEY_BYTES,
  storedBaseOf,
  storedKeyOf,
  sweepTargetsOf,
  UPLOAD_TARGET,
} from './record-keys.ts';
import {
  decodeEntry,
  ENTRY_FORMAT,
  openEntryKey,
  openEntryValue,
  openRecord,
  RECORD_FORMAT,
  sealEntry,
  sealRecord,
} from './record-seal.ts';
import { type ListRow, SortedRowsCache } from './sorted-rows-cache.ts';

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

/** Per database: how many writes to `records` have finished (sorted-rows-cache.ts). */
const recordsGenerations = new WeakMap<ParleyDatabase, number>();

function recordsGeneration(db: ParleyDatabase): number {
  return recordsGenerations.get(db) ?? 0;
}

/**
 * Every path that writes the `records` object store calls this once its
 * transaction has ended (committed or not), so no kept `list` order outlives
 * a change. Called after, never before: a list that reads while the write is
 * still open would otherwise keep what it read under the new generation.
 */
function noteRecordsWritten(db: ParleyDatabase): void {
  recordsGenerations.set(db, recordsGeneration(db) + 1);
}

export interface SealedRecordDeps {
  readonly db: ParleyDatabase;
  /** Throws VAULT_LOCKED while locked. */
  readonly vaultKey: () => CryptoKey;
  readonly random: Random;
}

/** The key that makes record keys opaque (record-keys.ts): a vault record under this name. */
export const INDEX_KEY_RECORD = 'index-key';
/** Written once every record from before opaque keys has been moved (see `loadIndexKey`). */
export const INDEX_MIGRATED_RECORD = 'index-migrated';
const MIGRATE_BATCH = 200;
/** Past this many unknown keys, `list` reads the whole range at once. */
const BULK_READ_FROM = 64;

/**
 * The index key for `vaultKey`, made on first use. A profile from before
 * opaque keys (records stored under their logical keys, format 0x01) is
 * migrated here, before any other access: each old record is opened with its
 * old key and written again as an entry under its opaque key. The old keys
 * are collected first (a key-only walk) and moved in batches, each batch one
 * transaction (delete old + put new), so a crash in between resumes cleanly.
 */
async function loadIndexKey(
  db: ParleyDatabase,
  vaultKey: CryptoKey,
  random: Random,
): Promise<Uint8Array> {
  const raw = await db.get('records', INDEX_KEY_RECORD);
  let indexKey: Uint8Array;
  if (raw === undefined) {
    indexKey = random(INDEX_KEY_BYTES);
    await db.put(
      'records',
      await sealRecord(vaultKey, INDEX_KEY_RECORD, indexKey, random),
      INDEX_KEY_RECORD,
    );
  } else {
    indexKey = await openRecord(vaultKey, INDEX_KEY_RECORD, raw);
  }
  if ((await db.get('records', INDEX_MIGRATED_RECORD)) !== undefined) return indexKey;
  const legacy = (await db.getAllKeys('records')).filter(
    (k) => k !== INDEX_KEY_RECORD && k !== INDEX_MIGRATED_RECORD,
  );
  for (let i = 0; i < legacy.length; i += MIGRATE_BATCH) {
    const batch = legacy.slice(i, i + MIGRATE_BATCH);
    const read = db.transaction('records');
    const values = await Promise.all(batch.map((k) => read.store.get(k)));
    const moves: Array<{ from: string; to: string; entry: Uint8Array }> = [];
    for (const [j, from] of batch.entries()) {
      const value = values[j];
      if (value === undefined || value[0] !== RECORD_FORMAT) continue; // already an entry
      const plain = await openRecord(vaultKey, from, value);
      const to = storedKeyOf(indexKey, from);
      const targets = sweepTargetsOf(indexKey, from) ?? [];
      moves.push({ from, to, entry: await sealEntry(vaultKey, to, from, plain, targets, random) });
    }
    const tx = db.transaction('records', 'readwrite');
    try {
      await Promise.all([
        ...moves.flatMap((m) => [
          ...(m.from === m.to ? [] : [tx.store.delete(m.from)]),
          tx.store.put(m.entry, m.to),
        ]),
        tx.done,
      ]);
    } finally {
      noteRecordsWritten(db);
    }
  }
  await db.put(
    'records',
    await sealRecord(vaultKey, INDEX_MIGRATED_RECORD, new Uint8Array(0), random),
    INDEX_MIGRATED_RECORD,
  );
  noteRecordsWritten(db);
  return indexKey;
}

function isInternal(stored: string): boolean {
  return stored === INDEX_KEY_RECORD || stored === INDEX_MIGRATED_RECORD;
}

/**
 * What the locked worker can still do with records: delete the disappearing
 * messages whose expiry bucket has ended (record-keys.ts), with no key.
 */
export interface LockedSweep {
  /** End of the earliest expiry bucket on disk, or null. */
  nextLockedSweep(): Promise<number | null>;
  /**
   * Deletes every message whose expiry bucket ended at or before `now`;
   * returns how many. `uploadsGone` gets the relay ids of our own files
   * those messages carried (to delete on the relay).
   */
  sweepLocked(now: number, uploadsGone?: (ids: string[]) => void): Promise<number>;
}

/**
 * Learns the logical keys of `unknown` stored keys in `range` into `names`,
 * opening only the sealed key part of each entry (never the value).
 */
async function learnNames(
  db: ParleyDatabase,
  vault: CryptoKey,
  range: IDBKeyRange | undefined,
  unknown: readonly string[],
  names: Map<string, string>,
): Promise<void> {
  // Many unknown (the first list of a prefix after unlock): one bulk
  // read of the range beats one request per record.
  let entries: Array<Uint8Array | undefined>;
  if (unknown.length > BULK_READ_FROM) {
    const tx = db.transaction('records');
    const [keys, values] = await Promise.all([tx.store.getAllKeys(range), tx.store.getAll(range)]);
    const byKey = new Map(keys.map((k, i) => [k, values[i]] as const));
    entries = unknown.map((k) => byKey.get(k));
  } else {
    const read = db.transaction('records');
    entries = await Promise.all(unknown.map((k) => read.store.get(k)));
  }
  await Promise.all(
    unknown.map(async (stored, i) => {
      const entry = entries[i];
      if (entry === undefined || entry[0] !== ENTRY_FORMAT) return;
      names.set(stored, await openEntryKey(vault, stored, entry));
    }),
  );
}

export function createIdbRecordStore({
  db,
  vaultKey,
  random,
}: SealedRecordDeps): RecordStore & LockedSweep {
  /** The index key, per vault key (a new unlock gives a new key object). */
  let index: { readonly for: CryptoKey; readonly key: Promise<Uint8Array> } | undefined;
  /** stored key -> logical key, learned while this vault key is open (never written). */
  let names = new Map<string, string>();
  /** Sorted rows per prefix, dropped on every records write. */
  const sorted = new SortedRowsCache(() => recordsGeneration(db));

  async function open(): Promise<{ vault: CryptoKey; indexKey: Uint8Array }> {
    const vault = vaultKey();
    if (index?.for !== vault) {
      const key = loadIndexKey(db, vault, random);
      index = { for: vault, key };
      names = new Map();
      sorted.clear();
      key.catch(() => {
        if (index?.key === key) index = undefined;
      });
    }
    return { vault, indexKey: await index.key };
  }

  return {
    async get(key) {
      const { vault, indexKey } = await open();
      const stored = storedKeyOf(indexKey, key);
      const entry = await db.get('records', stored);
      return entry === undefined ? undefined : openEntryValue(vault, stored, key, entry);
    },

    async write(ops: readonly StoreOperation[]) {
      if (ops.length === 0) return;
      const { vault, indexKey } = await open();
      const prepared = await Promise.all(
        ops.map(async (o) => {
          const stored = storedKeyOf(indexKey, o.key);
          if (o.op === 'delete') return { op: 'delete' as const, key: o.key, stored };
          const targets = sweepTargetsOf(indexKey, o.key) ?? [];
          const entry = await sealEntry(vault, stored, o.key, o.value, targets, random);
          return { op: 'set' as const, key: o.key, stored, entry };
        }),
      );
      const tx = db.transaction('records', 'readwrite');
      try {
        await Promise.all([
          ...prepared.map((o) =>
            o.op === 'set' ? tx.store.put(o.entry, o.stored) : tx.store.delete(o.stored),
          ),
          tx.done,
        ]);
      } finally {
        noteRecordsWritten(db);
      }
      for (const o of prepared) {
        if (o.op === 'set') names.set(o.stored, o.key);
        else names.delete(o.stored);
      }
    },

    /**
     * Opaque keys have no order, so this walks every stored key under the
     * prefix's stored base, puts them back in logical order (names are
     * cached; unknown ones are learned by opening only the sealed key part),
     * and opens only the values it returns. The order is kept until the next
     * write (sorted-rows-cache.ts), so the pages of a walk are binary searches.
     */
    async list(prefix: string, options: ListOptions = {}) {
      const { vault, indexKey } = await open();
      const limit = options.limit ?? Number.POSITIVE_INFINITY;
      if (limit <= 0) return [];
      const all = await sorted.rows(prefix, async () => {
        const base = storedBaseOf(indexKey, prefix);
        const range = base === '' ? undefined : IDBKeyRange.bound(base, `${base}\uffff`);
        const storedKeys = (await db.getAllKeys('records', range)).filter((k) => !isInternal(k));
        const unknown = storedKeys.filter((k) => !names.has(k));
        if (unknown.length > 0) await learnNames(db, vault, range, unknown, names);
        const found: ListRow[] = [];
        for (const stored of storedKeys) {
          const logical = names.get(stored);
          if (logical?.startsWith(prefix)) found.push([logical, stored]);
        }
        return found;
      });
      const rows = pageOf(all, ([logical]) => logical, prefix, { ...options, limit });
      const read = db.transaction('records');
      const entries = await Promise.all(rows.map(([, stored]) => read.store.get(stored)));
      const out: Array<readonly [string, Uint8Array]> = [];
      for (const [i, [logical, stored]] of rows.entries()) {
        const entry = entries[i];
        if (entry === undefined) continue; // deleted meanwhile
        out.push([logical, await openEntryValue(vault, stored, logical, entry)] as const);
      }
      return out;
    },

    async nextLockedSweep() {
      const range = IDBKeyRange.bound(Keys.expiries, `${Keys.expiries}\uffff`);
      const first = await db.getKey('records', range);
      return first === undefined ? null : (bucketEndOfStored(first) ?? null);
    },

    async sweepLocked(now, uploadsGone) {
      const range = IDBKeyRange.bound(Keys.expiries, `${Keys.expiries}${pad16(now)}\uffff`);
      const tx = db.transaction('records', 'readwrite');
      const uploads: string[] = [];
      let swept = 0;
      let cursor = await tx.store.openCursor(range);
      try {
        while (cursor !== null) {
          const end = bucketEndOfStored(cursor.key);
          if (end !== undefined && end <= now) {
            let targets: readonly string[] = [];
            try {
              targets = decodeEntry(cursor.key, cursor.value).targets;
            } catch {
              // A damaged index entry: drop it, it can name nothing.
            }
            for (const t of targets) {
              if (t.startsWith(UPLOAD_TARGET)) uploads.push(t.slice(UPLOAD_TARGET.length));
              else void tx.store.delete(t);
            }
            void cursor.delete();
            swept++;
          }
          cursor = await cursor.continue();
        }
        await tx.done;
      } finally {
        noteRecordsWritten(db);
      }
      if (uploads.length > 0) uploadsGone?.(uploads);
      return swept;
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

export function createIdbStorage(
  deps: SealedRecordDeps,
): ClientStorage & { readonly records: RecordStore & LockedSweep } {
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
  ]).finally(() => noteRecordsWritten(db));
}
