import { describe, expect, it } from 'vitest';
import { systemRandom } from '../crypto/random.ts';
import { Batch } from './batch.ts';
import { ContactStatus, contactOp, newContact } from './contacts.ts';
import { decodeContent, ReceiptKind } from './content.ts';
import { listEntries } from './outbox.ts';
import { flushReceipts, stagePendingReceipt } from './receipts.ts';
import { StampClock } from './stamps.ts';
import { createMemoryStorage } from './store.ts';

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

  it('sends nothing to a request before it is accepted, unless the message came in an accepted group', async () => {
    const { records } = createMemoryStorage();
    const now = () => 1_700_000_000_000;
    let batch = new Batch(records);
    batch.apply(contactOp(newContact(STRANGER, ContactStatus.REQUEST, now())));
    stagePendingReceipt(batch, ReceiptKind.DELIVERED, STRANGER, systemRandom(16), now());
    const inGroup = systemRandom(16);
    stagePendingReceipt(batch, ReceiptKind.DELIVERED, STRANGER, inGroup, now(), true);
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
    const entries = (await listEntries(records)).map((e) => ({
      recipients: e.recipients,
      content: decodeContent(e.content),
    }));
    expect(entries).toHaveLength(1);
    expect(entries[0]?.recipients).toEqual([STRANGER]);
    expect(entries[0]?.content).toMatchObject({ t: 'receipt', kind: 'delivered', ids: [inGroup] });
  });

  it('sends read state only to our own devices when read receipts are off', async () => {
    const read = (await run(false)).filter(
      (e) => e.content.t === 'receipt' && e.content.kind === 'read',
    );
    expect(read.map((e) => e.recipients)).toEqual([[ME], [ME]]);
  });
});
