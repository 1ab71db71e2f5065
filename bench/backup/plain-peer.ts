/**
 * The backup bench's reference peer: the records a Parley snapshot carries
 * (the same allowlisted kinds, read with the same paged walk over the same
 * store), written as one plain JSON document, deflated with the same
 * deflate-raw (shared/archive/compression.ts) and moved through the same
 * relay routes in the same 1 MiB chunks; restored by inflating, parsing and
 * writing every record into a fresh store in one write.
 *
 * What it leaves out is what the ratio measures: no archive header, no
 * signature by the identity, no AEAD, no framing or per-record validation on
 * import, no derived indexes or duplicate checks. The relay's backup routes
 * only take requests signed by a backup auth key, so the reference signs its
 * requests too (one Ed25519 signature per 1 MiB chunk request); that is
 * transport, not content, and costs the same on both sides.
 */

import { deflate, inflate } from '../../shared/archive/compression.ts';
import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from '../../shared/bytes.ts';
import { SNAPSHOT_KINDS } from '../../shared/client/archive/snapshot-kinds.ts';
import type { BackupRelay } from '../../shared/client/backup/backup-relay.ts';
import { encodeRecord } from '../../shared/client/store/record-codec.ts';
import type { RecordStore, StoreOperation } from '../../shared/client/store/store.ts';
import { decodeCbor } from '../../shared/wire/cbor.ts';

/** The page size of shared/client/archive/export-snapshot.ts, so both peers read the store alike. */
const PAGE = 200;

/** Every record of the allowlisted kinds, paged as the snapshot export pages them. */
export async function* walkSnapshotRecords(
  records: RecordStore,
): AsyncGenerator<readonly [string, Uint8Array]> {
  for (const kind of SNAPSHOT_KINDS) {
    if (!kind.prefix.endsWith('/')) {
      const value = await records.get(kind.prefix);
      if (value !== undefined) yield [kind.prefix, value];
      continue;
    }
    let after: string | undefined;
    for (;;) {
      const page = await records.list(kind.prefix, {
        limit: PAGE,
        ...(after === undefined ? {} : { after }),
      });
      yield* page;
      if (page.length < PAGE) break;
      after = page[page.length - 1]?.[0];
    }
  }
}

interface PlainEntry {
  readonly k: string;
  readonly r: unknown;
}

/** Byte fields as {"$b": base64url}: JSON has no bytes. */
function replacer(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? { $b: toBase64Url(value) } : value;
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && '$b' in value) {
    const b = (value as { $b: unknown }).$b;
    if (typeof b === 'string' && Object.keys(value).length === 1) return fromBase64Url(b);
  }
  return value;
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** Counts the bytes passing through. */
function counted(
  source: AsyncIterable<Uint8Array>,
  count: { bytes: number },
): AsyncGenerator<Uint8Array> {
  return (async function* () {
    for await (const chunk of source) {
      count.bytes += chunk.length;
      yield chunk;
    }
  })();
}

export interface PlainBackupResult {
  readonly seq: number;
  /** Bytes stored on the relay (the deflated JSON). */
  readonly storedBytes: number;
  /** The JSON document before compression. */
  readonly jsonBytes: number;
}

/** Reads the records, writes them as JSON, deflates and uploads as the next snapshot. */
export async function plainBackup(
  records: RecordStore,
  relay: BackupRelay,
): Promise<PlainBackupResult> {
  const listed = await relay.list();
  const seq = Math.max(0, ...listed.map((s) => s.seq)) + 1;
  const entries: PlainEntry[] = [];
  for await (const [k, value] of walkSnapshotRecords(records))
    entries.push({ k, r: decodeCbor(value) });
  const json = utf8(JSON.stringify(entries, replacer));
  const stored = { bytes: 0 };
  await relay.upload(seq, counted(deflate(once(json)), stored));
  return { seq, storedBytes: stored.bytes, jsonBytes: json.length };
}

async function gather(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const part of source) {
    parts.push(part);
    length += part.length;
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Downloads snapshot `seq`, inflates and parses it, and writes every record into `records`. */
export async function plainRestore(
  records: RecordStore,
  relay: BackupRelay,
  seq: number,
): Promise<number> {
  const info = (await relay.list()).find((s) => s.seq === seq);
  if (info === undefined) throw new Error(`plain snapshot ${seq} is not on the relay`);
  const json = await gather(inflate(relay.download(info)));
  const entries = JSON.parse(fromUtf8(json), reviver) as PlainEntry[];
  const ops: StoreOperation[] = entries.map((e) => ({
    op: 'set',
    key: e.k,
    value: encodeRecord(e.r as Record<string, unknown>),
  }));
  await records.write(ops);
  return ops.length;
}
