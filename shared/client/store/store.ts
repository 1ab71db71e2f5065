/**
 * Storage seen by the client core. Records are opaque bytes under string keys,
 * so an implementation can encrypt every value at rest (the extension seals each
 * one with the vault key, binding the key name as associated data) without
 * knowing what it stores. Non-extractable CryptoKeys (the device key) cannot be
 * serialised, so they live in a separate slot that stores the key object itself
 * (IndexedDB structured-clones CryptoKeys without ever exposing their bytes).
 *
 * Keys are namespaced paths such as `session/<user>/<device>` or
 * `msg/<conversation>/<sortable time>/<id>`; `list` walks one prefix in
 * lexicographic order.
 */
import { SortedKeyIndex } from './sorted-keys.ts';

export interface ListOptions {
  /** Return keys after this one (exclusive); with `reverse`, keys before it. */
  readonly after?: string;
  readonly limit?: number;
  readonly reverse?: boolean;
}

export type StoreOperation =
  | { readonly op: 'set'; readonly key: string; readonly value: Uint8Array }
  | { readonly op: 'delete'; readonly key: string };

export interface RecordStore {
  get(key: string): Promise<Uint8Array | undefined>;
  /** Applies every operation or none (one transaction). */
  write(ops: readonly StoreOperation[]): Promise<void>;
  list(prefix: string, options?: ListOptions): Promise<Array<readonly [string, Uint8Array]>>;
}

export interface KeyHandleStore {
  getKey(name: string): Promise<CryptoKey | undefined>;
  setKey(name: string, key: CryptoKey): Promise<void>;
  deleteKey(name: string): Promise<void>;
}

export interface ClientStorage {
  readonly records: RecordStore;
  readonly keys: KeyHandleStore;
}

/** Smallest key strictly greater than every key starting with `prefix`. */
export function prefixEnd(prefix: string): string {
  return `${prefix}\uffff`;
}

/** In-memory storage for Node/Deno clients, bots and tests. */
export function createMemoryStorage(): ClientStorage {
  const data = new Map<string, Uint8Array>();
  // Kept sorted across calls, so a paged walk does not re-sort every page (sorted-keys.ts).
  const order = new SortedKeyIndex();
  const keys = new Map<string, CryptoKey>();
  return {
    records: {
      async get(key) {
        const v = data.get(key);
        return v === undefined ? undefined : v.slice();
      },
      async write(ops) {
        for (const o of ops) {
          if (o.op === 'set') {
            if (!data.has(o.key)) order.add(o.key);
            data.set(o.key, o.value.slice());
          } else if (data.delete(o.key)) order.remove(o.key);
        }
      },
      async list(prefix, options = {}) {
        return order
          .page(prefix, options)
          .map((k) => [k, (data.get(k) as Uint8Array).slice()] as const);
      },
    },
    keys: {
      async getKey(name) {
        return keys.get(name);
      },
      async setKey(name, key) {
        keys.set(name, key);
      },
      async deleteKey(name) {
        keys.delete(name);
      },
    },
  };
}
