/**
 * Threats L1, L4 and L5 of the linking design (../shared/research/multidevice.md
 * §3.5; docs/protocol.md, "Device list", threats table), with the REAL relay
 * process, which plays the adversary through what it answers: its REST
 * answers are rewritten in flight on the way to the peer (`hostileFetch`),
 * and its socket frames through the peer's transport (testing/tap.ts).
 *
 *  - L1: the relay puts a device D' into alice's directory that her signed
 *    list does not name (one with a genuine certificate, one with a forged
 *    one): bob addresses no ciphertext to it and refuses what it sends
 *    (DEVICE_NOT_LISTED), while every genuine message of alice's arrives.
 *  - L4: the relay serves alice's v1 after bob holds v2 (rollback: ignored,
 *    sends still reach the device v2 added) and another v2 (fork: sends to
 *    alice fail with DEVICE_LIST_FORK, said on the message, until a newer
 *    version that chains, or bob re-verifies alice).
 *  - L5: after alice removes A2: nothing new is addressed to A2, its
 *    requests get 401 and its socket closes 4001, its queue and prekeys are
 *    gone from the relay's database, and bob's group sender key rotated (A2's
 *    stored chains do not decrypt the next group message).
 * Each test names the check it exercises; each fails with that check disabled.
 */
import { createClient as createDbClient } from '@libsql/client';
import { describe, expect, it } from 'vitest';
import { fromHex, toBase64Url, toHex } from '../bytes.ts';
import { type SignedDeviceList, signDeviceList } from '../crypto/device-list.ts';
import { importSigningPrivate } from '../crypto/ed25519.ts';
import { systemRandom } from '../crypto/random.ts';
import { parseGroupMessageHeader } from '../crypto/sender-key-message.ts';
import { decryptGroupMessage } from '../crypto/sender-keys.ts';
import { errorOf } from '../testing/errors.ts';
import type { DeliverFrame, SendFrame } from '../wire/frames.ts';
import type { ParleyClient } from './client.ts';
import { createClient } from './client.ts';
import type { FetchLike } from './deps.ts';
import { readHeldList } from './devices/held-lists.ts';
import { readMemberKey } from './groups/store.ts';
import { Batch } from './store/batch.ts';
import {
  collect,
  messagesOf,
  nodeClientDeps,
  nodeFetch,
  type TestUser,
  textsOf,
  uniqueText,
  waitFor,
} from './testing/harness.ts';
import { useRelayProcess } from './testing/relay-fixture.ts';
import { type Tap, tapTransport } from './testing/tap.ts';

const relay = useRelayProcess({ handleSuffix: 'dt' });

type Json = Record<string, unknown>;

/** The relay's REST answers to one client, rewritable in flight (JSON GETs). */
interface HostileFetch {
  readonly fetch: FetchLike;
  /** "METHOD /path" of every request, oldest first. */
  readonly log: string[];
  /** "METHOD /path status" of every answer, oldest first. */
  readonly answers: string[];
  /** A changed JSON answer for a GET of `path`, or undefined to pass it through. */
  rewrite: (path: string, body: Json) => Json | undefined;
  /** Return an answer to send instead of calling the relay, or undefined. */
  refuse: (method: string, path: string) => { status: number; body: Json } | undefined;
}

