// Snapshots over an in-memory store (docs/protocol.md "Archive"): the
// allowlist, derived indexes, the 24 h rule, merging without duplicates, and
// an import that fails changing nothing.
import { describe, expect, it } from 'vitest';
import { toHex } from '../../bytes.ts';
import { ErrorCode, ParleyError } from '../../errors.ts';
import { errorOf } from '../../testing/errors.ts';
import { encodeCbor } from '../../wire/cbor.ts';
import type { IdentityExport } from '../account/account.ts';
import { newContact } from '../contacts/contacts.ts';
import type { Conversation } from '../conversations/conversations.ts';
import { arrivedTextRecord, type MessageRecord, messageKeyOf } from '../conversations/messages.ts';
import { encodeRecord } from '../store/record-codec.ts';
import { Keys } from '../store/storage-keys.ts';
import { createMemoryStorage, type RecordStore } from '../store/store.ts';
import { exportSnapshot } from './export-snapshot.ts';
import { ESCROWED_IDENTITY_KEY, encodeEscrowFrame } from './identity-escrow.ts';
import { importSnapshot, readSnapshot } from './import-snapshot.ts';
import { decodeRecordFrame, encodeMetaFrame, encodeRecordFrame } from './snapshot-frames.ts';

const NOW = 1_800_000_000_000;
const HOUR = 3_600_000;
const PEER = '11111111-2222-4333-8444-555555555555';
const CONV = `u:${PEER}`;

function text(n: number, extra: Partial<MessageRecord> = {}): MessageRecord {
  const id = new Uint8Array(16).fill(n);
  return {
    ...arrivedTextRecord({
      content: { id, text: `message ${n}`, sentAt: NOW - 1000 + n },
      conversation: CONV,
      stamp: NOW - 1000 + n,
      author: PEER,
      authorDevice: 1,
      fromSelf: false,
      now: NOW - 1000 + n,
    }),
    ...extra,
  };
}

const conversation: Conversation = {
  v: 1,
  id: CONV,
  kind: 'direct',
  peer: PEER,
  unread: 2,
  createdAt: NOW - 5000,
  updatedAt: NOW,
  readUpTo: 'msg/x',
};

/** A store with records of allowed and forbidden kinds. */
async function profile(): Promise<{ records: RecordStore; messages: MessageRecord[] }> {
  const { records } = createMemoryStorage();
  const messages = [
    text(1),
    text(2, { expiresIn: 7 * 24 * HOUR, expiresAt: NOW + 3 * 24 * HOUR }),
    text(3, { expiresIn: 2 * HOUR, expiresAt: NOW + HOUR }), // ends within 24 h: left out
    text(4, { expiresIn: HOUR }), // unread, countdown not started: kept
  ];
  const forbidden = new Uint8Array(32).fill(0xee);
  await records.write([
    {
      op: 'set',
      key: Keys.settings,
      value: encodeRecord({
        v: 1,
        readReceipts: false,
        typingIndicators: true,
        showPresence: true,
      }),
    },
    {
      op: 'set',
      key: Keys.contact(PEER),
      value: encodeRecord({ ...newContact(PEER, 'accepted', NOW), verified: true }),
    },
    { op: 'set', key: Keys.conversation(CONV), value: encodeRecord(conversation) },
    { op: 'set', key: Keys.draft(CONV), value: encodeRecord({ v: 1, text: 'unsent', at: NOW }) },
    ...messages.map((m) => ({ op: 'set' as const, key: messageKeyOf(m), value: encodeRecord(m) })),
    { op: 'set', key: Keys.account, value: forbidden },
    { op: 'set', key: Keys.session(PEER, 1), value: forbidden },
    { op: 'set', key: Keys.signedPreKey(1), value: forbidden },
    { op: 'set', key: Keys.groupSender('ab'.repeat(16)), value: forbidden },
    { op: 'set', key: Keys.groupKey('ab'.repeat(16), PEER, 1), value: forbidden },
    { op: 'set', key: Keys.devices(PEER), value: forbidden },
    { op: 'set', key: Keys.seen(PEER, 1, new Uint8Array(16)), value: forbidden },
    { op: 'set', key: Keys.outboxEntry(NOW, new Uint8Array(16)), value: forbidden },
    { op: 'set', key: Keys.sent(new Uint8Array(16)), value: forbidden },
    { op: 'set', key: 'devlist-announced', value: forbidden },
  ]);
  return { records, messages };
}

