/**
 * Disappearing messages, receipts, typing, presence and message requests
 * against the REAL relay process (Deno, libSQL file), real WebSockets and real
 * crypto. Client clocks are injected (a 30-second timer runs out by moving
 * them forward); the relay sweeps every second so its database file can be
 * scanned for what must be gone.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes.ts';
import type { SendFrame } from '../wire/frames.ts';
import { type MessageView, type ParleyClient, TYPING_IDLE_MS } from './client.ts';
import type { Timers } from './deps.ts';
import {
  collect,
  messagesOf,
  nodeTimers,
  type TestUser,
  uniqueText,
  waitFor,
} from './testing/harness.ts';
import { useRelayProcess } from './testing/relay-fixture.ts';
import { type Tap, tapTransport } from './testing/tap.ts';

const relay = useRelayProcess({
  handleSuffix: 'p',
  relay: { env: { SWEEP_INTERVAL_SECONDS: '1' } },
});
/** Every client's clock: real time plus this offset (moved forward to run timers out). */
const clock = { offset: 0 };
const now = () => Date.now() + clock.offset;

const say = uniqueText;

interface Person extends TestUser {
  readonly tap: Tap;
}

async function user(name: string, timers: Timers = nodeTimers): Promise<Person> {
  const tap = tapTransport();
  return { ...(await relay.newUser(name, { transport: tap.transport, now, timers })), tap };
}

/** A conversation's messages; none while it does not exist yet. */
async function messages(client: ParleyClient, conversationId: string): Promise<MessageView[]> {
  return messagesOf(client, conversationId).catch(() => []);
}

async function waitText(client: ParleyClient, conversationId: string, text: string) {
  return waitFor(
    async () => (await messages(client, conversationId)).find((m) => m.text === text),
    `"${text}"`,
  );
}

/** Two users who accepted each other (Alice wrote first, Bob accepted). */
async function pair(aliceTimers?: Timers) {
  const alice = await user('alice', aliceTimers);
  const bob = await user('bob');
  const chat = (await alice.client.startConversation(bob.handle)).id;
  const hi = say('hi');
  await alice.client.sendText({ conversationId: chat, text: hi });
  const bobChat = `u:${alice.userId}`;
  await waitText(bob.client, bobChat, hi);
  await bob.client.acceptRequest(alice.userId);
  // Accepting sends the delivery receipt held back for "hi": let it land before tests count frames.
  await waitFor(
    async () =>
      (await messages(alice.client, chat)).find((m) => m.text === hi)?.state === 'delivered',
    '"hi" delivered after accept',
  );
  return { alice, bob, chat, bobChat };
}

/** The ciphertext bodies of the send frame that carried message `id` (hex). */
function bodiesOf(tap: Tap, id: string): Uint8Array[] {
  const frame = tap.sent.find((f): f is SendFrame => f.t === 'send' && toHex(f.id) === id);
  if (frame === undefined) throw new Error('frame not captured');
  const bodies: Uint8Array[] = [];
  for (const r of frame.to) {
    for (const d of r.devices) {
      const body = d.body ?? frame.body;
      if (body !== undefined) bodies.push(body);
    }
  }
  return bodies;
}

/** Whether any of `needles` (32 bytes from the middle of each) is in the relay's database or WAL. */
function inRelayFiles(needles: readonly Uint8Array[]): boolean {
  const files = [relay.process.dbPath, `${relay.process.dbPath}-wal`]
    .filter((p) => existsSync(p))
    .map((p) => readFileSync(p));
  return needles.some((n) => {
    const start = Math.max(0, Math.floor(n.length / 2) - 16);
    const slice = Buffer.from(n.subarray(start, start + 32));
    return files.some((f) => f.indexOf(slice) >= 0);
  });
}

/** Whether `text` is anywhere in a client's store (any record, any key). */
async function inStore(person: Person, text: string): Promise<boolean> {
  const needle = Buffer.from(new TextEncoder().encode(text));
  for (const [, value] of await person.storage.records.list('')) {
    if (Buffer.from(value).indexOf(needle) >= 0) return true;
  }
  return false;
}

function transientSends(tap: Tap, to?: string): SendFrame[] {
  return tap.sent.filter(
    (f): f is SendFrame =>
      f.t === 'send' &&
      f.transient === true &&
      (to === undefined || f.to.some((r) => r.user === to)),
  );
}

