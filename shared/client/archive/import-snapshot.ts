/**
 * Reads a snapshot's frames and merges them into the record store
 * (docs/protocol.md "Archive", "Import"). All or nothing: every frame is
 * checked (allowlisted kind, the kind's own schema, a key that agrees with the
 * value) and staged in memory; only after the archive's stream ended intact is
 * everything written, in ONE store write. Any failure (a damaged archive, a
 * record that is not allowed or does not decode) is ARCHIVE_DAMAGED and
 * leaves the store as it was. Staging in memory bounds an import by the
 * archive's text history (the format carries attachments as pointers only);
 * a staging prefix swapped in at the end would lift that, at the cost of a
 * non-atomic swap.
 *
 * Merging: a record already present here wins (this device's newer view:
 * contacts, groups, conversations and settings it already has); a message is
 * skipped when this device holds it already, under its key or under its
 * (author, id) index, so a message that arrives both in the archive and from
 * the queue shows once. Imported messages get their indexes (msgidx for
 * texts, expiry for running countdowns) derived here, and the stamp clock
 * moves past their stamps so later messages sort after them.
 */
import * as v from 'valibot';
import { ErrorCode, isParleyError, ParleyError } from '../../errors.ts';
import type { IdentityExport } from '../account/account.ts';
import type { MessageRecord } from '../conversations/messages.ts';
import { expiryKeyOf, stageExpiryKey } from '../disappearing/countdown.ts';
import { Batch } from '../store/batch.ts';
import { decodeRecord, encodeRecord, IntField } from '../store/record-codec.ts';
import { Keys } from '../store/storage-keys.ts';
import type { RecordStore } from '../store/store.ts';
import { decodeEscrowedIdentity, ESCROWED_IDENTITY_KEY } from './identity-escrow.ts';
import { decodeMetaFrame, decodeRecordFrame, type SnapshotMeta } from './snapshot-frames.ts';
import { checkMessage, isMessageKey, kindOfKey, type SnapshotKind } from './snapshot-kinds.ts';

export interface ImportResult {
  readonly meta: SnapshotMeta;
  /** Records written (messages and other kinds, not the derived indexes). */
  readonly written: number;
  /** Records skipped because this device already held them. */
  readonly skipped: number;
}

function damaged(what: string): ParleyError {
  return new ParleyError(ErrorCode.ARCHIVE_DAMAGED, `Archive damaged: ${what}`);
}

/**
 * What the staging needs of a checked message: its stamp and the keys of its
 * derived indexes. Kept instead of the decoded record, which would hold the
 * message's text and fields in memory a second time until the archive ends.
 */
export interface MessageIndexes {
  readonly stamp: number;
  /** Its msgidx key (texts only); the index's value is the message's key. */
  readonly index?: string;
  /** Its expiry index key, when a countdown runs. */
  readonly expiry?: string;
}

function indexesOf(message: MessageRecord): MessageIndexes {
  const index = message.kind === 'text' ? Keys.messageIndex(message.author, message.id) : undefined;
  const expiry = expiryKeyOf(message);
  return {
    stamp: message.stamp,
    ...(index === undefined ? {} : { index }),
    ...(expiry === undefined ? {} : { expiry }),
  };
}

/** A snapshot read to its end and checked, not yet written anywhere. */
export interface CheckedSnapshot {
  readonly meta: SnapshotMeta;
  readonly records: ReadonlyMap<string, Uint8Array>;
  /**
   * The message records among `records`, by key, as their check decoded
   * them: the staging takes them from here rather than decoding every
   * message a second time.
   */
  readonly messages: ReadonlyMap<string, MessageIndexes>;
  /** The escrowed identity (backups only, identity-escrow.ts). */
  readonly identity?: IdentityExport;
}

/**
 * Runs `kind`'s check on one record; any failure is ARCHIVE_DAMAGED. Returns
 * a message record's indexes (kept for the staging), otherwise undefined.
 */
