// The import decodes each record once (docs/client.md "Backups", "Restore"):
// a spy on the CBOR decoder counts the decodes of an import of N messages.
// Each message costs two: its frame ({k, r}) and the record inside it, which
// the kind check decodes and hands to the staging (derived indexes, the stamp
// clock). Before, the staging decoded every message a second time.
import { describe, expect, it, vi } from 'vitest';
import { decodeCbor } from '../../wire/cbor.ts';
import {
  arrivedTextRecord,
  type MessageRecord,
  messageKeyOf,
  SystemEvent,
  systemMessageRecord,
} from '../conversations/messages.ts';
import { expiryKeyOf } from '../disappearing/countdown.ts';
import { encodeRecord } from '../store/record-codec.ts';
import { Keys } from '../store/storage-keys.ts';
import { createMemoryStorage } from '../store/store.ts';
import { importSnapshot } from './import-snapshot.ts';
import { encodeMetaFrame, encodeRecordFrame } from './snapshot-frames.ts';

vi.mock('../../wire/cbor.ts', async (actual) => {
  const cbor = await actual<typeof import('../../wire/cbor.ts')>();
  return { ...cbor, decodeCbor: vi.fn(cbor.decodeCbor) };
});

const NOW = 1_800_000_000_000;
const PEER = '11111111-2222-4333-8444-555555555555';
const N = 25;

function text(n: number): MessageRecord {
  return arrivedTextRecord({
    content: { id: new Uint8Array(16).fill(n), text: `message ${n}`, sentAt: NOW + n },
    conversation: `u:${PEER}`,
    stamp: NOW + n,
    author: PEER,
    authorDevice: 1,
    fromSelf: false,
    now: NOW + n,
  });
}

async function* listOf(items: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* items;
}

describe('importSnapshot decodes', () => {
  it('each message record once: N messages cost 2N + 1 CBOR decodes (frames, records, the header)', async () => {
    const messages = Array.from({ length: N }, (_, i) => text(i + 1));
    const frames = [
      encodeMetaFrame({ history: true }),
      ...messages.map((m) => encodeRecordFrame(messageKeyOf(m), encodeRecord(m))),
    ];
    const target = createMemoryStorage().records;
    vi.mocked(decodeCbor).mockClear();
    const result = await importSnapshot(target, listOf(frames));
    expect(result).toMatchObject({ written: N, skipped: 0 });
    expect(vi.mocked(decodeCbor)).toHaveBeenCalledTimes(2 * N + 1);
    // Still the same records and derived indexes.
    for (const m of messages) {
      expect(await target.get(messageKeyOf(m))).toEqual(encodeRecord(m));
      expect(await target.get(Keys.messageIndex(PEER, m.id))).toEqual(
        new TextEncoder().encode(messageKeyOf(m)),
      );
    }
    expect(await target.get(Keys.clock)).toEqual(encodeRecord({ last: NOW + N }));
  });

  it('derives the same indexes from the checked message: msgidx for texts only, expiry for a running countdown', async () => {
    const ticking = { ...text(1), expiresIn: 60_000, expiresAt: NOW + 60_000 };
    const notice = systemMessageRecord({
      id: new Uint8Array(16).fill(9),
      conversation: `u:${PEER}`,
      stamp: NOW + 9,
      about: PEER,
      aboutDevice: 1,
      event: SystemEvent.IDENTITY_CHANGED,
      now: NOW + 9,
    });
    const frames = [
      encodeMetaFrame({ history: true }),
      ...[ticking, notice].map((m) => encodeRecordFrame(messageKeyOf(m), encodeRecord(m))),
    ];
    const target = createMemoryStorage().records;
    expect(await importSnapshot(target, listOf(frames))).toMatchObject({ written: 2 });
    expect(await target.get(expiryKeyOf(ticking) as string)).toEqual(new Uint8Array([1]));
    expect(await target.get(Keys.messageIndex(PEER, notice.id))).toBeUndefined();
    expect((await target.list('')).map(([k]) => k).sort()).toEqual(
      [
        messageKeyOf(ticking),
        messageKeyOf(notice),
        Keys.messageIndex(PEER, ticking.id),
        expiryKeyOf(ticking) as string,
        Keys.clock,
      ].sort(),
    );
  });
});
