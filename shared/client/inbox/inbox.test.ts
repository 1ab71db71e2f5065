import { describe, expect, it } from 'vitest';
import { toHex } from '../../bytes.ts';
import { decodeMessage } from '../../crypto/message-format.ts';
import { systemRandom } from '../../crypto/random.ts';
import {
  acceptIncomingSession,
  createOutgoingSession,
  encryptMessage,
} from '../../crypto/session.ts';
import type { DeliverFrame } from '../../wire/frames.ts';
import { decodeMessage as decodeStored } from '../conversations/messages.ts';
import { listEntries } from '../outbox/outbox.ts';
import { decodeContent, encodeContent } from '../sessions/content.ts';
import { recordPreKeyLookup } from '../sessions/prekeys.ts';
import { Batch } from '../store/batch.ts';
import { StampClock } from '../store/stamps.ts';
import { createMemoryStorage } from '../store/store.ts';
import { localAccount, offlineSessionContext } from '../testing/local-account.ts';
import { type InboxContext, processDelivery } from './inbox.ts';
import { RETRY_REQUESTS_PER_WINDOW } from './retry.ts';

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
    expect(rows.map(([, raw]) => decodeStored(raw).text)).toEqual(['a', 'b', 'c']);
  });

  /** `frame` with one bit flipped at `at` (negative: from the end). */
  const flip = (frame: DeliverFrame, at: number, qid: number): DeliverFrame => {
    const body = frame.body.slice();
    const i = at < 0 ? body.length + at : at;
    body[i] = (body[i] as number) ^ 0x01;
    return { ...frame, qid, body };
  };
  /** Offsets of the ratchet header's last byte (low byte of n) and the tag's last byte. */
  const headerBit = (frame: DeliverFrame) => decodeMessage(frame.body).headerEnd - 1;

  it('a tampered copy before the original changes nothing: the original and later messages decrypt, and the sender is asked once', async () => {
    const { bobStore, fromAlice, deliver } = await setup();
    await deliver(await fromAlice('hello')); // the session exists from here on
    for (const where of ['tag', 'header', 'ratchet key'] as const) {
      const frame = await fromAlice(`genuine ${where}`);
      const later = await fromAlice(`later ${where}`);
      const sessionBefore = await bobStore.records.get(`session/${ALICE}/0000000001`);
      // The ratchet header is the ratchet key (32 bytes), pn and n (4 bytes each).
      const at =
        where === 'tag' ? -1 : where === 'header' ? headerBit(frame) : headerBit(frame) - 39;
      const forged = await deliver(flip(frame, at, 500));
      expect(forged.ack).toBe(true);
      expect(forged.effects).toEqual([]);
      expect(forged.queuedOutbox).toBe(true); // a retry request
      expect(await bobStore.records.get(`session/${ALICE}/0000000001`)).toEqual(sessionBefore);
      expect(await bobStore.records.get(`seen/${ALICE}/0000000001/${toHex(frame.id)}`)).toBe(
        undefined,
      );
      const genuine = await deliver(frame);
      expect(genuine.effects.filter((e) => e.type === 'message')).toHaveLength(1);
      expect((await deliver(later)).effects.filter((e) => e.type === 'message')).toHaveLength(1);
    }
    const texts = (await bobStore.records.list(`msg/u:${ALICE}/`)).map(
      ([, raw]) => decodeStored(raw).text,
    );
    expect(texts).toEqual([
      'hello',
      'genuine tag',
      'later tag',
      'genuine header',
      'later header',
      'genuine ratchet key',
      'later ratchet key',
    ]);
    const entries = await listEntries(bobStore.records);
    expect(entries.filter((e) => e.kind === 'retry')).toHaveLength(3);
    expect(entries.filter((e) => e.kind === 'reset')).toHaveLength(0);
  });

  it('a tampered copy after the original is dropped quietly: no retry, no notice', async () => {
    const { bobStore, fromAlice, deliver } = await setup();
    const frame = await fromAlice('once');
    await deliver(frame);
    const copy = await deliver(flip(frame, -1, 77));
    expect(copy).toEqual({ ack: true, effects: [], queuedOutbox: false });
    expect(await listEntries(bobStore.records)).toEqual([]);
  });

  it('asks the sender again when a copy replaces the original, and shows it when it comes', async () => {
    const { bobStore, fromAlice, deliver } = await setup();
    await deliver(await fromAlice('first'));
    const lost = await fromAlice('replaced');
    const outcome = await deliver(flip(lost, headerBit(lost), lost.qid ?? 0));
    expect(outcome.queuedOutbox).toBe(true);
    const [retry] = (await listEntries(bobStore.records)).filter((e) => e.kind === 'retry');
    const asked = decodeContent(retry?.content ?? new Uint8Array());
    expect(asked).toMatchObject({ t: 'retry', u: ALICE, d: 1, id: lost.id, why: 'decrypt' });
    // The resend: the same content (same message id) in a new frame on the same session.
    const later = await deliver(await fromAlice('after'));
    expect(later.effects.filter((e) => e.type === 'message')).toHaveLength(1);
  });

  it(`asks one device at most ${RETRY_REQUESTS_PER_WINDOW} times an hour, then says once that a message could not be decrypted`, async () => {
    const { bobStore, fromAlice, deliver } = await setup();
    await deliver(await fromAlice('hello'));
    const notices: string[] = [];
    for (let i = 0; i < RETRY_REQUESTS_PER_WINDOW + 3; i++) {
      const frame = await fromAlice(`lost ${i}`);
      const outcome = await deliver(flip(frame, -1, frame.qid ?? 0));
      expect(outcome.ack).toBe(true);
      notices.push(...outcome.effects.map((e) => e.type));
    }
    const entries = await listEntries(bobStore.records);
    expect(entries.filter((e) => e.kind === 'retry')).toHaveLength(RETRY_REQUESTS_PER_WINDOW);
    expect(notices.sort()).toEqual(['message', 'undecryptable']);
    // The session still works.
    expect((await deliver(await fromAlice('still here'))).effects.map((e) => e.type)).toEqual([
      'message',
    ]);
  });

  it('starts a new session only when none can work, at most once an hour; asks for the message each time', async () => {
    const { bobStore, deliver } = await setup();
    // Carol answers a session another device started with her: a ratchet (not prekey)
    // message, which Bob, who never had a session with Carol, cannot place.
    const carolRecords = createMemoryStorage().records;
    const carol = await localAccount(carolRecords, CAROL, 5);
    const stranger = await localAccount(createMemoryStorage().records, BOB, 9);
    const opened = await encryptMessage(
      deps,
      await createOutgoingSession(deps, stranger.account.identity, carol.bundle),
      new Uint8Array(8),
    );
    let session = (
      await acceptIncomingSession(
        deps,
        carol.account.identity,
        recordPreKeyLookup(carolRecords),
        opened.ciphertext,
      )
    ).session;
    const noSession = async (qid: number): Promise<DeliverFrame> => {
      const out = await encryptMessage(deps, session, new Uint8Array(8));
      session = out.session;
      return {
        t: 'deliver',
        qid,
        id: systemRandom(16),
        from: CAROL,
        fromDevice: 5,
        body: out.ciphertext,
        sentAt: Date.now(),
      };
    };
    const first = await deliver(await noSession(1));
    expect(first.ack).toBe(true);
    expect(first.effects.map((e) => e.type).sort()).toEqual(['message', 'undecryptable']);
    const second = await deliver(await noSession(2));
    expect(second.effects).toEqual([]); // the reset is rate-limited, and so is the notice
    const entries = await listEntries(bobStore.records);
    expect(entries.filter((e) => e.kind === 'reset').map((e) => e.recipients)).toEqual([[CAROL]]);
    expect(entries.filter((e) => e.kind === 'retry')).toHaveLength(2);
  });
});