function checkRecord(
  kind: SnapshotKind,
  key: string,
  value: Uint8Array,
): MessageIndexes | undefined {
  try {
    if (isMessageKey(key)) return indexesOf(checkMessage(key, value));
    kind.check(key, value);
    return undefined;
  } catch (e) {
    if (e instanceof TypeError || isParleyError(e)) throw damaged(`an invalid ${kind.name} record`);
    throw e;
  }
}

/**
 * Validates every frame; returns the meta and the records in archive order.
 * `escrow`: whether the archive may carry the escrowed identity (a backup);
 * in any other archive that frame is damage.
 */
export async function readSnapshot(
  frames: AsyncIterable<Uint8Array>,
  escrow: boolean,
): Promise<CheckedSnapshot> {
  let meta: SnapshotMeta | undefined;
  let identity: IdentityExport | undefined;
  const records = new Map<string, Uint8Array>();
  const messages = new Map<string, MessageIndexes>();
  for await (const frame of frames) {
    if (meta === undefined) {
      meta = decodeMetaFrame(frame);
      continue;
    }
    const { key, value } = decodeRecordFrame(frame);
    if (key === ESCROWED_IDENTITY_KEY) {
      if (!escrow || identity !== undefined || records.size > 0)
        throw damaged('an escrowed identity out of place');
      identity = decodeEscrowedIdentity(value);
      continue;
    }
    const kind = kindOfKey(key);
    if (kind === undefined) throw damaged('a record of a kind archives never carry');
    if (kind.history && !meta.history) throw damaged('a message in an archive without history');
    if (records.has(key)) throw damaged('a record appears twice');
    const message = checkRecord(kind, key, value);
    records.set(key, value);
    if (message !== undefined) messages.set(key, message);
  }
  if (meta === undefined) throw damaged('the snapshot header is missing');
  return identity === undefined
    ? { meta, records, messages }
    : { meta, records, messages, identity };
}

const ClockSchema = v.object({ last: IntField });

/**
 * Stages an imported message (`value`, checked, with the `indexes` its check
 * derived) with its derived indexes; its stamp, or undefined if this device
 * has it already.
 */
async function stageMessage(
  batch: Batch,
  key: string,
  value: Uint8Array,
  indexes: MessageIndexes,
): Promise<number | undefined> {
  if ((await batch.get(key)) !== undefined) return undefined;
  const { index, expiry } = indexes;
  if (index !== undefined && (await batch.get(index)) !== undefined) return undefined;
  batch.set(key, value);
  // The check verified that `key` is the message's own key (messageKeyOf).
  if (index !== undefined) batch.set(index, new TextEncoder().encode(key));
  if (expiry !== undefined) stageExpiryKey(batch, expiry);
  return indexes.stamp;
}

/** Moves the stamp clock to at least `newest` (the newest imported message's stamp). */
async function stageClock(batch: Batch, newest: number): Promise<void> {
  const raw = await batch.get(Keys.clock);
  const stored = raw === undefined ? 0 : decodeRecord(ClockSchema, raw, 'clock').last;
  if (newest > stored) batch.set(Keys.clock, encodeRecord({ last: newest }));
}

/**
 * Imports a snapshot. `run` is where the merge runs: the client passes its
 * serial queue so the merge does not interleave with incoming traffic.
 */
export async function importSnapshot(
  records: RecordStore,
  frames: AsyncIterable<Uint8Array>,
  run: <T>(job: () => Promise<T>) => Promise<T> = (job) => job(),
  escrow = false,
): Promise<ImportResult> {
  const { meta, records: incoming, messages } = await readSnapshot(frames, escrow);
  return run(async () => {
    const batch = new Batch(records);
    let written = 0;
    let skipped = 0;
    let newest = 0;
    for (const [key, value] of incoming) {
      const indexes = messages.get(key);
      if (indexes !== undefined) {
        const stamp = await stageMessage(batch, key, value, indexes);
        if (stamp === undefined) {
          skipped++;
        } else {
          newest = Math.max(newest, stamp);
          written++;
        }
      } else if ((await batch.get(key)) !== undefined) {
        skipped++;
      } else {
        batch.set(key, value);
        written++;
      }
    }
    await stageClock(batch, newest);
    await batch.commit();
    return { meta, written, skipped };
  });
}