async function framesOf(records: RecordStore, history = true): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const frame of exportSnapshot(records, { history, now: NOW })) out.push(frame);
  return out;
}

async function* listOf(items: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* items;
}

async function dump(records: RecordStore): Promise<Record<string, string>> {
  return Object.fromEntries((await records.list('')).map(([k, v]) => [k, toHex(v)]));
}

describe('exportSnapshot', () => {
  it('carries only allowlisted kinds, and leaves out messages ending within 24 h', async () => {
    const { records, messages } = await profile();
    const keys = (await framesOf(records)).slice(1).map((f) => decodeRecordFrame(f).key);
    expect(keys).toEqual([
      Keys.settings,
      Keys.contact(PEER),
      Keys.conversation(CONV),
      Keys.draft(CONV),
      ...[messages[0], messages[1], messages[3]].map((m) => messageKeyOf(m as MessageRecord)),
    ]);
  });

  it('without history: no messages, and conversations keep no preview, unread count or read position', async () => {
    const { records } = await profile();
    const frames = (await framesOf(records, false)).slice(1).map(decodeRecordFrame);
    expect(frames.some((f) => f.key.startsWith('msg/'))).toBe(false);
    const target = createMemoryStorage().records;
    await importSnapshot(target, listOf(await framesOf(records, false)));
    const conv = await target.get(Keys.conversation(CONV));
    expect(conv).toBeDefined();
    expect(toHex(conv as Uint8Array)).toBe(
      toHex(
        encodeRecord({
          v: 1,
          id: CONV,
          kind: 'direct',
          peer: PEER,
          unread: 0,
          createdAt: NOW - 5000,
          updatedAt: NOW,
        }),
      ),
    );
  });
});

