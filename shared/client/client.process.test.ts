/**
 * The client core against the REAL relay: a Deno process on a free port with
 * a temp libSQL file (edge/testing/relay-process.ts), real WebSockets (`ws`),
 * real passkey ceremonies (software authenticator), real crypto, memory
 * storage. After every scenario the relay's database file and WAL are scanned
 * for every plaintext sent, and every client's records are checked to hold
 * plaintext only where the message store keeps it (msg/, conv/, outbox/, sent/).
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { toBase64Url } from '../bytes.ts';
import { certifyDevice } from '../crypto/device-certificate.ts';
import { generateDeviceKeySet } from '../crypto/device-key-set.ts';
import { generateSigningKeyPair } from '../crypto/ed25519.ts';
import { generateIdentityKeyPair } from '../crypto/identity.ts';
import { systemRandom } from '../crypto/random.ts';
import { ErrorCode, isParleyError, type ParleyError } from '../errors.ts';
import { decodeCbor, encodeCbor } from '../wire/cbor.ts';
import { createClient } from './client.ts';
import type { FetchLike } from './deps.ts';
import { RelayApi } from './relay/relay-api.ts';
import {
  collect,
  messagesOf,
  nodeClientDeps,
  nodeFetch,
  nodeTimers,
  type TestUser,
  textsOf,
  uniqueText,
  waitFor,
  waitTexts,
} from './testing/harness.ts';
import { useRelayProcess } from './testing/relay-fixture.ts';

// The prekey test drains 85 of one device's one-time prekeys from one requester: above the
// relay's per-target budget (50/h by default), which would withhold the rest.
const relay = useRelayProcess({
  relay: { env: { RATE_LIMIT_ONE_TIME_PREKEYS_PER_TARGET: '1000/3600' } },
});
const everyone: TestUser[] = [];
const plaintexts: string[] = [];

/** A unique plaintext, remembered for the leak scans. */
function say(text: string): string {
  const unique = uniqueText(text);
  plaintexts.push(unique);
  return unique;
}

