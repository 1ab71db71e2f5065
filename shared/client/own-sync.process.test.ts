/**
 * Own-device sync against the REAL relay process (docs/client.md,
 * "Own-device sync"): two devices of alice (A1, A2) and bob. What one of
 * alice's devices changes shows on the other: read state (and bob hears the
 * read receipt once), block, verify, conversation deletion, settings, a newly
 * linked device (within 5 s); a peer's `sync` is ignored; after unlinking A2,
 * alice's next group message is unreadable with A2's old state.
 */
import { describe, expect, it } from 'vitest';
import { isParleyError } from '../errors.ts';
import { encodeServerFrame } from '../wire/codec.ts';
import type { SendFrame } from '../wire/frames.ts';
import type { ParleyClient } from './client.ts';
import { newOutboxEntry, type OutboxEntry, OutboxKind, stageEntry } from './outbox/outbox.ts';
import { encodeContent } from './sessions/content.ts';
import { Batch } from './store/batch.ts';
import { collect, type TestUser, textsOf, uniqueText, waitFor } from './testing/harness.ts';
import { useRelayProcess } from './testing/relay-fixture.ts';
import { type Tap, tapTransport } from './testing/tap.ts';

const relay = useRelayProcess({
  handleSuffix: 'os',
  relay: { env: { RATE_LIMIT_PASSKEY_PER_IP: '600/60' } },
});

interface Device extends TestUser {
  readonly tap: Tap;
}

async function user(name: string): Promise<Device> {
  const tap = tapTransport();
  return { ...(await relay.newUser(name, { transport: tap.transport })), tap };
}

/** Another device of `owner`'s account (it lists itself: the signed list's next version). */
async function linkDevice(owner: TestUser): Promise<Device> {
  const tap = tapTransport();
  return { ...(await relay.linkDevice(owner, { transport: tap.transport })), tap };
}

/** Alice on two devices, bob, and a direct chat between them with `count` texts from bob. */
async function setup(count = 0) {
  const a1 = await user('alice');
  const a2 = await linkDevice(a1);
  const bob = await user('bob');
  const chat = `u:${bob.userId}`;
  const texts: string[] = [];
  await bob.client.startConversation(a1.handle);
  await a1.client.startConversation(bob.handle);
  for (let i = 0; i < count; i++) {
    const text = uniqueText(`from bob ${i}`);
    texts.push(text);
    await bob.client.sendText({ conversationId: `u:${a1.userId}`, text });
  }
  for (const device of [a1, a2]) {
    await waitFor(async () => {
      const all = await textsOf(device.client, chat).catch((): string[] => []);
      return texts.every((t) => all.includes(t)) ? true : undefined;
    }, 'both of alice devices have the texts');
  }
  return { a1, a2, bob, chat, texts };
}

/** Distinct frame ids a device sent to `userId` (a resend after a mismatch repeats its id). */
function framesTo(tap: Tap, userId: string, from = 0): string[] {
  const ids = new Set<string>();
  for (const f of tap.sent.slice(from)) {
    if (f.t === 'send' && (f as SendFrame).to.some((r) => r.user === userId)) {
      ids.add(Buffer.from((f as SendFrame).id).toString('hex'));
    }
  }
  return [...ids];
}

async function settled(...clients: ParleyClient[]): Promise<void> {
  for (const c of clients) {
    await waitFor(async () => ((await c.outboxSize()) === 0 ? true : undefined), 'outbox empty');
    await c.idle();
  }
}