describe('importSnapshot', () => {
  it('round trip: the same records, with the indexes derived, and a second export is identical', async () => {
    const { records, messages } = await profile();
    const frames = await framesOf(records);
    const target = createMemoryStorage().records;
    const result = await importSnapshot(target, listOf(frames));
    expect(result).toMatchObject({ written: 7, skipped: 0, meta: { history: true } });
    const m2 = messages[1] as MessageRecord;
    expect(await target.get(Keys.messageIndex(PEER, m2.id))).toEqual(
      new TextEncoder().encode(messageKeyOf(m2)),
    );
    expect(
      await target.get(Keys.expiry(m2.expiresAt as number, PEER, messageKeyOf(m2))),
    ).toBeDefined();
    expect((await framesOf(target)).map(toHex)).toEqual(frames.map(toHex));
    // The stamp clock moved past the imported messages.
    expect(await target.get(Keys.clock)).toEqual(encodeRecord({ last: NOW - 1000 + 4 }));
  });

  it('merges: what this device holds wins, and a message already here (by author and id) is not added twice', async () => {
    const { records, messages } = await profile();
    const frames = await framesOf(records);
    const target = createMemoryStorage().records;
    // The same message arrived from the queue first, under this device's own stamp.
    const arrived = { ...(messages[0] as MessageRecord), stamp: NOW + 5 };
    await target.write([
      { op: 'set', key: messageKeyOf(arrived), value: encodeRecord(arrived) },
      {
        op: 'set',
        key: Keys.messageIndex(PEER, arrived.id),
        value: new TextEncoder().encode(messageKeyOf(arrived)),
      },
      {
        op: 'set',
        key: Keys.settings,
        value: encodeRecord({
          v: 1,
          readReceipts: true,
          typingIndicators: true,
          showPresence: true,
        }),
      },
    ]);
    const result = await importSnapshot(target, listOf(frames));
    expect(result).toMatchObject({ written: 5, skipped: 2 });
    const stored = (await target.list(Keys.messagesOf(CONV))).length;
    expect(stored).toBe(3);
    // A second import of the same archive changes nothing.
    const before = await dump(target);
    expect(await importSnapshot(target, listOf(frames))).toMatchObject({ written: 0, skipped: 7 });
    expect(await dump(target)).toEqual(before);
  });

  it('refuses a record of a kind archives never carry, or one that does not decode, writing nothing', async () => {
    const { records } = await profile();
    const good = await framesOf(records);
    const bad = [
      encodeRecordFrame(Keys.session(PEER, 1), new Uint8Array([1])),
      encodeRecordFrame(Keys.account, encodeRecord({ v: 1 })),
      encodeRecordFrame(Keys.messageIndex(PEER, new Uint8Array(16)), new Uint8Array([1])),
      encodeRecordFrame(Keys.contact(PEER), encodeRecord({ v: 1, user: PEER })),
      encodeRecordFrame(
        Keys.contact('someone-else'),
        good[2] ? decodeRecordFrame(good[2]).value : new Uint8Array(),
      ),
      encodeCbor({ k: Keys.settings }),
      new Uint8Array([1, 2, 3]),
    ];
    for (const frame of bad) {
      const target = createMemoryStorage().records;
      const frames = [...good.slice(0, 3), frame, ...good.slice(3)];
      expect((await errorOf(() => importSnapshot(target, listOf(frames)))).code).toBe(
        ErrorCode.ARCHIVE_DAMAGED,
      );
      expect(await dump(target)).toEqual({});
    }
  });

  it('an archive that fails after some records verified writes nothing', async () => {
    const { records } = await profile();
    const good = await framesOf(records);
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield* good;
      throw new ParleyError(ErrorCode.ARCHIVE_DAMAGED, 'cut');
    }
    const target = createMemoryStorage().records;
    expect((await errorOf(() => importSnapshot(target, failing()))).code).toBe(
      ErrorCode.ARCHIVE_DAMAGED,
    );
    expect(await dump(target)).toEqual({});
  });

  it('a message in an archive without history, or no snapshot header, is damage', async () => {
    const { records } = await profile();
    const withHistory = await framesOf(records);
    const mixed = [encodeMetaFrame({ history: false }), ...withHistory.slice(1)];
    for (const frames of [mixed, [], withHistory.slice(1)]) {
      const target = createMemoryStorage().records;
      expect((await errorOf(() => importSnapshot(target, listOf(frames)))).code).toBe(
        ErrorCode.ARCHIVE_DAMAGED,
      );
    }
  });

  it('the escrowed identity: only in a backup, only right after the meta frame, never written', async () => {
    const { records } = await profile();
    const frames = await framesOf(records);
    const identity = {
      dhPublic: new Uint8Array(32).fill(1),
      dhPrivate: new Uint8Array(32).fill(2),
      sigPublic: new Uint8Array(32).fill(3),
      sigPrivate: new Uint8Array(32).fill(4),
      binding: new Uint8Array(64).fill(5),
    } as unknown as IdentityExport;
    const escrow = encodeEscrowFrame(identity);
    const backup = [frames[0] as Uint8Array, escrow, ...frames.slice(1)];
    const checked = await readSnapshot(listOf(backup), true);
    expect(checked.identity).toEqual(identity);
    expect(checked.records.has(ESCROWED_IDENTITY_KEY)).toBe(false);
    const target = createMemoryStorage().records;
    await importSnapshot(target, listOf(backup), undefined, true);
    expect(await target.get(ESCROWED_IDENTITY_KEY)).toBeUndefined();
    // In a transfer, or anywhere but after the meta frame, or twice: damage, nothing written.
    for (const [bad, escrowAllowed] of [
      [backup, false],
      [[...frames, escrow], true],
      [[frames[0] as Uint8Array, escrow, escrow, ...frames.slice(1)], true],
    ] as const) {
      const empty = createMemoryStorage().records;
      expect(
        (await errorOf(() => importSnapshot(empty, listOf(bad), undefined, escrowAllowed))).code,
      ).toBe(ErrorCode.ARCHIVE_DAMAGED);
      expect(await empty.list('')).toEqual([]);
    }
  });
});
