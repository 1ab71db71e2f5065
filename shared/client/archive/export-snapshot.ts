/**
 * Walks the record store and yields a snapshot's frames (snapshot-frames.ts)
 * for the allowlisted kinds (snapshot-kinds.ts), a page at a time, so the
 * export never holds the whole history. It reads without holding the client's
 * serial queue (an export may take minutes while incoming traffic goes on):
 * a record written meanwhile may or may not be in it. For a linked device
 * that is harmless, because it was registered before the export started and
 * receives the same traffic from its own queue (the importer skips
 * duplicates, import-snapshot.ts).
 */
import type { Bytes } from '../../bytes.ts';
import { type Conversation, decodeConversation } from '../conversations/conversations.ts';
import { decodeMessage } from '../conversations/messages.ts';
import { encodeRecord } from '../store/record-codec.ts';
import type { RecordStore } from '../store/store.ts';
import { encodeMetaFrame, encodeRecordFrame } from './snapshot-frames.ts';
import { expiresSoon, SNAPSHOT_KINDS, type SnapshotKind } from './snapshot-kinds.ts';

const PAGE = 200;

export interface ExportSnapshotOptions {
  /** Carry messages too (a history transfer or a backup with history). */
  readonly history: boolean;
  /** Now (ms): messages whose countdown ends within 24 h of it are left out. */
  readonly now: number;
  /** Backups only: the escrowed identity frame (identity-escrow.ts), right after the meta frame. */
  readonly escrow?: Bytes;
}

async function* walk(
  records: RecordStore,
  kind: SnapshotKind,
): AsyncGenerator<readonly [string, Uint8Array]> {
  if (!kind.prefix.endsWith('/')) {
    const value = await records.get(kind.prefix);
    if (value !== undefined) yield [kind.prefix, value];
    return;
  }
  let after: string | undefined;
  for (;;) {
    const page = await records.list(kind.prefix, {
      limit: PAGE,
      ...(after === undefined ? {} : { after }),
    });
    yield* page;
    if (page.length < PAGE) return;
    after = page[page.length - 1]?.[0];
  }
}

/**
 * Without history, a conversation keeps no trace of its messages: no preview,
 * no unread count, no read position.
 */
function withoutHistory(conversation: Conversation): Conversation {
  const { last: _last, readUpTo: _readUpTo, ...rest } = conversation;
  return { ...rest, unread: 0 };
}

/** The record as it goes into the snapshot, or undefined to leave it out. */
function exported(
  kind: SnapshotKind,
  value: Uint8Array,
  options: ExportSnapshotOptions,
): Uint8Array | undefined {
  if (kind.name === 'message')
    return expiresSoon(decodeMessage(value), options.now) ? undefined : value;
  if (kind.name === 'conversation' && !options.history) {
    return encodeRecord(withoutHistory(decodeConversation(value)));
  }
  return value;
}

export async function* exportSnapshot(
  records: RecordStore,
  options: ExportSnapshotOptions,
): AsyncGenerator<Bytes> {
  yield encodeMetaFrame({ history: options.history });
  if (options.escrow !== undefined) yield options.escrow;
  for (const kind of SNAPSHOT_KINDS) {
    if (kind.history && !options.history) continue;
    for await (const [key, value] of walk(records, kind)) {
      const out = exported(kind, value, options);
      if (out !== undefined) yield encodeRecordFrame(key, out);
    }
  }
}
