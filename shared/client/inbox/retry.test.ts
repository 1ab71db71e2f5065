import { describe, expect, it } from 'vitest';
import { toHex } from '../../bytes.ts';
import { systemRandom } from '../../crypto/random.ts';
import { listEntries, type OutboxEntry, OutboxKind } from '../outbox/outbox.ts';
import { decodeContent, encodeContent, type RetryContent } from '../sessions/content.ts';
import { Batch } from '../store/batch.ts';
import { StampClock } from '../store/stamps.ts';
import { createMemoryStorage, type RecordStore } from '../store/store.ts';
import { localAccount, offlineSessionContext } from '../testing/local-account.ts';
import {
  MAX_RESENDS,
  pruneSent,
  RESENDS_PER_WINDOW,
  type RetryContext,
  receiveRetry,
  rememberSent,
  SENT_MAX,
  SENT_RETENTION_MS,
} from './retry.ts';

const ALICE = '0a0a0a0a-0000-4000-8000-00000000000a';
const BOB = '0b0b0b0b-0000-4000-8000-00000000000b';
const CAROL = '0c0c0c0c-0000-4000-8000-00000000000c';

async function setup(clock: { now: number } = { now: Date.now() }) {
  const store = createMemoryStorage();
  const { account } = await localAccount(store.records, ALICE, 1);
  const sessions = {
    ...offlineSessionContext(account),
    deps: { now: () => clock.now, random: systemRandom },
  };
  const ctx: RetryContext = { sessions, stamps: new StampClock(() => clock.now) };
  return { records: store.records, ctx, clock };
}

/** A text Alice sent to Bob's device 2, as the sender remembers it once stored. */
async function sent(records: RecordStore, now: number, exp?: number): Promise<OutboxEntry> {
  const id = systemRandom(16) as OutboxEntry['id'];
  const entry: OutboxEntry = {
    v: 1,
    id,
    stamp: now,
    kind: OutboxKind.MESSAGE,
    conv: `u:${BOB}`,
    content: encodeContent({
      v: 1,
      t: 'text',
      id,
      to: { u: BOB },
      sentAt: now,
      text: 'hi',
      ...(exp === undefined ? {} : { exp }),
    }),
    recipients: [BOB],
    frame: { to: [{ user: BOB, devices: [{ device: 2, body: new Uint8Array(3) }] }] },
    mismatches: 0,
    attempts: 0,
    createdAt: now,
  };
  const batch = new Batch(records);
  rememberSent(batch, entry, now);
  await batch.commit();
  return entry;
}

function retryFor(id: Uint8Array, over: Partial<RetryContent> = {}): RetryContent {
  return {
    v: 1,
    t: 'retry',
    u: ALICE,
    d: 1,
    id: id as RetryContent['id'],
    at: Date.now(),
    why: 'decrypt',
    ...over,
  };
}

async function ask(
  ctx: RetryContext,
  records: RecordStore,
  from: string,
  device: number,
  content: RetryContent,
) {
  const batch = new Batch(records);
  const outcome = await receiveRetry(ctx, batch, from, device, content);
  await batch.commit();
  return outcome;
}

const resends = async (records: RecordStore) =>
  (await listEntries(records)).filter((e) => e.kind === OutboxKind.RESEND);

