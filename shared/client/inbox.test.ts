import { describe, expect, it } from 'vitest';
import { systemRandom } from '../crypto/random.ts';
import { createOutgoingSession, encryptMessage } from '../crypto/session.ts';
import type { DeliverFrame } from '../wire/frames.ts';
import { Batch } from './batch.ts';
import { encodeContent } from './content.ts';
import { type InboxContext, processDelivery } from './inbox.ts';
import { decodeMessage } from './messages.ts';
import { listEntries } from './outbox.ts';
import { StampClock } from './stamps.ts';
import { createMemoryStorage } from './store.ts';
import { localAccount, offlineSessionContext } from './testing/local-account.ts';

const ALICE = '0a0a0a0a-0000-4000-8000-00000000000a';
const BOB = '0b0b0b0b-0000-4000-8000-00000000000b';
const CAROL = '0c0c0c0c-0000-4000-8000-00000000000c';
const deps = { random: systemRandom, now: () => Date.now() };

async function setup() {
  const bobStore = createMemoryStorage();
  const bob = await localAccount(bobStore.records, BOB, 2);
  const alice = await localAccount(createMemoryStorage().records, ALICE, 1);
  const ctx: InboxContext = {
    sessions: offlineSessionContext(bob.account),
    stamps: new StampClock(() => Date.now()),
    verifyHandle: async () => undefined,
  };
  let session = await createOutgoingSession(deps, alice.account.identity, bob.bundle);
  let qid = 0;
  /** Alice encrypts a text to Bob; returns the deliver frame the relay would hand Bob. */
  const fromAlice = async (text: string): Promise<DeliverFrame> => {
    const id = systemRandom(16);
    const content = encodeContent({
      v: 1,
      t: 'text',
      id,
      to: { u: BOB },
      sentAt: Date.now(),
      text,
    });
    const out = await encryptMessage(deps, session, content);
    session = out.session;
    return {
      t: 'deliver',
      qid: ++qid,
      id,
      from: ALICE,
      fromDevice: 1,
      body: out.ciphertext,
      sentAt: Date.now(),
    };
  };
  const deliver = (frame: DeliverFrame) => processDelivery(ctx, new Batch(bobStore.records), frame);
  return { bobStore, fromAlice, deliver };
}

describe('inbox', () => {
  it('applies a message once: a redelivery with the same id is acked without touching the session', async () => {
    const { bobStore, fromAlice, deliver } = await setup();
    const frame = await fromAlice('first');
    const first = await deliver(frame);
    expect(first.ack).toBe(true);
    expect(first.effects.filter((e) => e.type === 'message')).toHaveLength(1);
    const sessionBefore = await bobStore.records.get(`session/${ALICE}/0000000001`);

    const again = await deliver(frame);
    expect(again).toEqual({ ack: true, effects: [], queuedOutbox: false });
    expect(await bobStore.records.get(`session/${ALICE}/0000000001`)).toEqual(sessionBefore);
    const stored = await bobStore.records.list(`msg/u:${ALICE}/`);
    expect(stored).toHaveLength(1);
    // The one-time prekey that message used is gone, in the same write.
    expect(await bobStore.records.get('prekey/opk/0000000001')).toBeUndefined();
  });

  it('treats the same ciphertext under a new id as a replay: acked, nothing shown', async () => {
    const { bobStore, fromAlice, deliver } = await setup();
    const frame = await fromAlice('once');
    await deliver(frame);
    const replay = await deliver({ ...frame, qid: 99, id: systemRandom(16) });
    expect(replay.ack).toBe(true);
    expect(replay.effects).toEqual([]);
    expect(await bobStore.records.list(`msg/u:${ALICE}/`)).toHaveLength(1);
  });

  it('keeps order and stores later messages of the same session', async () => {
    const { bobStore, fromAlice, deliver } = await setup();
    const frames = [];
    for (const text of ['a', 'b', 'c']) frames.push(await fromAlice(text));
    for (const f of frames) await deliver(f);
    const rows = await bobStore.records.list(`msg/u:${ALICE}/`);
    expect(rows.map(([, raw]) => decodeMessage(raw).text)).toEqual(['a', 'b', 'c']);
  });

  it('records an undecryptable delivery once, asks for a session reset at most once an hour, and acks', async () => {
    const { bobStore, deliver } = await setup();
    const garbage = (n: number): DeliverFrame => ({
      t: 'deliver',
      qid: n,
      id: systemRandom(16),
      from: CAROL,
      fromDevice: 5,
      body: systemRandom(200),
      sentAt: Date.now(),
    });
    const first = garbage(1);
    const outcome = await deliver(first);
    expect(outcome.ack).toBe(true);
    expect(outcome.queuedOutbox).toBe(true);
    expect(outcome.effects.map((e) => e.type).sort()).toEqual(['message', 'undecryptable']);
    expect((await deliver(first)).effects).toEqual([]); // deduped
    const second = await deliver(garbage(2));
    expect(second.queuedOutbox).toBe(false); // rate-limited reset
    const resets = (await listEntries(bobStore.records)).filter((e) => e.kind === 'reset');
    expect(resets).toHaveLength(1);
    expect(resets[0]?.recipients).toEqual([CAROL]);
    const timeline = await bobStore.records.list(`msg/u:${CAROL}/`);
    expect(timeline).toHaveLength(2);
  });
});