function hostileFetch(): HostileFetch {
  const h: HostileFetch = {
    log: [],
    answers: [],
    rewrite: () => undefined,
    refuse: () => undefined,
    fetch: async (url, init) => {
      const path = new URL(url).pathname;
      h.log.push(`${init.method} ${path}`);
      const refused = h.refuse(init.method, path);
      if (refused !== undefined) {
        return new Response(JSON.stringify(refused.body), {
          status: refused.status,
          headers: { 'content-type': 'application/json' },
        });
      }
      const res = await nodeFetch(url, init);
      h.answers.push(`${init.method} ${path} ${res.status}`);
      const json = res.headers.get('content-type')?.includes('application/json') === true;
      if (init.method !== 'GET' || res.status !== 200 || !json) return res;
      const body = JSON.parse(new TextDecoder().decode(await res.arrayBuffer())) as Json;
      return new Response(JSON.stringify(h.rewrite(path, body) ?? body), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    },
  };
  return h;
}

interface Peer extends TestUser {
  readonly tap: Tap;
  readonly http: HostileFetch;
}

async function user(name: string): Promise<Peer> {
  const tap = tapTransport();
  const http = hostileFetch();
  const u = await relay.newUser(name, { transport: tap.transport, fetch: http.fetch });
  return { ...u, tap, http };
}

/** Another device of `owner`'s account (the identity handed over as linking does). */
async function anotherDevice(owner: TestUser, options: { listed: boolean }): Promise<Peer> {
  const session = await owner.client.login(owner.authenticator);
  const identity = await owner.client.exportIdentity();
  const tap = tapTransport();
  const http = hostileFetch();
  // An unlisted device cannot publish a list naming itself (it plays one the account never listed).
  if (!options.listed) {
    http.refuse = (method, path) =>
      method === 'PUT' && path === '/v1/device-list'
        ? { status: 400, body: { error: { code: 'DEVICE_LIST_INVALID', message: 'test' } } }
        : undefined;
  }
  const deps = nodeClientDeps({ transport: tap.transport, fetch: http.fetch });
  const client = createClient(deps);
  const info = await client.joinAccount({ relayUrl: relay.url, session, identity });
  await client.start();
  if (options.listed) await client.signedDeviceList.ensureSelfListed();
  relay.track(client);
  return {
    ...owner,
    client,
    storage: deps.storage,
    userId: info.userId,
    deviceId: info.deviceId,
    tap,
    http,
  };
}

/** Alice's own list as her device holds it, once it has one. */
async function ownList(owner: TestUser, version: number): Promise<SignedDeviceList> {
  return waitFor(async () => {
    const list = await owner.client.signedDeviceList.current();
    return list !== undefined && list.version >= version ? list : undefined;
  }, `own list v${version}`);
}

/**
 * Device ids of `to` that `peer`'s send frames addressed, from the `from`-th
 * frame on; `stored`: only frames the relay answered `stored` (a frame it
 * answered `mismatch` stored nothing anywhere).
 */
function addressed(peer: Peer, to: string, from = 0, stored = false): number[] {
  const storedIds = new Set(
    peer.tap.received.filter((f) => f.t === 'stored').map((f) => toHex(f.id)),
  );
  const sends = peer.tap.sent.slice(from).filter((f): f is SendFrame => f.t === 'send');
  // A resend after `mismatch` keeps the id: only the last frame of an id was the one stored.
  const last = new Map(sends.map((f) => [toHex(f.id), f]));
  return sends
    .filter((f) => !stored || (storedIds.has(toHex(f.id)) && last.get(toHex(f.id)) === f))
    .flatMap((f) =>
      f.to.filter((r) => r.user === to).flatMap((r) => r.devices.map((d) => d.device)),
    );
}

async function waitText(client: ParleyClient, conversationId: string, text: string) {
  await waitFor(async () => (await textsOf(client, conversationId)).includes(text), text);
}

async function settled(client: ParleyClient, conversationId: string, id: string) {
  return waitFor(async () => {
    const m = (await messagesOf(client, conversationId)).find((x) => x.id === id);
    return m !== undefined && m.state !== 'sending' ? m : undefined;
  }, 'message settled');
}

/** Alice and bob with a chat both ways: bob holds alice's list and sessions with her devices. */
async function chatting(alice: Peer, bob: Peer) {
  const bobChat = (await bob.client.startConversation(alice.handle)).id;
  const hello = uniqueText('bob hello');
  await bob.client.sendText({ conversationId: bobChat, text: hello });
  const aliceChat = `u:${bob.userId}`;
  await waitText(alice.client, aliceChat, hello);
  await alice.client.acceptRequest(bob.userId);
  const reply = uniqueText('alice reply');
  await alice.client.sendText({ conversationId: aliceChat, text: reply });
  await waitText(bob.client, bobChat, reply);
  return { bobChat, aliceChat, genuine: [hello, reply] };
}

function devicesOf(path: string, user: string): boolean {
  return path === `/v1/users/${user}/devices` || path.startsWith(`/v1/users/${user}/bundles`);
}

describe('L1: a device the relay adds to a directory', () => {
  it('with a genuine certificate but unlisted: bob addresses it nothing and refuses what it sends', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await ownList(alice, 1);
    // D' holds a valid certificate of alice's identity; her signed list never named it.
    const injected = await anotherDevice(alice, { listed: false });
    expect((await alice.client.signedDeviceList.current())?.devices.map((d) => d.deviceId)).toEqual(
      [alice.deviceId],
    );
    const undecryptable = collect(bob.client, 'undecryptable');
    const { bobChat, aliceChat, genuine } = await chatting(alice, bob);
    // The relay served D' with alice's bundles...
    expect(bob.http.log).toContain(`GET /v1/users/${alice.userId}/bundles`);
    // ...and bob's fan-out skipped it (sessions.ts sessionsFromBundles: "not addressed" unless listed).
    expect(addressed(bob, alice.userId)).not.toContain(injected.deviceId);
    expect(new Set(addressed(bob, alice.userId))).toEqual(new Set([alice.deviceId]));

    // D' writes to bob: refused unread (devices/sender-check.ts senderListed).
    const fromInjected = uniqueText('from the injected device');
    const dChat = (await injected.client.startConversation(bob.handle)).id;
    const sent = await injected.client.sendText({ conversationId: dChat, text: fromInjected });
    expect((await settled(injected.client, dChat, sent.id)).state).not.toBe('failed');
    await waitFor(
      () => undecryptable.some((e) => e.deviceId === injected.deviceId),
      'bob refuses D',
    );
    expect(undecryptable.filter((e) => e.deviceId === injected.deviceId)).toEqual([
      { userId: alice.userId, deviceId: injected.deviceId, code: 'DEVICE_NOT_LISTED' },
    ]);

    // Alice's genuine messages keep arriving, and bob's timeline shows exactly them.
    const more = uniqueText('alice again');
    await alice.client.sendText({ conversationId: aliceChat, text: more });
    await waitText(bob.client, bobChat, more);
    await bob.client.idle();
    expect(await textsOf(bob.client, bobChat)).toEqual([...genuine, more]);
    const back = uniqueText('bob again');
    const again = await bob.client.sendText({ conversationId: bobChat, text: back });
    await waitText(alice.client, aliceChat, back);
    expect((await settled(bob.client, bobChat, again.id)).state).not.toBe('failed');
    expect(addressed(bob, alice.userId)).not.toContain(injected.deviceId);
  });

  it('with a forged certificate: bob addresses it nothing and refuses a frame from it', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await ownList(alice, 1);
    const forgedId = 1_999_999_999;
    // The relay adds D' (a copy of alice's bundle under another id and key, its certificate forged).
    bob.http.rewrite = (path, body) => {
      if (!devicesOf(path, alice.userId)) return undefined;
      const devices = body.devices as Json[];
      const genuine = devices[0] as Json;
      const forged = {
        ...genuine,
        id: forgedId,
        key: toBase64Url(systemRandom(32)),
        certificate: toBase64Url(systemRandom(64)),
      };
      return { ...body, devices: [...devices, forged] };
    };
    const undecryptable = collect(bob.client, 'undecryptable');
    const { bobChat, aliceChat, genuine } = await chatting(alice, bob);
    // Fan-out (sessionsFromBundles' list check): D' never addressed, and the send did not fail.
    expect(new Set(addressed(bob, alice.userId))).toEqual(new Set([alice.deviceId]));

    // The relay hands bob a frame "from D'" before alice's next genuine message.
    let fake = 3_000_000;
    bob.tap.rewriteIncoming = (f) => {
      if (f.t !== 'deliver' || f.from !== alice.userId || f.fromDevice !== alice.deviceId)
        return undefined;
      bob.tap.rewriteIncoming = () => undefined;
      const forged: DeliverFrame = {
        ...f,
        qid: ++fake,
        id: systemRandom(16) as DeliverFrame['id'],
        fromDevice: forgedId,
      };
      return [forged, f];
    };
    const more = uniqueText('alice again');
    await alice.client.sendText({ conversationId: aliceChat, text: more });
    await waitText(bob.client, bobChat, more);
    await waitFor(() => undecryptable.length > 0, 'bob refuses the forged frame');
    // sender-check.ts: refused as unlisted before any decryption is tried.
    expect(undecryptable).toEqual([
      { userId: alice.userId, deviceId: forgedId, code: 'DEVICE_NOT_LISTED' },
    ]);
    await bob.client.idle();
    expect(await textsOf(bob.client, bobChat)).toEqual([...genuine, more]);
    const timeline = await messagesOf(bob.client, bobChat);
    expect(timeline.filter((m) => m.system === 'decrypt-failed')).toEqual([]);
  });
});