describe('retry receipts: the sender side', () => {
  it('resends the same content, under a new frame id, to the device that was addressed', async () => {
    const { records, ctx } = await setup();
    const entry = await sent(records, Date.now());
    const outcome = await ask(ctx, records, BOB, 2, retryFor(entry.id));
    expect(outcome.queuedOutbox).toBe(true);
    const [resend] = await resends(records);
    expect(resend?.recipients).toEqual([BOB]);
    expect(toHex(resend?.msg ?? new Uint8Array())).toBe(toHex(entry.id));
    expect(toHex(resend?.id ?? new Uint8Array())).not.toBe(toHex(entry.id));
    expect(decodeContent(resend?.content ?? new Uint8Array())).toEqual(
      decodeContent(entry.content),
    );
  });

  it('ignores a retry that is not ours to answer, from a device not addressed, or for an unknown id', async () => {
    const { records, ctx } = await setup();
    const entry = await sent(records, Date.now());
    for (const [from, device, content] of [
      [BOB, 2, retryFor(entry.id, { d: 7 })], // names another of our devices
      [BOB, 2, retryFor(entry.id, { u: CAROL })], // names another sender
      [CAROL, 2, retryFor(entry.id)], // Carol was not sent this
      [BOB, 3, retryFor(entry.id)], // nor was Bob's device 3
      [BOB, 2, retryFor(systemRandom(16))], // not a frame we have
    ] as const) {
      expect(await ask(ctx, records, from, device, content)).toEqual({
        effects: [],
        queuedOutbox: false,
      });
    }
    expect(await resends(records)).toEqual([]);
  });

  it(`resends one message at most ${MAX_RESENDS} times`, async () => {
    const { records, ctx } = await setup();
    let id: Uint8Array = (await sent(records, Date.now())).id;
    for (let i = 0; i <= MAX_RESENDS; i++) {
      const before = new Set((await resends(records)).map((e) => toHex(e.id)));
      const outcome = await ask(ctx, records, BOB, 2, retryFor(id));
      expect(outcome.queuedOutbox).toBe(i < MAX_RESENDS);
      const fresh = (await resends(records)).find((e) => !before.has(toHex(e.id)));
      if (fresh !== undefined) id = fresh.id; // the resend's own frame may be asked for again
    }
    expect(await resends(records)).toHaveLength(MAX_RESENDS);
  });

  it('counts resends of a message asked for again under its first id', async () => {
    const { records, ctx } = await setup();
    const entry = await sent(records, Date.now());
    let queued = 0;
    for (let i = 0; i < MAX_RESENDS + 2; i++) {
      if ((await ask(ctx, records, BOB, 2, retryFor(entry.id))).queuedOutbox) queued++;
    }
    expect(queued).toBe(MAX_RESENDS);
  });

  it(`answers one device at most ${RESENDS_PER_WINDOW} times an hour`, async () => {
    const { records, ctx } = await setup();
    const now = Date.now();
    let queued = 0;
    for (let i = 0; i < RESENDS_PER_WINDOW + 5; i++) {
      const entry = await sent(records, now);
      if ((await ask(ctx, records, BOB, 2, retryFor(entry.id))).queuedOutbox) queued++;
    }
    expect(queued).toBe(RESENDS_PER_WINDOW);
  });

  it('forgets what it sent after 24 hours, beyond 1000, and when a disappearing message would be gone', async () => {
    const clock = { now: Date.now() };
    const { records, ctx } = await setup(clock);
    const old = await sent(records, clock.now - SENT_RETENTION_MS);
    const disappearing = await sent(records, clock.now - 60_000, 30_000);
    const kept: OutboxEntry[] = [];
    for (let i = 0; i < SENT_MAX + 2; i++) kept.push(await sent(records, clock.now + i));
    // An expired copy is not resent even before the prune.
    expect((await ask(ctx, records, BOB, 2, retryFor(disappearing.id))).queuedOutbox).toBe(false);
    const batch = new Batch(records);
    await pruneSent(batch, clock.now + SENT_MAX + 2);
    await batch.commit();
    const left = new Set((await records.list('sent/')).map(([key]) => key.slice(5)));
    expect(left.size).toBe(SENT_MAX);
    expect(left.has(toHex(old.id))).toBe(false);
    expect(left.has(toHex(disappearing.id))).toBe(false);
    expect(left.has(toHex((kept[0] as OutboxEntry).id))).toBe(false); // the oldest beyond the cap
    expect(left.has(toHex((kept[kept.length - 1] as OutboxEntry).id))).toBe(true);
  });
});