describe('disappearing messages', () => {
  it('a 30-second timer makes a message disappear on both sides and from the relay database file', async () => {
    const { alice, bob, chat, bobChat } = await pair();
    const expiryEvents = collect(alice.client, 'expiry');
    await alice.client.setTimer({ conversationId: chat, timer: 30_000 });
    await waitFor(
      async () => (await bob.client.getConversation(bobChat)).timer === 30_000,
      'timer',
    );
    const notices = (await messages(bob.client, bobChat)).filter(
      (m) => m.system === 'timer-changed',
    );
    expect(notices).toHaveLength(1);
    expect(notices[0]?.text).toContain('30 seconds');

    // Bob is offline: the relay keeps the ciphertext (and the scan can see it).
    await bob.client.stop();
    const secret = say('this message will self-destruct');
    const sent = await alice.client.sendText({ conversationId: chat, text: secret });
    expect(sent).toMatchObject({ expiresIn: 30_000 });
    expect(sent.expiresAt).toBe(sent.sentAt + 30_000); // the sender's copy counts down from now
    await waitFor(
      async () =>
        (await messages(alice.client, chat)).find((m) => m.text === secret)?.state === 'stored',
      'stored',
    );
    const ciphertexts = bodiesOf(alice.tap, sent.id);
    await waitFor(() => inRelayFiles(ciphertexts), 'the queued ciphertext is in the relay files');
    expect(await alice.client.nextExpiry()).toBe(sent.expiresAt);
    expect(expiryEvents.at(-1)).toEqual({ next: sent.expiresAt });

    await bob.client.start();
    const received = await waitText(bob.client, bobChat, secret);
    expect(received.expiresIn).toBe(30_000);
    expect(received.expiresAt).toBeUndefined(); // not read yet: Bob's countdown has not started

    // 31 s later: Alice's copy is gone; Bob's (unread) is still there.
    clock.offset += 31_000;
    expect(await alice.client.expireDue()).toBe(1);
    expect(await bob.client.expireDue()).toBe(0);
    expect((await messages(alice.client, chat)).map((m) => m.text)).not.toContain(secret);
    expect((await messages(bob.client, bobChat)).map((m) => m.text)).toContain(secret);

    // Bob reads it: his countdown starts; 31 s later it is gone there too.
    const expired = collect(bob.client, 'expired');
    await bob.client.markRead({ conversationId: bobChat });
    const read = (await messages(bob.client, bobChat)).find((m) => m.text === secret);
    expect(read?.expiresAt).toBeGreaterThan(now());
    expect(read?.expiresAt).toBeLessThanOrEqual(now() + 30_000);
    clock.offset += 31_000;
    expect(await bob.client.expireDue()).toBe(1);
    expect(expired).toEqual([
      { conversationId: bobChat, ids: [sent.id], keys: [expect.any(String)] },
    ]);
    expect((await messages(bob.client, bobChat)).map((m) => m.text)).not.toContain(secret);

    // Gone from every record of both stores (messages, previews, indexes)...
    expect(await inStore(alice, secret)).toBe(false);
    expect(await inStore(bob, secret)).toBe(false);
    expect((await bob.client.getConversation(bobChat)).lastMessage?.text).not.toBe(secret);
    // ...and from the relay's database file and WAL (acknowledged, deleted, zeroed, checkpointed).
    await waitFor(() => !inRelayFiles(ciphertexts), 'the ciphertext is gone from the relay files');
    expect(await bob.client.nextExpiry()).toBeNull();
  });

  it('group timers are set by admins only and apply to every member', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const group = await alice.client.createGroup({ name: 'Ephemeral', members: [bob.handle] });
    await waitFor(
      () =>
        bob.client.getGroup(group).then(
          () => true,
          () => false,
        ),
      'bob joins',
    );
    await bob.client.acceptGroup(group);
    await expect(
      bob.client.setTimer({ conversationId: group, timer: 30_000 }),
    ).rejects.toMatchObject({
      code: 'GROUP_FORBIDDEN',
    });
    await alice.client.setTimer({ conversationId: group, timer: 30_000 });
    await waitFor(async () => (await bob.client.getGroup(group)).timer === 30_000, 'group timer');
    expect((await bob.client.getConversation(group)).timer).toBe(30_000);

    const text = say('group secret');
    const sent = await alice.client.sendText({ conversationId: group, text });
    expect(sent.expiresIn).toBe(30_000);
    await waitText(bob.client, group, text);
    await bob.client.markRead({ conversationId: group });
    clock.offset += 31_000;
    expect(await alice.client.expireDue()).toBe(1);
    // Bob's own expiry timer was armed after markRead, possibly after the clock
    // jumped (so with no delay): it may have swept first. Either way it is gone.
    await bob.client.expireDue();
    expect(await inStore(alice, text)).toBe(false);
    expect(await inStore(bob, text)).toBe(false);
    await expect(
      alice.client.setTimer({ conversationId: group, timer: 1234 }),
    ).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
  });
});