/** A v2 of alice's that chains to v1 but is not the one she published (needs her identity key). */
async function otherVersion(owner: TestUser, after: SignedDeviceList): Promise<SignedDeviceList> {
  const identity = await owner.client.exportIdentity();
  return signDeviceList(await importSigningPrivate(identity.sigPrivate), {
    userId: owner.userId,
    identityKey: after.identityKey,
    version: after.version + 1,
    prevHash: after.hash,
    issuedAt: Date.now(),
    devices: after.devices,
  });
}

function servingLists(peer: Peer, user: string, lists: readonly SignedDeviceList[]) {
  peer.http.rewrite = (path, body) =>
    devicesOf(path, user)
      ? { ...body, deviceLists: lists.map((l) => toBase64Url(l.encoded)) }
      : undefined;
}

/** The relay hands `peer` a junk frame from an unknown device of `user`: peer refetches the list. */
function pokeListRefetch(peer: Peer, user: string, device: number) {
  let fake = 4_000_000;
  peer.tap.rewriteIncoming = (f) => {
    if (f.t !== 'deliver' || f.from !== user) return undefined;
    peer.tap.rewriteIncoming = () => undefined;
    return [
      { ...f, qid: ++fake, id: systemRandom(16) as DeliverFrame['id'], fromDevice: device },
      f,
    ];
  };
}