describe('own-device sync with a real relay', () => {
  it('read on A1 is read on A2 (unread 0), and bob gets one read receipt', async () => {
    const { a1, a2, bob, chat } = await setup(2);
    expect((await a2.client.getConversation(chat)).unread).toBe(2);
    await settled(a1.client, a2.client);
    const a1Before = a1.tap.sent.length;
    const a2Before = a2.tap.sent.length;

    expect(await a1.client.markRead({ conversationId: chat })).toBe(2);
    await waitFor(
      async () => ((await a2.client.getConversation(chat)).unread === 0 ? true : undefined),
      'A2 unread drops to 0',
    );
    const onA2 = (await a2.client.getMessages({ conversationId: chat, limit: 10 })).messages;
    expect(onA2.filter((m) => m.kind === 'text').map((m) => m.state)).toEqual(['read', 'read']);
    await settled(a1.client, a2.client);
    expect(framesTo(a1.tap, bob.userId, a1Before)).toHaveLength(1);
    expect(framesTo(a2.tap, bob.userId, a2Before)).toHaveLength(0);
    // Reading again on A2 has nothing left to report.
    expect(await a2.client.markRead({ conversationId: chat })).toBe(0);
  });

  it('block, unblock, verify and unverify on A1 show on A2', async () => {
    const { a1, a2, bob } = await setup(1);
    await a1.client.blockContact(bob.userId);
    await waitFor(
      async () =>
        (await a2.client.getContact(bob.userId)).status === 'blocked' ? true : undefined,
      'A2 shows bob blocked',
    );
    await a1.client.unblockContact(bob.userId);
    await waitFor(
      async () =>
        (await a2.client.getContact(bob.userId)).status === 'accepted' ? true : undefined,
      'A2 shows bob unblocked',
    );
    const verified = await a1.client.setVerified(bob.userId, true);
    expect(verified.verified).toBe(true);
    await waitFor(
      async () => ((await a2.client.getContact(bob.userId)).verified ? true : undefined),
      'A2 shows bob verified',
    );
    expect((await a2.client.getContact(bob.userId)).safetyNumber?.digits).toBe(
      verified.safetyNumber?.digits,
    );
    await a1.client.setVerified(bob.userId, false);
    await waitFor(
      async () => ((await a2.client.getContact(bob.userId)).verified ? undefined : true),
      'A2 shows bob unverified',
    );
  });

  it('messages and a conversation deleted on A1 are gone on A2; settings changed on A1 apply on A2', async () => {
    const { a1, a2, chat, texts } = await setup(2);
    const settingsSeen = collect(a2.client, 'settings');
    const first = (await a1.client.getMessages({ conversationId: chat, limit: 10 })).messages.find(
      (m) => m.text === texts[0],
    );
    if (first === undefined) throw new Error('no first message on A1');
    expect(await a1.client.deleteMessages({ conversationId: chat, keys: [first.key] })).toBe(1);
    expect(await textsOf(a1.client, chat)).toEqual([texts[1]]);
    await waitFor(
      async () => ((await textsOf(a2.client, chat)).length === 1 ? true : undefined),
      'A2 deleted the message',
    );
    expect(await textsOf(a2.client, chat)).toEqual([texts[1]]);
    expect((await a2.client.getConversation(chat)).unread).toBe(1);

    await a1.client.deleteConversation(chat);
    await waitFor(async () => {
      try {
        await a2.client.getConversation(chat);
        return undefined;
      } catch (e) {
        return isParleyError(e, 'NOT_FOUND') ? true : undefined;
      }
    }, 'A2 deleted the conversation');
    expect(await textsOf(a2.client, chat)).toEqual([]);

    await a1.client.updateSettings({ typingIndicators: false, readReceipts: false });
    await waitFor(
      () => (a2.client.getSettings().typingIndicators ? undefined : true),
      'A2 settings follow',
    );
    expect(a2.client.getSettings()).toEqual({
      readReceipts: false,
      typingIndicators: false,
      showPresence: true,
    });
    expect(settingsSeen.at(-1)).toEqual(a2.client.getSettings());
  });

  it("a peer's sync is ignored", async () => {
    const { a1, bob, chat } = await setup(1);
    // Bob's client queues sync contents to alice as if they were any other content.
    const batch = new Batch(bob.storage.records);
    for (const [i, content] of [
      { v: 1, t: 'sync', k: 'delete-conversation', c: `u:${bob.userId}` },
      { v: 1, t: 'sync', k: 'settings', rr: false, ti: false, sp: false, at: Date.now() },
      { v: 1, t: 'sync', k: 'contact', u: bob.userId, s: 'blocked' },
    ].entries()) {
      stageEntry(
        batch,
        newOutboxEntry({
          id: crypto.getRandomValues(new Uint8Array(16)) as OutboxEntry['id'],
          stamp: 1 + i,
          kind: OutboxKind.SYNC,
          content: encodeContent(content as Parameters<typeof encodeContent>[0]),
          recipients: [a1.userId],
          createdAt: Date.now(),
        }),
      );
    }
    await batch.commit();
    const after = uniqueText('after the forged syncs');
    await bob.client.sendText({ conversationId: `u:${a1.userId}`, text: after });
    await waitFor(
      async () => ((await textsOf(a1.client, chat)).includes(after) ? true : undefined),
      'alice reads the text sent after the syncs',
    );
    await settled(bob.client, a1.client);
    expect((await a1.client.getConversation(chat)).id).toBe(chat);
    expect(a1.client.getSettings()).toEqual({
      readReceipts: true,
      typingIndicators: true,
      showPresence: true,
    });
    expect((await a1.client.getContact(bob.userId)).status).toBe('accepted');
  });

  it('A1 links A3: A2 hears of the new device within 5 s', async () => {
    const a1 = await user('alice');
    const a2 = await linkDevice(a1);
    await settled(a1.client, a2.client);
    const changed = collect(a2.client, 'devices-changed');
    const start = Date.now();
    const a3 = await linkDevice(a1);
    const linkedAt = Date.now();
    const event = await waitFor(
      () => changed.find((e) => e.added.some((d) => d.deviceId === a3.deviceId)),
      'A2 devices-changed naming A3',
    );
    const heard = Date.now();
    expect(heard - linkedAt).toBeLessThan(5_000);
    expect(event.added.map((d) => d.deviceId)).toEqual([a3.deviceId]);
    console.info(
      `devices-changed on A2: ${heard - linkedAt} ms after linking (${heard - start} ms from login)`,
    );
  });

  it('a group invitation accepted on A1 is accepted on A2', async () => {
    const { a1, a2 } = await setup(0);
    const carol = await user('carol');
    const group = await carol.client.createGroup({ name: 'Invite', members: [a1.handle] });
    for (const c of [a1.client, a2.client]) {
      await waitFor(
        async () => (await c.getGroup(group).catch(() => undefined)) ?? undefined,
        'alice has the invitation',
      );
    }
    expect((await a2.client.getGroup(group)).accepted).toBe(false);
    await a1.client.acceptGroup(group);
    await waitFor(
      async () => ((await a2.client.getGroup(group)).accepted ? true : undefined),
      'A2 accepted too',
    );
  });

  it('after A1 unlinks A2, the next group message is unreadable with A2 state', async () => {
    const { a1, a2, bob } = await setup(0);
    const group = await a1.client.createGroup({ name: 'Sync', members: [bob.handle] });
    await waitFor(
      async () => (await bob.client.getGroup(group).catch(() => undefined)) ?? undefined,
      'bob has the group',
    );
    await bob.client.acceptGroup(group);
    const before = uniqueText('both alice devices read this');
    await a1.client.sendText({ conversationId: group, text: before });
    for (const c of [a2.client, bob.client]) {
      await waitFor(
        async () =>
          (await textsOf(c, group).catch((): string[] => [])).includes(before) ? true : undefined,
        'group text arrives',
      );
    }

    await a1.client.signedDeviceList.remove(a2.deviceId);
    const after = uniqueText('after unlinking A2');
    await a1.client.sendText({ conversationId: group, text: after });
    await waitFor(
      async () => ((await textsOf(bob.client, group)).includes(after) ? true : undefined),
      'bob reads the message after the unlink',
    );
    const latest = a1.tap.sent
      .filter((f): f is SendFrame & { body: Uint8Array } => f.t === 'send' && f.body !== undefined)
      .at(-1);
    if (latest === undefined) throw new Error('group frame not captured');
    await a2.client.ingestFrame(
      encodeServerFrame({
        t: 'deliver',
        qid: 9_000_001,
        id: latest.id,
        from: a1.userId,
        fromDevice: a1.deviceId,
        body: latest.body,
        sentAt: Date.now(),
      }),
    );
    await a2.client.idle();
    expect(await textsOf(a2.client, group)).toEqual([before]);
  });
});
