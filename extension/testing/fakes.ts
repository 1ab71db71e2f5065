/**
 * In-memory stand-ins for the browser-backed pieces of the worker, for Node
 * unit tests. Test-only: nothing in the extension imports this.
 */
import type { ParleyClient } from '../../shared/client/parley-client.ts';
import { Keys } from '../../shared/client/store/storage-keys.ts';
import { type ClientStorage, createMemoryStorage } from '../../shared/client/store/store.ts';
import type { AlarmsApi } from '../entrypoints/background/alarms.ts';
import type { InboxQueue, MetaStore } from '../entrypoints/background/idb-store.ts';
import { LOCKED_VALUE, lockedPolicy } from '../entrypoints/background/locked-policy.ts';
import type { SessionArea } from '../entrypoints/background/vault-session.ts';
import { ExtErrorCode, extError } from '../lib/errors.ts';

export function memoryMeta(): MetaStore & { readonly data: Map<string, unknown> } {
  const data = new Map<string, unknown>();
  return {
    data,
    get: async (key) => data.get(key),
    set: async (key, value) => {
      data.set(key, value);
    },
    delete: async (key) => {
      data.delete(key);
    },
  };
}

export function memoryQueue(): InboxQueue & { readonly data: Map<number, Uint8Array> } {
  const data = new Map<number, Uint8Array>();
  let next = 1;
  return {
    data,
    append: async (sealed) => {
      const id = next++;
      data.set(id, sealed.slice());
      return id;
    },
    peek: async (limit) => [...data.entries()].sort(([a], [b]) => a - b).slice(0, limit),
    remove: async (ids) => {
      for (const id of ids) data.delete(id);
    },
    count: async () => data.size,
    usage: async () => ({
      count: data.size,
      bytes: [...data.values()].reduce((n, v) => n + v.length, 0),
    }),
  };
}

export interface FakeAlarms extends AlarmsApi {
  readonly alarms: Map<string, { when?: number; periodInMinutes?: number }>;
  readonly creates: number;
}

export function fakeAlarms(): FakeAlarms {
  const alarms = new Map<string, { when?: number; periodInMinutes?: number }>();
  let creates = 0;
  return {
    alarms,
    get creates() {
      return creates;
    },
    create(name, info) {
      creates++;
      alarms.set(name, info);
    },
    clear(name) {
      alarms.delete(name);
    },
    async get(name) {
      const when = alarms.get(name)?.when;
      return when === undefined ? undefined : { scheduledTime: when };
    },
  };
}

/** chrome.storage.session's slice in a Map (memory only, like the real one). */
export function memorySession(): SessionArea & { readonly data: Map<string, unknown> } {
  const data = new Map<string, unknown>();
  return {
    data,
    async get(key) {
      return data.has(key) ? { [key]: data.get(key) } : {};
    },
    async set(items) {
      for (const [k, v] of Object.entries(items)) data.set(k, v);
    },
    async remove(key) {
      data.delete(key);
    },
  };
}

/** A clock tests move by hand. */
export function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

/**
 * Memory storage whose records behave like the vault's (locked-policy.ts,, with the worker's `expiry/` prefix): while `locked` is set
 * every call throws VAULT_LOCKED except listing expiry keys (values empty)
 * and writes that only delete; the key slots keep working.
 */
export function lockableStorage(): ClientStorage & { locked: boolean } {
  const inner = createMemoryStorage();
  const state = { locked: false };
  const guard = () => {
    if (state.locked) throw extError(ExtErrorCode.VAULT_LOCKED, 'Parley is locked');
  };
  return {
    get locked() {
      return state.locked;
    },
    set locked(value: boolean) {
      state.locked = value;
    },
    keys: inner.keys,
    records: {
      async get(key) {
        guard();
        return inner.records.get(key);
      },
      async write(ops) {
        if (!lockedPolicy.canWrite(ops)) guard();
        return inner.records.write(ops);
      },
      async list(prefix, options) {
        if (state.locked && lockedPolicy.canList(prefix, [Keys.expiries])) {
          const rows = await inner.records.list(prefix, options);
          return rows.map(([key]) => [key, LOCKED_VALUE] as const);
        }
        guard();
        return inner.records.list(prefix, options);
      },
    },
  };
}

/**
 * A ParleyClient with no account and no relay: empty lists, idle, nothing
 * unread; `overrides` answer what a test needs, and anything else a request
 * reaches throws, naming the method, so a test sees what it did not expect.
 */
export function fakeClient(overrides: Partial<ParleyClient> = {}): ParleyClient {
  const base: Partial<ParleyClient> = {
    on: () => () => {},
    status: () => ({ state: 'idle' }),
    account: () => undefined,
    deviceAddress: () => undefined,
    load: async () => undefined,
    start: async () => {},
    stop: async () => {},
    idle: async () => {},
    useHostSettings: () => {},
    onUnlocked: async () => {},
    onLocked: () => {},
    redeliverSkipped: () => {},
    listConversations: async () => [],
    unreadTotal: async () => 0,
    nextExpiry: async () => null,
    expireDue: async () => 0,
  };
  const methods: Partial<ParleyClient> = { ...base, ...overrides };
  return new Proxy(methods, {
    get(target, name) {
      const value = target[name as keyof ParleyClient];
      if (value !== undefined) return value;
      return () => {
        throw new Error(`fakeClient: ${String(name)} was not expected`);
      };
    },
  }) as ParleyClient;
}
