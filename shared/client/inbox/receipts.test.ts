import { describe, expect, it } from 'vitest';
import { systemRandom } from '../../crypto/random.ts';
import { ContactStatus, contactOp, newContact } from '../contacts/contacts.ts';
import { startChain } from '../groups/chain.ts';
import { stageGroup } from '../groups/store.ts';
import { cast, genesis, USERS } from '../groups/testing/fixtures.ts';
import { listEntries } from '../outbox/outbox.ts';
import { decodeContent, ReceiptKind } from '../sessions/content.ts';
import { Batch } from '../store/batch.ts';
import { StampClock } from '../store/stamps.ts';
import { createMemoryStorage } from '../store/store.ts';
import {
  dropHeldReceipts,
  flushReceipts,
  releaseHeldReceipts,
  stagePendingReceipt,
} from './receipts.ts';

const ME = '0a0a0a0a-0000-4000-8000-00000000000a';
const BOB = '0b0b0b0b-0000-4000-8000-00000000000b';
const STRANGER = '0c0c0c0c-0000-4000-8000-00000000000c';

async function run(readReceipts: boolean) {
  const { records } = createMemoryStorage();
  const now = () => 1_700_000_000_000;
  let batch = new Batch(records);
  batch.apply(contactOp(newContact(BOB, ContactStatus.ACCEPTED, now())));
  batch.apply(contactOp(newContact(STRANGER, ContactStatus.REQUEST, now())));
  for (let i = 0; i < 300; i++) {
    stagePendingReceipt(batch, ReceiptKind.DELIVERED, BOB, systemRandom(16), now());
  }
  stagePendingReceipt(batch, ReceiptKind.READ, BOB, systemRandom(16), now());
  stagePendingReceipt(batch, ReceiptKind.READ, STRANGER, systemRandom(16), now());
  await batch.commit();
  batch = new Batch(records);
  const ctx = { ownUser: ME, readReceipts, now, random: systemRandom, stamps: new StampClock(now) };
  const queued = await flushReceipts(ctx, batch);
  await batch.commit();
  const entries = await listEntries(records);
  expect(entries).toHaveLength(queued);
  expect(await records.list('receiptq/')).toEqual([]);
  return entries.map((e) => ({ recipients: e.recipients, content: decodeContent(e.content) }));
}

describe('receipt batching', () => {
  it('batches up to 256 ids per receipt and addresses read receipts by policy', async () => {
    const entries = await run(true);
    const delivered = entries.filter(
      (e) => e.content.t === 'receipt' && e.content.kind === 'delivered',
    );
    expect(delivered.map((e) => (e.content.t === 'receipt' ? e.content.ids.length : 0))).toEqual([
      256, 44,
    ]);
    expect(delivered.every((e) => e.recipients.join() === BOB)).toBe(true);
    const read = entries.filter((e) => e.content.t === 'receipt' && e.content.kind === 'read');
    // Accepted contact: to them and our other devices; a request: only our other devices.
    expect(read.map((e) => e.recipients)).toEqual(expect.arrayContaining([[BOB, ME], [ME]]));
  });

  it('holds receipts for a request or an unaccepted group back, and sends them once accepted', async () => {
    const { records } = createMemoryStorage();
    const now = () => 1_700_000_000_000;
    const keys = await cast();
    const first = await genesis(keys);
    const GROUP = first.state.group;
    const group = startChain(first);
    const record = (accepted: boolean) => ({
      id: GROUP,
      chain: group,
      accepted,
      addedBy: USERS.owner,
      joinedAt: now(),
    });
    const ctx = {
      ownUser: ME,
      readReceipts: true,
      now,
      random: systemRandom,
      stamps: new StampClock(now),
    };
    const flush = async () => {
      const batch = new Batch(records);
      await flushReceipts(ctx, batch);
      await batch.commit();
      const entries = (await listEntries(records)).map((e) => ({
        recipients: e.recipients,
        content: decodeContent(e.content),
      }));
      // Each step looks only at what it queued.
      const sent = await records.list('outbox/');
      await records.write(sent.map(([key]) => ({ op: 'delete' as const, key })));
      return entries;
    };

    let batch = new Batch(records);
    batch.apply(contactOp(newContact(STRANGER, ContactStatus.REQUEST, now())));
    stageGroup(batch, record(false));
    const direct = systemRandom(16);
    const inGroup = systemRandom(16);
    stagePendingReceipt(batch, ReceiptKind.DELIVERED, STRANGER, direct, now());
    stagePendingReceipt(batch, ReceiptKind.READ, STRANGER, direct, now());
    stagePendingReceipt(batch, ReceiptKind.DELIVERED, USERS.member, inGroup, now(), GROUP);
    await batch.commit();

    // Before accepting: only our own devices hear that we read it; the rest is held.
    const before = await flush();
    expect(before.map((e) => e.recipients)).toEqual([[ME]]);
    expect(await records.list('receiptq/')).toEqual([]);
    expect(await records.list('receipth/')).toHaveLength(3);

    // Accepting the request releases its two; the group's stay held.
    batch = new Batch(records);
    batch.apply(contactOp(newContact(STRANGER, ContactStatus.ACCEPTED, now())));
    expect(await releaseHeldReceipts(batch, { user: STRANGER })).toBe(2);
    await batch.commit();
    const accepted = await flush();
    expect(
      accepted.map((e) => [e.recipients, e.content.t === 'receipt' && e.content.kind]),
    ).toEqual(
      expect.arrayContaining([
        [[STRANGER], 'delivered'],
        [[STRANGER], 'read'],
      ]),
    );
    expect(accepted).toHaveLength(2);
    expect(await records.list('receipth/')).toHaveLength(1);

    // Accepting the group releases its receipt, to the member who wrote.
    batch = new Batch(records);
    stageGroup(batch, record(true));
    expect(await releaseHeldReceipts(batch, { group: GROUP })).toBe(1);
    await batch.commit();
    const joined = await flush();
    expect(joined).toHaveLength(1);
    expect(joined[0]?.recipients).toEqual([USERS.member]);
    expect(joined[0]?.content).toMatchObject({ t: 'receipt', kind: 'delivered', ids: [inGroup] });
    expect(await records.list('receipth/')).toEqual([]);
  });

  it('drops what was held for a request that is deleted or blocked', async () => {
    const { records } = createMemoryStorage();
    const now = () => 1_700_000_000_000;
    let batch = new Batch(records);
    batch.apply(contactOp(newContact(STRANGER, ContactStatus.REQUEST, now())));
    stagePendingReceipt(batch, ReceiptKind.DELIVERED, STRANGER, systemRandom(16), now());
    await batch.commit();
    batch = new Batch(records);
    const ctx = {
      ownUser: ME,
      readReceipts: true,
      now,
      random: systemRandom,
      stamps: new StampClock(now),
    };
    await flushReceipts(ctx, batch);
    await batch.commit();
    expect(await records.list('receipth/')).toHaveLength(1);
    batch = new Batch(records);
    expect(await dropHeldReceipts(batch, { user: STRANGER })).toBe(1);
    await batch.commit();
    batch = new Batch(records);
    expect(await releaseHeldReceipts(batch, { user: STRANGER })).toBe(0);
    expect(await records.list('receipth/')).toEqual([]);
  });

  it('sends read state only to our own devices when read receipts are off', async () => {
    const read = (await run(false)).filter(
      (e) => e.content.t === 'receipt' && e.content.kind === 'read',
    );
    expect(read.map((e) => e.recipients)).toEqual([[ME], [ME]]);
  });
});