async function heldVersion(peer: Peer, user: string) {
  return (await readHeldList(new Batch(peer.storage.records), user))?.list.version;
}

describe('L4: rollback and fork of a device list', () => {
  it('an older version served after a newer one is ignored; sends still reach every listed device', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const v1 = await ownList(alice, 1);
    const a2 = await anotherDevice(alice, { listed: true });
    await ownList(alice, 2);
    const { bobChat } = await chatting(alice, bob);
    expect(await heldVersion(bob, alice.userId)).toBe(2);

    // From now on the relay serves only v1 (which lacks A2) for alice, and
    // makes bob look again (a frame from a device he does not know).
    servingLists(bob, alice.userId, [v1]);
    const fetchesBefore = bob.http.log.length;
    pokeListRefetch(bob, alice.userId, 1_999_999_998);
    const text = uniqueText('alice while rolled back');
    await alice.client.sendText({ conversationId: `u:${bob.userId}`, text });
    await waitText(bob.client, bobChat, text);
    await bob.client.idle();
    expect(bob.http.log.slice(fetchesBefore)).toContain(`GET /v1/users/${alice.userId}/devices`);
    // held-lists.ts observeDeviceLists / acceptNext: `rollback` keeps v2.
    expect(await heldVersion(bob, alice.userId)).toBe(2);
    const sentFrom = bob.tap.sent.length;
    const reply = uniqueText('bob to both');
    const m = await bob.client.sendText({ conversationId: bobChat, text: reply });
    await waitText(a2.client, `u:${bob.userId}`, reply);
    expect((await settled(bob.client, bobChat, m.id)).state).not.toBe('failed');
    expect(new Set(addressed(bob, alice.userId, sentFrom))).toEqual(
      new Set([alice.deviceId, a2.deviceId]),
    );
  });

  it('two different lists of one version stop sends with DEVICE_LIST_FORK until a newer version chains', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const v1 = await ownList(alice, 1);
    const a2 = await anotherDevice(alice, { listed: true });
    const v2 = await ownList(alice, 2);
    const { bobChat } = await chatting(alice, bob);
    // A second v2 (only the identity key can sign one: a device of alice's
    // that published it elsewhere, shown to bob by the relay).
    const forkedV2 = await otherVersion(alice, v1);
    servingLists(bob, alice.userId, [v1, forkedV2]);
    pokeListRefetch(bob, alice.userId, 1_999_999_997);
    const text = uniqueText('alice before the fork is seen');
    await alice.client.sendText({ conversationId: `u:${bob.userId}`, text });
    await waitText(bob.client, bobChat, text);
    await bob.client.idle();

    // held-lists.ts records the fork; sessions.ts checkNotForked stops the send.
    const states = collect(bob.client, 'message-state');
    const blocked = await bob.client.sendText({
      conversationId: bobChat,
      text: uniqueText('bob during the fork'),
    });
    const failed = await settled(bob.client, bobChat, blocked.id);
    expect(failed).toMatchObject({ state: 'failed', error: 'DEVICE_LIST_FORK' });
    expect(states.some((s) => s.id === blocked.id && s.error === 'DEVICE_LIST_FORK')).toBe(true);

    // Alice publishes v3 on top of her real v2 (removing A2); the relay serves the truth again.
    bob.http.rewrite = () => undefined;
    await alice.client.signedDeviceList.remove(a2.deviceId);
    const v3 = await ownList(alice, 3);
    expect(v3.prevHash).toEqual(v2.hash);
    const after = uniqueText('bob after v3');
    const resumed = await bob.client.sendText({ conversationId: bobChat, text: after });
    await waitText(alice.client, `u:${bob.userId}`, after);
    expect((await settled(bob.client, bobChat, resumed.id)).state).not.toBe('failed');
    expect(await heldVersion(bob, alice.userId)).toBe(3);
  });

  it('a fork is also resolved by bob re-verifying alice', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const v1 = await ownList(alice, 1);
    await anotherDevice(alice, { listed: true });
    await ownList(alice, 2);
    const { bobChat } = await chatting(alice, bob);
    const forkedV2 = await otherVersion(alice, v1);
    servingLists(bob, alice.userId, [v1, forkedV2]);
    pokeListRefetch(bob, alice.userId, 1_999_999_996);
    const text = uniqueText('alice before the fork is seen');
    await alice.client.sendText({ conversationId: `u:${bob.userId}`, text });
    await waitText(bob.client, bobChat, text);
    await bob.client.idle();
    const blocked = await bob.client.sendText({ conversationId: bobChat, text: uniqueText('x') });
    expect((await settled(bob.client, bobChat, blocked.id)).error).toBe('DEVICE_LIST_FORK');

    bob.http.rewrite = () => undefined;
    await bob.client.setVerified(alice.userId, true);
    const after = uniqueText('bob after re-verifying');
    const resumed = await bob.client.sendText({ conversationId: bobChat, text: after });
    await waitText(alice.client, `u:${bob.userId}`, after);
    expect((await settled(bob.client, bobChat, resumed.id)).state).not.toBe('failed');
    expect(await heldVersion(bob, alice.userId)).toBe(2);
  });
});

