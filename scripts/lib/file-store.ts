/**
 * A file-backed ClientStorage for the CLI (Node only; never the extension).
 *
 * Records: an append-only log `records.log` of length-prefixed CBOR batches,
 * one per `write` (so a write is all-or-nothing: a torn last batch after a
 * crash is cut off when the log is next opened), replayed into memory on
 * open. An append-only log keeps every old version of a record (an earlier
 * session state, a message that has since disappeared) until it is rewritten,
 * so it is compacted promptly: a couple of seconds after any write that
 * replaced or deleted a record, when the store is closed (every command
 * ends that way), and on open if a crash left old versions behind. Compaction
 * writes a new file and renames it over the old one; the old file's blocks
 * are freed, not overwritten, so the disk itself may still hold them.
 *
 * Keys: the extension keeps the device key non-extractable in IndexedDB,
 * where the browser stores it without ever showing its bytes to script. A
 * file cannot hold a key that way, so the CLI registers with an EXTRACTABLE
 * device key and `keys.json` holds it (and any other key) as JWK. Like the
 * records (identity private keys, sessions, message texts), it is plaintext
 * on disk, readable only by the owner (mode 0600): a CLI profile is a bot or
 * test identity, not a person's messenger. A profile made with `register
 * --seal` passes a Sealer (scripts/lib/profile-seal.ts): record values and
 * keys.json are then sealed with a passphrase-derived key, in memory too
 * (opened on each read), so compaction copies sealed bytes as they are.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from '../../shared/bytes.ts';
import { SortedKeyIndex } from '../../shared/client/store/sorted-keys.ts';
import type {
  ClientStorage,
  KeyHandleStore,
  ListOptions,
  RecordStore,
  StoreOperation,
} from '../../shared/client/store/store.ts';
import { decodeCbor, encodeCbor } from '../../shared/wire/cbor.ts';
import type { Sealer } from './profile-seal.ts';

const FILE_MODE = 0o600;

function encodeBatch(ops: readonly StoreOperation[]): Uint8Array {
  const payload = encodeCbor({
    ops: ops.map((o) => (o.op === 'set' ? { k: o.key, v: o.value } : { k: o.key, d: true })),
  });
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length);
  out.set(payload, 4);
  return out;
}

/** Replays the log; returns the records and the length of the intact prefix. */
function replay(bytes: Uint8Array): {
  data: Map<string, Uint8Array>;
  intact: number;
  stale: boolean;
} {
  const data = new Map<string, Uint8Array>();
  let stale = false;
  let offset = 0;
  while (offset + 4 <= bytes.length) {
    const length = new DataView(bytes.buffer, bytes.byteOffset + offset, 4).getUint32(0);
    if (offset + 4 + length > bytes.length) break; // torn tail
    let batch: { ops?: unknown };
    try {
      batch = decodeCbor(bytes.subarray(offset + 4, offset + 4 + length)) as { ops?: unknown };
    } catch {
      break;
    }
    if (!Array.isArray(batch.ops)) break;
    for (const op of batch.ops as Array<{ k: string; v?: Uint8Array; d?: boolean }>) {
      // A delete is itself a record the compacted log does not need.
      if (op.d === true || data.has(op.k)) stale = true;
      if (op.d === true) data.delete(op.k);
      else if (op.v instanceof Uint8Array) data.set(op.k, op.v);
    }
    offset += 4 + length;
  }
  return { data, intact: offset, stale };
}

/** How soon after a write that left old versions in the log it is rewritten without them. */
export const COMPACT_DELAY_MS = 2_000;