afterEach(async () => {
  const encoder = new TextEncoder();
  const files = [relay.process.dbPath, `${relay.process.dbPath}-wal`]
    .filter((p) => existsSync(p))
    .map((p) => readFileSync(p));
  for (const text of plaintexts) {
    const needle = Buffer.from(encoder.encode(text));
    for (const bytes of files) expect(bytes.indexOf(needle)).toBe(-1);
  }
  for (const u of everyone) {
    for (const [key, value] of await u.storage.records.list('')) {
      const bytes = Buffer.from(value);
      const leaks = plaintexts.some((t) => bytes.indexOf(Buffer.from(encoder.encode(t))) >= 0);
      if (leaks) expect(key).toMatch(/^(msg|conv|outbox|sent)\//);
    }
  }
});

async function user(name: string, fetchImpl?: FetchLike): Promise<TestUser> {
  const u = await relay.newUser(name, fetchImpl === undefined ? {} : { fetch: fetchImpl });
  everyone.push(u);
  return u;
}

/** A second device of `owner`'s account: passkey login, identity handed over, registered, started. */
async function linkDevice(owner: TestUser): Promise<TestUser> {
  const linked = await relay.linkDevice(owner);
  everyone.push(linked);
  return linked;
}

/** The relay's count of `mismatch` answers (its Prometheus metrics). */
async function relayMismatches(): Promise<number> {
  const text = await (await relay.process.http('/metrics')).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('parley_rejections_total{code="DEVICE_MISMATCH"}'));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe('client core with a real relay', () => {
  it('two accounts exchange encrypted messages both ways, with delivered and read receipts', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const chat = await alice.client.startConversation(bob.handle);
    expect(chat.title).toBe(bob.handle);
    const first = say('hello bob');
    const sent = await alice.client.sendText({ conversationId: chat.id, text: first });
    expect(sent.state).toBe('sending');

    const bobChat = `u:${alice.userId}`;
    expect(await waitTexts(bob.client, bobChat, 1, 'bob receives')).toEqual([first]);
    // Bob had never heard of Alice: a message request, titled with her verified handle.
    const request = await bob.client.getConversation(bobChat);
    expect(request).toMatchObject({ isRequest: true, unread: 1, title: alice.handle });

    // Nothing goes back to someone whose request Bob has not accepted: no delivery receipt.
    await waitFor(
      async () => (await messagesOf(alice.client, chat.id))[0]?.state === 'stored',
      'stored',
    );
    await bob.client.idle();
    expect((await messagesOf(alice.client, chat.id))[0]?.state).toBe('stored');

    const reply = say('hi alice');
    await bob.client.sendText({ conversationId: bobChat, text: reply });
    expect((await bob.client.getConversation(bobChat)).isRequest).toBe(false); // replying accepts
    expect(await waitTexts(alice.client, chat.id, 2, 'alice receives')).toEqual([first, reply]);
    expect((await alice.client.getConversation(chat.id)).unread).toBe(1);

    // Delivered: once accepted, Bob's client sends encrypted delivery receipts.
    const second = say('second message');
    await alice.client.sendText({ conversationId: chat.id, text: second });
    await waitTexts(bob.client, bobChat, 2, 'bob receives the second');
    await waitFor(
      async () =>
        (await messagesOf(alice.client, chat.id)).find((m) => m.text === second)?.state ===
        'delivered',
      'delivered',
    );

    // Read: Bob reads Alice's messages; she sees `read`.
    expect(await bob.client.markRead({ conversationId: bobChat })).toBe(2);
    expect((await bob.client.getConversation(bobChat)).unread).toBe(0);
    await waitFor(
      async () => (await messagesOf(alice.client, chat.id))[0]?.state === 'read',
      'read',
    );

    // Typing indicators: encrypted, transient, shown for accepted contacts.
    const typing = collect(bob.client, 'typing');
    expect(await alice.client.sendTyping({ conversationId: chat.id, typing: true })).toBe(true);
    await waitFor(() => typing.length > 0, 'typing indicator');
    expect(typing[0]).toEqual({ conversationId: bobChat, userId: alice.userId, typing: true });

    // Both sides compute the same safety number.
    const a = await alice.client.getContact(bob.userId);
    const b = await bob.client.getContact(alice.userId);
    expect(a.safetyNumber?.digits).toHaveLength(60);
    expect(a.safetyNumber?.digits).toBe(b.safetyNumber?.digits);
  });

  it("delivers to every device: a second device gets incoming messages and its own account's sent ones", async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const chat = await alice.client.startConversation(bob.handle);
    await alice.client.sendText({ conversationId: chat.id, text: say('before the second device') });
    await waitTexts(bob.client, `u:${alice.userId}`, 1, 'bob receives the first');

    const alice2 = await linkDevice(alice);
    expect(alice2.deviceId).not.toBe(alice.deviceId);
    // Alice's first device learns the new device from its session start.
    await waitFor(async () => {
      const raw = await alice.storage.records.get(`devices/${alice.userId}`);
      const list = raw === undefined ? [] : (decodeCbor(raw).devices as number[]);
      return list.includes(alice2.deviceId);
    }, 'alice1 learns alice2');

    // Bob still addresses only alice1: the relay answers mismatch, his client fixes it and resends.
    const fromBob = say('to both of your devices');
    await bob.client.sendText({ conversationId: `u:${alice.userId}`, text: fromBob });
    expect(await waitTexts(alice.client, chat.id, 2, 'alice1 receives')).toContain(fromBob);
    expect(await waitTexts(alice2.client, chat.id, 1, 'alice2 receives')).toEqual([fromBob]);

    // Alice writes from device 1: device 2 gets the sync transcript as an outgoing message.
    const fromAlice = say('sent from my first device');
    await alice.client.sendText({ conversationId: chat.id, text: fromAlice });
    await waitTexts(alice2.client, chat.id, 2, 'alice2 receives the sync copy');
    const synced = (await messagesOf(alice2.client, chat.id)).find((m) => m.text === fromAlice);
    expect(synced).toMatchObject({
      outgoing: true,
      author: alice.userId,
      authorDevice: alice.deviceId,
    });
    expect((await alice2.client.getConversation(chat.id)).title).toBe(bob.handle);
    expect(await waitTexts(bob.client, `u:${alice.userId}`, 2, 'bob receives')).toContain(
      fromAlice,
    );

    // Reading on device 2 clears the unread count on device 1 (read sync).
    expect((await alice.client.getConversation(chat.id)).unread).toBe(1);
    await alice2.client.markRead({ conversationId: chat.id });
    await waitFor(
      async () => (await alice.client.getConversation(chat.id)).unread === 0,
      'read sync',
    );
  });

  it('an offline client (a new client object on the same storage) receives everything, in order', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const chat = await alice.client.startConversation(bob.handle);
    await alice.client.sendText({ conversationId: chat.id, text: say('warm up') });
    const bobChat = `u:${alice.userId}`;
    await waitTexts(bob.client, bobChat, 1, 'bob online');

    await bob.client.stop(); // the worker dies: only the storage survives
    const sentWhileAway: string[] = [];
    for (let i = 0; i < 25; i++) {
      const text = say(`while you were away ${i}`);
      sentWhileAway.push(text);
      await alice.client.sendText({ conversationId: chat.id, text });
    }
    await waitFor(async () => {
      const all = await messagesOf(alice.client, chat.id);
      return (
        all.filter((m) => m.state === 'stored' && sentWhileAway.includes(m.text)).length === 25
      );
    }, 'all stored on the relay');

    const revived = createClient(nodeClientDeps({ storage: bob.storage }));
    relay.track(revived);
    const drained = collect(revived, 'drained');
    await revived.start();
    const all = await waitTexts(revived, bobChat, 26, 'bob catches up');
    expect(all.slice(1)).toEqual(sentWhileAway);
    await waitFor(() => drained.length > 0, 'backlog drained');
    expect((await revived.getConversation(bobChat)).unread).toBe(26);
  });

  it('survives the relay being killed (SIGKILL) and restarted mid-conversation: nothing lost, nothing twice', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const chat = await alice.client.startConversation(bob.handle);
    const bobChat = `u:${alice.userId}`;
    const fromAlice: string[] = [];
    const fromBob: string[] = [];
    const send = async (who: TestUser, conversationId: string, list: string[], i: number) => {
      const text = say(`${who === alice ? 'a' : 'b'} message ${i}`);
      list.push(text);
      await who.client.sendText({ conversationId, text });
    };
    for (let i = 0; i < 10; i++) await send(alice, chat.id, fromAlice, i);
    await waitTexts(bob.client, bobChat, 1, 'bob has the first');
    await send(bob, bobChat, fromBob, 0);

    await relay.process.kill9();
    for (let i = 10; i < 20; i++) await send(alice, chat.id, fromAlice, i);
    for (let i = 1; i < 6; i++) await send(bob, bobChat, fromBob, i);
    await waitFor(() => alice.client.status().state === 'retrying', 'alice notices');
    const status = alice.client.status();
    expect(status.state === 'retrying' && status.nextRetryAt).toBeGreaterThan(0);
    await relay.process.restart();
    alice.client.reconnectNow();
    bob.client.reconnectNow();

    // Each side's timeline holds all 20 + 6 messages: its own and everything from the other.
    await waitTexts(bob.client, bobChat, 26, 'bob receives all');
    await waitTexts(alice.client, chat.id, 26, 'alice receives all');
    await bob.client.idle();
    await alice.client.idle();
    const bobHas = await textsOf(bob.client, bobChat);
    const aliceHas = await textsOf(alice.client, chat.id);
    expect(bobHas).toHaveLength(26);
    expect(aliceHas).toHaveLength(26);
    expect(bobHas.filter((t) => fromAlice.includes(t))).toEqual(fromAlice);
    expect(aliceHas.filter((t) => fromBob.includes(t))).toEqual(fromBob);
    expect(new Set(bobHas).size).toBe(bobHas.length);
    expect(new Set(aliceHas).size).toBe(aliceHas.length);
    await waitFor(async () => {
      const mine = (await messagesOf(alice.client, chat.id)).filter((m) => m.outgoing);
      return mine.every((m) => m.state !== 'sending');
    }, 'every message acknowledged by the relay');
  });

  it('fixes a stale device list transparently: a new device is added, a removed one dropped', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const chat = await alice.client.startConversation(bob.handle);
    await alice.client.sendText({ conversationId: chat.id, text: say('one device') });
    const bobChat = `u:${alice.userId}`;
    await waitTexts(bob.client, bobChat, 1, 'bob1');

    const bob2 = await linkDevice(bob);
    const mismatchesBefore = await relayMismatches();
    const missing = say('now to two devices');
    await alice.client.sendText({ conversationId: chat.id, text: missing });
    expect(await waitTexts(bob2.client, bobChat, 1, 'bob2 receives after mismatch')).toEqual([
      missing,
    ]);
    await waitTexts(bob.client, bobChat, 2, 'bob1 receives');
    expect(await relayMismatches()).toBeGreaterThan(mismatchesBefore);

    // Bob unlinks device 2 (list v+1 without it; the plain DELETE is refused for a listed
    // device, DEVICE_LISTED): Alice's next send meets `stale`.
    const session = await bob.client.login(bob.authenticator);
    const response = await nodeFetch(`${relay.url}/v1/devices/${bob2.deviceId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${session.token}` },
    });
    expect(response.status).toBe(409);
    await bob.client.signedDeviceList.remove(bob2.deviceId);
    const beforeStale = await relayMismatches();
    const stale = say('device 2 is gone');
    const sent = await alice.client.sendText({ conversationId: chat.id, text: stale });
    await waitTexts(bob.client, bobChat, 3, 'bob1 receives after stale');
    expect(await relayMismatches()).toBeGreaterThan(beforeStale);
    await waitFor(
      async () =>
        (await messagesOf(alice.client, chat.id)).find((m) => m.id === sent.id)?.state !==
        'sending',
      'stored',
    );
    expect(await textsOf(bob2.client, bobChat)).toEqual([missing]);
  });

  it('blocks sending after a contact identity change until it is acknowledged', async () => {
    // Alice's HTTP goes through a switchable man in the middle that swaps Bob's identity and keys.
    let mitmUser: string | undefined;
    const fake = await fakeKeys();
    const mitm: FetchLike = async (url, init) => {
      const response = await fetch(url, init);
      if (mitmUser === undefined || !url.includes(`/v1/users/${mitmUser}/`)) return response;
      return fake.rewrite(mitmUser, response);
    };
    const alice = await user('alice', mitm);
    const bob = await user('bob');
    const chat = await alice.client.startConversation(bob.handle);
    await alice.client.sendText({ conversationId: chat.id, text: say('before') });
    const bobChat = `u:${alice.userId}`;
    await waitTexts(bob.client, bobChat, 1, 'bob receives');
    const before = await alice.client.getContact(bob.userId);
    expect(before.identityChange).toBeNull();
    await alice.client.setVerified(bob.userId, true);

    mitmUser = bob.userId;
    const contactEvents = collect(alice.client, 'contact');
    await alice.client.startConversation(bob.handle); // the relay now presents another identity
    const changed = await alice.client.getContact(bob.userId);
    expect(changed.identityChange).not.toBeNull();
    expect(changed.verified).toBe(false);
    expect(changed.safetyNumber?.digits).not.toBe(before.safetyNumber?.digits);
    expect(contactEvents.some((e) => e.userId === bob.userId)).toBe(true);
    expect((await alice.client.getConversation(chat.id)).identityChanged).toBe(true);
    const timeline = await messagesOf(alice.client, chat.id);
    expect(timeline[timeline.length - 1]).toMatchObject({
      kind: 'system',
      system: 'identity-changed',
    });

    const blocked = await alice.client
      .sendText({ conversationId: chat.id, text: say('must not go out') })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isParleyError(blocked, 'IDENTITY_CHANGED')).toBe(true);

    await alice.client.acknowledgeIdentityChange(bob.userId);
    expect((await alice.client.getContact(bob.userId)).identityChange).toBeNull();
    // Now it goes out, to the keys Alice accepted: the real Bob cannot read it and says so.
    const undecryptable = collect(bob.client, 'undecryptable');
    const accepted = await alice.client.sendText({
      conversationId: chat.id,
      text: say('to the new key'),
    });
    await waitFor(
      async () =>
        (await messagesOf(alice.client, chat.id)).find((m) => m.id === accepted.id)?.state ===
        'stored',
      'stored',
    );
    await waitFor(() => undecryptable.length > 0, 'bob cannot decrypt');
    const bobTimeline = await messagesOf(bob.client, bobChat);
    expect(bobTimeline.some((m) => m.system === 'decrypt-failed')).toBe(true);
  });

  it('names what a handle lookup found: HANDLE_NOT_FOUND with the handle, OWN_HANDLE for our own', async () => {
    const alice = await user('alice');
    const missing = await alice.client.startConversation('@Nobody.Here').catch((e: unknown) => e);
    expect(isParleyError(missing, ErrorCode.HANDLE_NOT_FOUND)).toBe(true);
    expect((missing as ParleyError).details).toEqual({ handle: 'nobody.here' });
    const own = await alice.client.startConversation(alice.handle).catch((e: unknown) => e);
    expect(isParleyError(own, ErrorCode.OWN_HANDLE)).toBe(true);
  });

  it('converges when both sides start the conversation at the same time', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const aliceChat = (await alice.client.startConversation(bob.handle)).id;
    const bobChat = (await bob.client.startConversation(alice.handle)).id;
    const a = [say('simultaneous a1'), say('simultaneous a2')];
    const b = [say('simultaneous b1'), say('simultaneous b2')];
    await Promise.all([
      ...a.map((text) => alice.client.sendText({ conversationId: aliceChat, text })),
      ...b.map((text) => bob.client.sendText({ conversationId: bobChat, text })),
    ]);
    await waitTexts(alice.client, aliceChat, 4, 'alice has both sides');
    await waitTexts(bob.client, bobChat, 4, 'bob has both sides');
    // Later messages still decrypt on both sides (the sessions settled on one active each).
    const later = [say('after the race, from alice'), say('after the race, from bob')];
    await alice.client.sendText({ conversationId: aliceChat, text: later[0] as string });
    await bob.client.sendText({ conversationId: bobChat, text: later[1] as string });
    expect(await waitTexts(alice.client, aliceChat, 6, 'alice later')).toContain(later[1]);
    expect(await waitTexts(bob.client, bobChat, 6, 'bob later')).toContain(later[0]);
    const undecryptable = (await messagesOf(bob.client, bobChat)).filter(
      (m) => m.kind === 'system',
    );
    expect(undecryptable).toEqual([]);
  });
  it('handles concurrent sends from both sides', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const chat = await alice.client.startConversation(bob.handle);
    const bobChat = `u:${alice.userId}`;
    const a = Array.from({ length: 30 }, (_, i) => say(`concurrent a${i}`));
    const b = Array.from({ length: 30 }, (_, i) => say(`concurrent b${i}`));
    await alice.client.sendText({ conversationId: chat.id, text: a[0] as string });
    await waitTexts(bob.client, bobChat, 1, 'first');
    await Promise.all([
      ...a.slice(1).map((text) => alice.client.sendText({ conversationId: chat.id, text })),
      ...b.map((text) => bob.client.sendText({ conversationId: bobChat, text })),
    ]);
    const atBob = await waitTexts(bob.client, bobChat, 60, 'bob has all');
    const atAlice = await waitTexts(alice.client, chat.id, 60, 'alice has all');
    // Each side's own messages in the order its sends were queued; each peer's in sending order.
    expect(atBob.filter((t) => a.includes(t)).sort()).toEqual([...a].sort());
    expect(atAlice.filter((t) => b.includes(t))).toEqual(
      (await textsOf(bob.client, bobChat)).filter((t) => b.includes(t)),
    );
    expect(new Set(atBob).size).toBe(60);
    expect(new Set(atAlice).size).toBe(60);
  });

  it('keeps prekeys stocked: refills one-time prekeys below 20 and rotates an old signed prekey', async () => {
    const alice = await user('alice');
    const carol = await user('carol');
    const asDevice = async (u: TestUser) => {
      const key = await u.storage.keys.getKey('device-key');
      if (key === undefined) throw new Error('no device key');
      return new RelayApi({
        baseUrl: relay.url,
        fetch: nodeFetch,
        now: () => Date.now(),
        timers: nodeTimers,
        signer: { user: u.userId, device: u.deviceId, key },
      });
    };
    const carolApi = await asDevice(carol);
    const aliceApi = await asDevice(alice);
    for (let i = 0; i < 85; i++) await carolApi.bundle(alice.userId, alice.deviceId);
    expect((await aliceApi.prekeyStatus()).oneTimePreKeys).toBe(15);

    // The signed prekey turns 8 days old.
    const raw = await alice.storage.records.get('prekey/spk/0000000001');
    if (raw === undefined) throw new Error('no signed prekey');
    const spk = decodeCbor(raw) as Record<string, unknown>;
    await alice.storage.records.write([
      {
        op: 'set',
        key: 'prekey/spk/0000000001',
        value: encodeCbor({ ...spk, createdAt: Date.now() - 8 * 86_400_000 }),
      },
    ]);
    const result = await alice.client.maintainPrekeys();
    expect(result).toMatchObject({
      uploadedOneTimePreKeys: 85,
      rotatedSigned: true,
      rotatedKem: false,
    });
    const status = await aliceApi.prekeyStatus();
    // One-time ML-KEM prekeys: the 85 fetches took every one, and maintenance refilled 30.
    expect(status).toEqual({
      oneTimePreKeys: 100,
      signedPreKeyId: 2,
      kemPreKeyId: 1,
      oneTimeKemPreKeys: 30,
    });
    const heldKem = (await alice.storage.records.list('prekey/okem/')).length;
    // The old signed prekey stays (retired) for late first messages.
    const old = await alice.storage.records.get('prekey/spk/0000000001');
    expect(
      old === undefined ? undefined : (decodeCbor(old) as { retiredAt?: number }).retiredAt,
    ).toBeGreaterThan(0);

    // A new contact reaches Alice through the rotated keys.
    const chat = await carol.client.startConversation(alice.handle);
    const hello = say('after rotation');
    await carol.client.sendText({ conversationId: chat.id, text: hello });
    expect(await waitTexts(alice.client, `u:${carol.userId}`, 1, 'alice receives')).toEqual([
      hello,
    ]);
    // That session used a one-time ML-KEM prekey: handed out once, its private half deleted.
    expect((await aliceApi.prekeyStatus()).oneTimeKemPreKeys).toBe(29);
    expect(await alice.storage.records.list('prekey/okem/')).toHaveLength(heldKem - 1);
  });
});