describe('receipts, typing and presence', () => {
  it('with read receipts off, none is sent (delivery receipts still are)', async () => {
    const { alice, bob, chat, bobChat } = await pair();
    await bob.client.updateSettings({ readReceipts: false });
    expect(bob.client.getSettings().readReceipts).toBe(false);
    const text = say('read me quietly');
    await alice.client.sendText({ conversationId: chat, text });
    await waitText(bob.client, bobChat, text);
    await waitFor(
      async () =>
        (await messages(alice.client, chat)).find((m) => m.text === text)?.state === 'delivered',
      'delivered',
    );
    const before = bob.tap.sent.length;
    expect(await bob.client.markRead({ conversationId: bobChat })).toBeGreaterThan(0);
    await bob.client.idle();
    await waitFor(async () => (await bob.client.outboxSize()) === 0, 'bob outbox empty');
    const toAlice = bob.tap.sent
      .slice(before)
      .filter((f) => f.t === 'send' && f.to.some((r) => r.user === alice.userId));
    expect(toAlice).toEqual([]);
    expect((await messages(alice.client, chat)).find((m) => m.text === text)?.state).toBe(
      'delivered',
    );

    // Turned back on: the next read is reported.
    await bob.client.updateSettings({ readReceipts: true });
    const again = say('read me loudly');
    await alice.client.sendText({ conversationId: chat, text: again });
    await waitText(bob.client, bobChat, again);
    await bob.client.markRead({ conversationId: bobChat });
    await waitFor(
      async () =>
        (await messages(alice.client, chat)).find((m) => m.text === again)?.state === 'read',
      'read',
    );
  });

  it('typing indicators are encrypted, never stored, throttled, and stop by themselves', async () => {
    // Alice's client runs its "stopped typing" timer fast (the delay is a constant of the client).
    const fast: Timers = {
      setTimeout: (callback, ms) => setTimeout(callback, ms === TYPING_IDLE_MS ? 150 : ms),
      clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    };
    const { alice, bob, chat, bobChat } = await pair(fast);
    const typing = collect(bob.client, 'typing');
    const storedBefore = await storedTotal();
    const keysBefore = new Set((await bob.storage.records.list('')).map(([k]) => k));
    const framesBefore = transientSends(alice.tap).length;

    const results = [];
    for (let i = 0; i < 3; i++) {
      results.push(await alice.client.sendTyping({ conversationId: chat, typing: true }));
    }
    expect(results).toEqual([true, false, false]); // at most one "typing" per 3 s
    await waitFor(() => typing.some((t) => t.typing), 'typing shown');
    // No keystroke for a while: a "stopped" follows without being asked for.
    await waitFor(() => typing.some((t) => !t.typing), 'stopped typing');
    expect(typing.map((t) => t.typing)).toEqual([true, false]);
    expect(typing[0]).toEqual({ conversationId: bobChat, userId: alice.userId, typing: true });
    expect(transientSends(alice.tap).length - framesBefore).toBe(2);

    // Nothing was stored: not by the relay, not as a record on Bob's side.
    expect(await storedTotal()).toBe(storedBefore);
    const added = (await bob.storage.records.list(''))
      .map(([k]) => k)
      .filter((k) => !keysBefore.has(k));
    expect(added.every((k) => k.startsWith('session/'))).toBe(true);
  });

  it('presence reaches accepted contacts only, and hidden means nothing is sent', async () => {
    const { alice, bob } = await pair();
    const carol = await user('carol'); // writes to Alice, never accepted
    await carol.client.sendText({
      conversationId: (await carol.client.startConversation(alice.handle)).id,
      text: say('hello?'),
    });
    await waitFor(
      () =>
        alice.client.getConversation(`u:${carol.userId}`).then(
          () => true,
          () => false,
        ),
      'request',
    );
    // Alice (re)connects: she tells her accepted contacts, Bob answers her hello.
    await alice.client.stop();
    await alice.client.start();
    await waitFor(
      async () => (await bob.client.getPresence(alice.userId)).online,
      'bob sees alice',
    );
    await waitFor(
      async () => (await alice.client.getPresence(bob.userId)).online,
      'alice sees bob',
    );
    expect(transientSends(alice.tap, carol.userId)).toEqual([]); // never to a request
    expect(await carol.client.getPresence(alice.userId)).toEqual({ online: false, lastSeen: null });

    // Alice leaves: Bob sees her offline, with a last-seen time.
    await alice.client.stop();
    await waitFor(async () => !(await bob.client.getPresence(alice.userId)).online, 'offline');
    expect((await bob.client.getPresence(alice.userId)).lastSeen).toEqual(expect.any(Number));

    // Bob hides his presence: he answers no hello and announces nothing on connect.
    await bob.client.updateSettings({ showPresence: false });
    const seenByAlice = (await alice.client.getPresence(bob.userId)).lastSeen;
    const sentBefore = transientSends(bob.tap).length;
    const heard = collect(bob.client, 'presence');
    await alice.client.start();
    await waitFor(() => heard.length > 0, 'bob hears alice');
    await bob.client.stop();
    await bob.client.start();
    await waitFor(() => bob.client.status().state === 'online', 'bob online');
    await bob.client.idle();
    await alice.client.idle();
    expect(transientSends(bob.tap).length).toBe(sentBefore);
    expect((await alice.client.getPresence(bob.userId)).lastSeen).toBe(seenByAlice);
  });
});