/** Reads the relay's database (WAL mode: a second reader is safe). */
async function query(sql: string, args: (string | number)[]): Promise<Json[]> {
  const db = createDbClient({ url: `file:${relay.process.dbPath}`, intMode: 'number' });
  try {
    return (await db.execute({ sql, args })).rows.map((r) => ({ ...r }));
  } finally {
    db.close();
  }
}

describe('L5: a removed device keeps reading', () => {
  it('after list v+1 drops A2: nothing addressed to it, 401 and 4001, its rows gone, sender keys rotated', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await ownList(alice, 1);
    const a2 = await anotherDevice(alice, { listed: true });
    await ownList(alice, 2);
    await chatting(alice, bob);
    const group = await bob.client.createGroup({ name: 'Threats', members: [alice.handle] });
    await waitFor(async () => {
      try {
        return (await alice.client.getGroup(group)).version >= 1;
      } catch {
        return false;
      }
    }, 'the group reaches alice');
    await alice.client.acceptGroup(group);
    const before = uniqueText('group before');
    await bob.client.sendText({ conversationId: group, text: before });
    await waitText(a2.client, group, before);
    const groupId = fromHex(group.slice(2));
    const a2Key = await readMemberKey(
      new Batch(a2.storage.records),
      groupId,
      bob.userId,
      bob.deviceId,
    );
    const beforeBody = bob.tap.sent
      .filter((f): f is SendFrame => f.t === 'send' && f.body !== undefined)
      .map((f) => f.body as Uint8Array)
      .pop() as Uint8Array;
    // A2 held bob's chain: it could read his group messages until now.
    expect(a2Key?.record.chains.map((c) => c.chainId)).toContain(
      parseGroupMessageHeader(beforeBody).chainId,
    );
    expect(
      Number(
        (
          await query('SELECT COUNT(*) AS n FROM one_time_prekeys WHERE device_id = ?', [
            a2.deviceId,
          ])
        )[0]?.n,
      ),
    ).toBeGreaterThan(0);

    const unlinked = collect(a2.client, 'unlinked');
    await alice.client.signedDeviceList.remove(a2.deviceId);
    await waitFor(() => unlinked.length > 0, 'A2 told it was removed');
    // The relay revoked it at once (signed-device-lists.ts publish → DeviceService.remove).
    expect(a2.tap.closes).toContain(4001);
    // Its device-signed requests are refused (the relay no longer knows its key).
    await errorOf(() => a2.client.listDevices());
    expect(a2.http.answers).toContain(`GET /v1/users/${alice.userId}/devices 401`);
    for (const table of ['queue', 'one_time_prekeys', 'one_time_kem_prekeys', 'devices']) {
      const column = table === 'queue' ? 'recipient_device' : 'device_id';
      const rows = await query(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = ?`, [
        a2.deviceId,
      ]);
      expect([table, Number(rows[0]?.n)]).toEqual([table, 0]);
    }

    // Bob learns v3 (a frame of alice's makes him look), then writes 1:1 and to the group.
    const sentFrom = bob.tap.sent.length;
    const direct = uniqueText('alice after the removal');
    await alice.client.sendText({ conversationId: `u:${bob.userId}`, text: direct });
    const bobChat = `u:${alice.userId}`;
    await waitText(bob.client, bobChat, direct);
    const reply = uniqueText('bob direct after');
    await bob.client.sendText({ conversationId: bobChat, text: reply });
    await waitText(alice.client, `u:${bob.userId}`, reply);
    const after = uniqueText('group after');
    await bob.client.sendText({ conversationId: group, text: after });
    await waitText(alice.client, group, after);
    // No ciphertext for A2 stored anywhere: a frame still addressing it (bob had not
    // seen v3 yet) was answered `mismatch` (stale: the relay's removal) and stored nothing;
    // the resend left A2 out.
    expect(addressed(bob, alice.userId, sentFrom, true)).not.toContain(a2.deviceId);
    expect(addressed(bob, alice.userId, sentFrom, true)).toContain(alice.deviceId);
    // Nothing queued for A2 on the relay either.
    const queued = await query('SELECT COUNT(*) AS n FROM queue WHERE recipient_device = ?', [
      a2.deviceId,
    ]);
    expect(Number(queued[0]?.n)).toBe(0);
    // Sender keys rotated ("Sender keys in groups"): A2's stored chains do not decrypt it.
    const afterBody = bob.tap.sent
      .slice(sentFrom)
      .filter((f): f is SendFrame => f.t === 'send' && f.body !== undefined)
      .map((f) => f.body as Uint8Array)
      .pop() as Uint8Array;
    expect(parseGroupMessageHeader(afterBody).chainId).not.toBe(
      parseGroupMessageHeader(beforeBody).chainId,
    );
    const stale = await readMemberKey(
      new Batch(a2.storage.records),
      groupId,
      bob.userId,
      bob.deviceId,
    );
    const refused = await errorOf(() =>
      decryptGroupMessage(
        { now: () => Date.now() },
        stale?.record as never,
        afterBody,
        new Uint8Array(65),
      ),
    );
    expect(refused.code).toBe('SENDER_KEY_MISSING');
    expect(await textsOf(a2.client, group)).toEqual([before]);
  });
});

describe('"Remove and reset identity" for a stolen device', () => {
  it('a new identity and list v1: the stolen device is revoked and reads nothing new; bob sees the change, accepts it, and the chat goes on', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await ownList(alice, 1);
    const stolen = await anotherDevice(alice, { listed: true });
    await ownList(alice, 2);
    const { bobChat, aliceChat, genuine } = await chatting(alice, bob);
    await waitText(stolen.client, aliceChat, genuine[1] as string);
    const before = await alice.client.exportIdentity();
    const unlinked = collect(stolen.client, 'unlinked');
    const contactEvents = collect(bob.client, 'contact');

    // The user logs in with the passkey on the device they keep, then resets.
    const session = await alice.client.login(alice.authenticator);
    const reset = await alice.client.resetIdentity({ session });
    expect(reset.userId).toBe(alice.userId);
    expect(reset.deviceId).not.toBe(alice.deviceId);
    const after = await alice.client.exportIdentity();
    expect(toHex(after.sigPublic)).not.toBe(toHex(before.sigPublic));
    // The stolen device is revoked at once and told so.
    await waitFor(() => unlinked.length > 0, 'the stolen device is revoked');
    expect(stolen.tap.closes).toContain(4001);
    const list = await ownList(alice, 1);
    expect([list.version, list.devices.map((d) => d.deviceId)]).toEqual([1, [reset.deviceId]]);
    const rows = await query('SELECT device_id FROM devices WHERE account_id = ?', [alice.userId]);
    expect(rows.map((r) => Number(r.device_id))).toEqual([reset.deviceId]);

    // Alice writes: bob sees the identity change (docs/client.md, "Identity changes").
    const first = uniqueText('alice under the new identity');
    await alice.client.sendText({ conversationId: aliceChat, text: first });
    await waitFor(async () => {
      const c = await bob.client.getContact(alice.userId);
      return c.identityChange !== null;
    }, 'bob sees the identity change');
    expect(contactEvents.some((e) => e.userId === alice.userId)).toBe(true);
    const blocked = await errorOf(() =>
      bob.client.sendText({ conversationId: bobChat, text: uniqueText('before accepting') }),
    ).catch(() => undefined);
    if (blocked !== undefined) expect(blocked.code).toBe('IDENTITY_CHANGED');
    await bob.client.acknowledgeIdentityChange(alice.userId);
    const reply = uniqueText('bob after accepting');
    await bob.client.sendText({ conversationId: bobChat, text: reply });
    await waitText(alice.client, aliceChat, reply);
    const again = uniqueText('alice again');
    await alice.client.sendText({ conversationId: aliceChat, text: again });
    await waitText(bob.client, bobChat, again);
    // The stolen device read nothing sent after the reset.
    const stolenTexts = await textsOf(stolen.client, aliceChat);
    for (const t of [first, reply, again]) expect(stolenTexts).not.toContain(t);
  });
});