class FileRecordStore implements RecordStore {
  readonly #path: string;
  readonly #data: Map<string, Uint8Array>;
  /** #data's keys kept sorted across calls, so a paged walk does not re-sort every page. */
  readonly #order = new SortedKeyIndex();
  readonly #compactDelayMs: number;
  readonly #sealer: Sealer | undefined;
  #fd: number;
  /** The log holds record versions (or deletes) that the live data no longer needs. */
  #stale: boolean;
  #compactTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(dir: string, compactDelayMs: number, sealer: Sealer | undefined) {
    this.#path = join(dir, 'records.log');
    this.#compactDelayMs = compactDelayMs;
    this.#sealer = sealer;
    const bytes = existsSync(this.#path)
      ? new Uint8Array(readFileSync(this.#path))
      : new Uint8Array();
    const { data, intact, stale } = replay(bytes);
    this.#data = data;
    for (const key of data.keys()) this.#order.add(key);
    this.#stale = stale;
    if (intact !== bytes.length)
      writeFileSync(this.#path, bytes.subarray(0, intact), { mode: FILE_MODE });
    this.#fd = openSync(this.#path, 'a', FILE_MODE);
    // A previous run that crashed before compacting left old versions behind.
    if (this.#stale) this.#compact();
  }

  #open(key: string, stored: Uint8Array): Promise<Uint8Array> {
    return this.#sealer === undefined
      ? Promise.resolve(stored.slice())
      : this.#sealer.open(`record:${key}`, stored);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const v = this.#data.get(key);
    return v === undefined ? undefined : this.#open(key, v);
  }

  async write(plainOps: readonly StoreOperation[]): Promise<void> {
    if (plainOps.length === 0) return;
    const sealer = this.#sealer;
    const ops =
      sealer === undefined
        ? plainOps
        : await Promise.all(
            plainOps.map(
              async (o): Promise<StoreOperation> =>
                o.op === 'set'
                  ? { op: 'set', key: o.key, value: await sealer.seal(`record:${o.key}`, o.value) }
                  : o,
            ),
          );
    const entry = encodeBatch(ops);
    writeSync(this.#fd, entry);
    fsyncSync(this.#fd);
    for (const o of ops) {
      if (o.op === 'delete' || this.#data.has(o.key)) this.#stale = true;
      if (o.op === 'set') {
        if (!this.#data.has(o.key)) this.#order.add(o.key);
        this.#data.set(o.key, o.value.slice());
      } else if (this.#data.delete(o.key)) this.#order.remove(o.key);
    }
    if (this.#stale && this.#compactTimer === undefined) {
      this.#compactTimer = setTimeout(() => {
        this.#compactTimer = undefined;
        this.#compact();
      }, this.#compactDelayMs);
      // A pending compaction must not keep a finished command alive; close() compacts anyway.
      this.#compactTimer.unref?.();
    }
  }

  async list(
    prefix: string,
    options: ListOptions = {},
  ): Promise<Array<readonly [string, Uint8Array]>> {
    return Promise.all(
      this.#order
        .page(prefix, options)
        .map(async (k) => [k, await this.#open(k, this.#data.get(k) as Uint8Array)] as const),
    );
  }

  /** Rewrites the log with only the live records (synchronous, so no write interleaves). */
  #compact(): void {
    if (!this.#stale) return;
    const ops: StoreOperation[] = [...this.#data].map(([key, value]) => ({
      op: 'set',
      key,
      value,
    }));
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < ops.length; i += 1000) chunks.push(encodeBatch(ops.slice(i, i + 1000)));
    const tmp = `${this.#path}.tmp`;
    const tmpFd = openSync(tmp, 'w', FILE_MODE);
    try {
      for (const chunk of chunks) writeSync(tmpFd, chunk);
      // On disk before it replaces the log, or a crash could leave an empty log.
      fsyncSync(tmpFd);
    } finally {
      closeSync(tmpFd);
    }
    closeSync(this.#fd);
    renameSync(tmp, this.#path);
    this.#fd = openSync(this.#path, 'a', FILE_MODE);
    this.#stale = false;
  }

  close(): void {
    clearTimeout(this.#compactTimer);
    this.#compactTimer = undefined;
    this.#compact();
    closeSync(this.#fd);
  }
}

interface StoredKey {
  readonly jwk: JsonWebKey;
  readonly algorithm: string;
  readonly usages: KeyUsage[];
}

class FileKeyStore implements KeyHandleStore {
  readonly #path: string;
  readonly #sealer: Sealer | undefined;

  constructor(dir: string, sealer: Sealer | undefined) {
    this.#path = join(dir, 'keys.json');
    this.#sealer = sealer;
  }

  async #read(): Promise<Record<string, StoredKey>> {
    if (!existsSync(this.#path)) return {};
    const text = readFileSync(this.#path, 'utf8');
    if (this.#sealer === undefined) return JSON.parse(text) as Record<string, StoredKey>;
    const { sealed } = JSON.parse(text) as { sealed: string };
    const plain = await this.#sealer.open('keys.json', fromBase64Url(sealed));
    return JSON.parse(fromUtf8(plain)) as Record<string, StoredKey>;
  }

  async #write(all: Record<string, StoredKey>): Promise<void> {
    const json = JSON.stringify(all);
    const text =
      this.#sealer === undefined
        ? json
        : JSON.stringify({ sealed: toBase64Url(await this.#sealer.seal('keys.json', utf8(json))) });
    const tmp = `${this.#path}.tmp`;
    writeFileSync(tmp, text, { mode: FILE_MODE });
    renameSync(tmp, this.#path);
  }

  async getKey(name: string): Promise<CryptoKey | undefined> {
    const stored = (await this.#read())[name];
    if (stored === undefined) return undefined;
    return crypto.subtle.importKey(
      'jwk',
      stored.jwk,
      { name: stored.algorithm },
      true,
      stored.usages,
    );
  }

  async setKey(name: string, key: CryptoKey): Promise<void> {
    if (!key.extractable) {
      throw new Error(
        'The CLI key store can only keep extractable keys (see scripts/lib/file-store.ts)',
      );
    }
    const jwk = await crypto.subtle.exportKey('jwk', key);
    await this.#write({
      ...(await this.#read()),
      [name]: { jwk, algorithm: key.algorithm.name, usages: key.usages },
    });
  }

  async deleteKey(name: string): Promise<void> {
    const all = await this.#read();
    delete all[name];
    await this.#write(all);
  }
}

export interface FileStorage extends ClientStorage {
  close(): void;
}

export interface FileStorageOptions {
  /** Delay before old record versions are compacted away (default COMPACT_DELAY_MS). */
  readonly compactDelayMs?: number;
  /** A sealed profile's sealer (scripts/lib/profile-seal.ts); plaintext files without one. */
  readonly sealer?: Sealer;
}

export function openFileStorage(dir: string, options: FileStorageOptions = {}): FileStorage {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const records = new FileRecordStore(
    dir,
    options.compactDelayMs ?? COMPACT_DELAY_MS,
    options.sealer,
  );
  return { records, keys: new FileKeyStore(dir, options.sealer), close: () => records.close() };
}