/** A complete fake key set (identity, device keys, prekeys) that a man in the middle would present. */
async function fakeKeys() {
  const identity = await generateIdentityKeyPair(true);
  const set = await generateDeviceKeySet(
    { random: systemRandom, now: () => Date.now() },
    { identity, oneTimePreKeyCount: 20 },
  );
  const deviceKey = await generateSigningKeyPair(true);
  const b64 = toBase64Url;
  let opk = 0;
  const identityJson = {
    dh: b64(identity.dh.publicKey),
    sig: b64(identity.signing.publicKey),
    binding: b64(identity.binding),
  };
  return {
    async rewrite(user: string, response: Response): Promise<Response> {
      if (response.status !== 200) return response;
      const body = JSON.parse(await response.text()) as {
        identity: unknown;
        devices: Array<Record<string, unknown> & { id: number; createdAt: number }>;
      };
      body.identity = identityJson;
      for (const device of body.devices) {
        const certificate = await certifyDevice(identity, {
          userId: user,
          deviceId: device.id,
          deviceKey: deviceKey.publicKey,
          createdAt: device.createdAt,
        });
        device.key = b64(deviceKey.publicKey);
        device.certificate = b64(certificate.signature);
        if ('signedPreKey' in device) {
          device.signedPreKey = {
            id: set.signedPreKey.id,
            publicKey: b64(set.signedPreKey.keyPair.publicKey),
            signature: b64(set.signedPreKey.signature),
          };
          device.kemPreKey = {
            id: set.kemPreKey.id,
            publicKey: b64(set.kemPreKey.keyPair.publicKey),
            signature: b64(set.kemPreKey.signature),
          };
          const one = set.oneTimePreKeys[opk++ % set.oneTimePreKeys.length];
          if (one !== undefined)
            device.oneTimePreKey = { id: one.id, publicKey: b64(one.keyPair.publicKey) };
        }
      }
      return new Response(JSON.stringify(body), { status: 200, headers: response.headers });
    },
  };
}