describe('message requests', () => {
  it('a first message from someone unknown is a request: accept, block (enforced by the relay) or delete', async () => {
    const alice = await user('alice');
    const carol = await user('carol');
    const dave = await user('dave');
    const erin = await user('erin');
    const write = async (from: Person, text: string) => {
      const conversation = (await from.client.startConversation(alice.handle)).id;
      return from.client.sendText({ conversationId: conversation, text });
    };

    // Carol: a request; nothing (no delivery receipt) goes back until Alice accepts.
    const first = say('carol here');
    const sent = await write(carol, first);
    const carolChat = `u:${carol.userId}`;
    await waitText(alice.client, carolChat, first);
    expect(await alice.client.getConversation(carolChat)).toMatchObject({ isRequest: true });
    await alice.client.idle();
    await waitFor(async () => (await alice.client.outboxSize()) === 0, 'alice outbox empty');
    expect(
      alice.tap.sent.some((f) => f.t === 'send' && f.to.some((r) => r.user === carol.userId)),
    ).toBe(false);
    expect(
      (await messages(carol.client, `u:${alice.userId}`)).find((m) => m.id === sent.id)?.state,
    ).toBe('stored');
    await alice.client.acceptRequest(carol.userId);
    expect((await alice.client.getConversation(carolChat)).isRequest).toBe(false);
    const second = say('carol again');
    const sentAgain = await write(carol, second);
    await waitFor(
      async () =>
        (await messages(carol.client, `u:${alice.userId}`)).find((m) => m.id === sentAgain.id)
          ?.state === 'delivered',
      'delivered after accepting',
    );

    // Dave: blocked. The relay drops what he sends next; he still sees `stored`.
    const daveChat = `u:${dave.userId}`;
    await waitText(alice.client, daveChat, await write(dave, say('dave here')).then((m) => m.text));
    await alice.client.blockContact(dave.userId);
    expect(await alice.client.getConversation(daveChat)).toMatchObject({ blocked: true });
    const blockedText = say('dave, blocked');
    const blockedSend = await write(dave, blockedText);
    await waitFor(
      async () =>
        (await messages(dave.client, `u:${alice.userId}`)).find((m) => m.id === blockedSend.id)
          ?.state === 'stored',
      'stored for dave',
    );
    // Carol writes after Dave's send was stored: her message arriving proves Dave's never came.
    const marker = say('after the block');
    await write(carol, marker);
    await waitText(alice.client, carolChat, marker);
    const fromDave = alice.tap.received.filter(
      (f) => f.t === 'deliver' && f.from === dave.userId && f.qid !== undefined,
    );
    expect(fromDave).toHaveLength(1); // only his first message, before the block
    expect((await messages(alice.client, daveChat)).map((m) => m.text)).not.toContain(blockedText);

    // Erin: deleted. Her next message is a new request with only that message.
    const erinChat = `u:${erin.userId}`;
    const hello = say('erin here');
    await write(erin, hello);
    await waitText(alice.client, erinChat, hello);
    await alice.client.deleteConversation(erinChat);
    await expect(alice.client.getConversation(erinChat)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await inStore(alice, hello)).toBe(false);
    const again = say('erin again');
    await write(erin, again);
    await waitText(alice.client, erinChat, again);
    expect(await alice.client.getConversation(erinChat)).toMatchObject({ isRequest: true });
    expect((await messages(alice.client, erinChat)).map((m) => m.text)).toEqual([again]);
  });
});

async function storedTotal(): Promise<number> {
  const text = await (await relay.process.http('/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith('parley_messages_stored_total'));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}
