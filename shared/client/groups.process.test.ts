/**
 * Groups against the REAL relay process (Deno, libSQL file), real WebSockets
 * and real crypto: creation, one fanned-out frame per group message, removal
 * with sender key rotation (the removed member is handed the later
 * ciphertexts and cannot read them), joiners that cannot read the past,
 * refused forged / replayed / stale states, and gaps the relay cannot hide.
 */
import { describe, expect, it } from 'vitest';
import { encodeIdentity } from '../crypto/identity.ts';
import { deserializeSenderKeyRecord } from '../crypto/sender-key-record.ts';
import { decryptGroupMessage } from '../crypto/sender-keys.ts';
import { isParleyError } from '../errors.ts';
import { decodeCbor } from '../wire/cbor.ts';
import { encodeServerFrame } from '../wire/codec.ts';
import type { SendFrame } from '../wire/frames.ts';
import { loadAccount } from './account/account.ts';
import { createClient, type ParleyClient } from './client.ts';
import { contactIdentity, readContact } from './contacts/contacts.ts';
import { MAX_PARKED_PER_SENDER } from './groups/parked.ts';
import { isGroupMessageBody } from './groups/receive.ts';
import { GroupRole, nextState } from './groups/state.ts';
import { RelayApi } from './relay/relay-api.ts';
import {
  collect,
  nodeClientDeps,
  nodeFetch,
  nodeTimers,
  type TestUser,
  textsOf,
  uniqueText,
  waitFor,
} from './testing/harness.ts';
import { useRelayProcess } from './testing/relay-fixture.ts';
import { type Tap, tapTransport } from './testing/tap.ts';

// Every test registers its own accounts (two passkey requests each) from 127.0.0.1:
// more than the default 30 per minute per IP once the file runs quickly.
const relay = useRelayProcess({
  handleSuffix: 'g',
  relay: { env: { RATE_LIMIT_PASSKEY_PER_IP: '600/60' } },
});
const say = uniqueText;
/** Queue ids for frames handed over outside the relay. */
let counter = 0;

interface Member extends TestUser {
  readonly tap: Tap;
}

async function user(name: string): Promise<Member> {
  const tap = tapTransport();
  return { ...(await relay.newUser(name, { transport: tap.transport })), tap };
}

/** A conversation's texts; none while it does not exist yet. */
async function texts(client: ParleyClient, conversationId: string): Promise<string[]> {
  return textsOf(client, conversationId).catch(() => []);
}

async function waitText(client: ParleyClient, conversationId: string, text: string) {
  await waitFor(async () => (await texts(client, conversationId)).includes(text), `"${text}"`);
}

async function waitVersion(client: ParleyClient, conversationId: string, version: number) {
  return waitFor(async () => {
    try {
      const g = await client.getGroup(conversationId);
      return g.version >= version ? g : undefined;
    } catch {
      return undefined;
    }
  }, `group version ${version}`);
}

/** Group-message send frames (a shared Sender Keys body) this client sent so far. */
function groupSends(tap: Tap): Array<SendFrame & { body: Uint8Array }> {
  return tap.sent.filter(
    (f): f is SendFrame & { body: Uint8Array } => f.t === 'send' && f.body !== undefined,
  );
}

/** Three users in a fresh group created by the first, accepted by the others. */
async function trio(): Promise<{ alice: Member; bob: Member; carol: Member; group: string }> {
  const alice = await user('alice');
  const bob = await user('bob');
  const carol = await user('carol');
  const group = await alice.client.createGroup({
    name: 'Trio',
    members: [bob.handle, carol.handle],
  });
  for (const m of [bob, carol]) {
    await waitVersion(m.client, group, 1);
    await m.client.acceptGroup(group);
  }
  return { alice, bob, carol, group };
}

/**
 * A plain member (`forger`) signs a successor of the group's state in which
 * they are the owner, the real owner a member, and `victim` a member, and
 * sends it to `victim` only.
 */
async function sendForgedTakeover(
  forger: ParleyClient,
  group: string,
  realOwner: string,
  victim: string,
): Promise<void> {
  await forger.dangerousTestOnly.sendGroupState({
    conversationId: group,
    recipients: [victim],
    state: (head, own, now, keyFor) =>
      nextState(
        head,
        own,
        now,
        (d) => {
          d.members.set(own, GroupRole.OWNER);
          d.members.set(realOwner, GroupRole.MEMBER);
          d.members.set(victim, GroupRole.MEMBER);
        },
        keyFor,
      ),
  });
}

/** What a malicious relay would do: hand `frame`'s shared body to `to` anyway. */
async function handOver(to: Member, from: Member, frame: SendFrame & { body: Uint8Array }) {
  await to.client.ingestFrame(
    encodeServerFrame({
      t: 'deliver',
      qid: 1_000_000 + ++counter,
      id: frame.id,
      from: from.userId,
      fromDevice: from.deviceId,
      body: frame.body,
      sentAt: Date.now(),
    }),
  );
}

/** Sender key records a client holds for a group (raw), by sender user. */
async function senderKeys(member: Member, group: string) {
  const hex = group.slice(2);
  const out = new Map<string, Uint8Array>();
  for (const [key, raw] of await member.storage.records.list(`gkey/${hex}/`)) {
    const [, , user] = key.split('/');
    out.set(user ?? '', decodeCbor(raw).record as Uint8Array);
  }
  return out;
}

async function decryptsWith(
  reader: Member,
  record: Uint8Array,
  sender: string,
  body: Uint8Array,
): Promise<string> {
  const contact = await readContact(reader.storage.records, sender);
  const identity = contact === undefined ? undefined : contactIdentity(contact);
  if (identity === undefined) throw new Error('sender identity unknown');
  try {
    await decryptGroupMessage(
      { now: () => Date.now() },
      deserializeSenderKeyRecord(record),
      body,
      encodeIdentity(identity),
    );
    return 'decrypted';
  } catch (e) {
    return isParleyError(e) ? e.code : 'other error';
  }
}

describe('groups with a real relay', () => {
  it('three accounts create a group and talk; one frame per message, fanned out by the relay', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const carol = await user('carol');
    const group = await alice.client.createGroup({
      name: 'Trio',
      members: [bob.handle, carol.handle],
    });
    const view = await waitVersion(bob.client, group, 1);
    expect(view.name).toBe('Trio');
    expect(view.members.map((m) => [m.userId, m.role]).sort()).toEqual(
      [
        [alice.userId, GroupRole.OWNER],
        [bob.userId, GroupRole.MEMBER],
        [carol.userId, GroupRole.MEMBER],
      ].sort(),
    );
    expect(view.myRole).toBe(GroupRole.MEMBER);
    expect(view.can).toMatchObject({ rename: false, addMembers: false, leave: true });
    // Bob never talked to Alice: he learns her (relay-checked) handle with the state itself.
    expect(view.members.find((m) => m.userId === alice.userId)?.handle).toBe(alice.handle);
    const joined = (await bob.client.getMessages({ conversationId: group, limit: 5 })).messages;
    expect(joined.find((m) => m.system === 'group-joined')?.text).toBe(`${alice.handle} added you`);
    // Added by someone who is not a contact: a request until accepted.
    expect((await bob.client.getConversation(group)).isRequest).toBe(true);
    await bob.client.acceptGroup(group);
    await waitVersion(carol.client, group, 1);
    await carol.client.acceptGroup(group);
    expect((await bob.client.getConversation(group)).isRequest).toBe(false);

    const hello = say('hello group');
    await alice.client.sendText({ conversationId: group, text: hello });
    await waitText(bob.client, group, hello);
    await waitText(carol.client, group, hello);
    // ONE frame carried the message to every device: a shared body, no per-device copies.
    const [frame, ...more] = groupSends(alice.tap);
    expect(more).toEqual([]);
    expect(frame?.to.flatMap((r) => r.devices).every((d) => d.body === undefined)).toBe(true);
    const addressed = frame?.to.filter((r) => r.devices.length > 0).map((r) => r.user);
    expect(addressed?.sort()).toEqual([bob.userId, carol.userId].sort());
    // Alice's own account is named with no device (she has no other): docs/protocol.md,
    // "Own devices in every send".
    expect(frame?.to.find((r) => r.user === alice.userId)?.devices).toEqual([]);
    expect(isGroupMessageBody(frame?.body ?? new Uint8Array())).toBe(true);

    const reply = say('hi everyone');
    await bob.client.sendText({ conversationId: group, text: reply });
    await waitText(alice.client, group, reply);
    await waitText(carol.client, group, reply);
    // Carol and Bob are not contacts: Carol learns his handle from his message (relay-checked).
    const carolSees = await carol.client.getGroup(group);
    expect(carolSees.members.find((m) => m.userId === bob.userId)?.handle).toBe(bob.handle);
    const bobView = (await bob.client.getMessages({ conversationId: group, limit: 10 })).messages;
    expect(bobView.find((m) => m.text === hello)).toMatchObject({
      outgoing: false,
      author: alice.userId,
    });

    // Delivery receipts are encrypted messages from each member; both arrive.
    await waitFor(async () => {
      const mine = (await alice.client.getMessages({ conversationId: group, limit: 10 })).messages;
      const m = mine.find((x) => x.text === hello);
      return m?.state === 'delivered' && m.receipts?.delivered === 2 ? m : undefined;
    }, 'delivered to both');
    // Read receipts likewise, per member.
    await bob.client.markRead({ conversationId: group });
    await carol.client.markRead({ conversationId: group });
    await waitFor(async () => {
      const mine = (await alice.client.getMessages({ conversationId: group, limit: 10 })).messages;
      return mine.find((x) => x.text === hello)?.state === 'read';
    }, 'read by both');
  });

  it('removing a member rotates every sender key: the removed member gets the ciphertexts and cannot read them', async () => {
    const { alice, bob, carol, group } = await trio();
    const warm = say('before');
    await alice.client.sendText({ conversationId: group, text: warm });
    await bob.client.sendText({ conversationId: group, text: say('bob before') });
    await waitText(carol.client, group, warm);
    await waitFor(async () => (await senderKeys(carol, group)).size === 2, 'carol holds both keys');
    // What Carol could keep (a compromised or buggy client would not delete it).
    const kept = await senderKeys(carol, group);
    const lastBefore = say('last before removal');
    await alice.client.sendText({ conversationId: group, text: lastBefore });
    await waitText(carol.client, group, lastBefore);
    const beforeFrame = groupSends(alice.tap).at(-1);

    await alice.client.removeMember(group, carol.userId);
    await waitVersion(bob.client, group, 2);
    const carolView = await waitVersion(carol.client, group, 2);
    expect(carolView.active).toBe(false);
    expect(
      (await carol.client.getMessages({ conversationId: group, limit: 50 })).messages.some(
        (m) => m.system === 'member-removed',
      ),
    ).toBe(true);

    const fromAlice = say('after carol left (alice)');
    const fromBob = say('after carol left (bob)');
    await alice.client.sendText({ conversationId: group, text: fromAlice });
    await bob.client.sendText({ conversationId: group, text: fromBob });
    await waitText(bob.client, group, fromAlice);
    await waitText(alice.client, group, fromBob);
    const aliceFrame = groupSends(alice.tap).at(-1);
    const bobFrame = groupSends(bob.tap).at(-1);
    if (aliceFrame === undefined || bobFrame === undefined || beforeFrame === undefined) {
      throw new Error('frames not captured');
    }
    // The relay no longer addresses Carol...
    expect(aliceFrame.to.map((r) => r.user)).not.toContain(carol.userId);
    // ...but a malicious relay hands her the ciphertexts anyway: nothing readable.
    await handOver(carol, alice, aliceFrame);
    await handOver(carol, bob, bobFrame);
    await carol.client.idle();
    const carolTexts = await texts(carol.client, group);
    expect(carolTexts).not.toContain(fromAlice);
    expect(carolTexts).not.toContain(fromBob);
    // Even with every sender key she ever held, the new ciphertexts do not decrypt:
    // both remaining members rotated on seeing the signed removal.
    const aliceKey = kept.get(alice.userId);
    const bobKey = kept.get(bob.userId);
    if (aliceKey === undefined || bobKey === undefined) throw new Error('keys not kept');
    expect(await decryptsWith(carol, aliceKey, alice.userId, beforeFrame.body)).toBe('decrypted');
    expect(await decryptsWith(carol, aliceKey, alice.userId, aliceFrame.body)).toBe(
      'SENDER_KEY_MISSING',
    );
    expect(await decryptsWith(carol, bobKey, bob.userId, bobFrame.body)).toBe('SENDER_KEY_MISSING');
  });

  it('a member who joins later cannot read what was sent before', async () => {
    const { alice, bob, group } = await trio();
    const early = say('before dave');
    await alice.client.sendText({ conversationId: group, text: early });
    await waitText(bob.client, group, early);
    const earlyFrame = groupSends(alice.tap).at(-1);
    const dave = await user('dave');
    await alice.client.addMembers(group, [dave.handle]);
    await waitVersion(dave.client, group, 2);
    await dave.client.acceptGroup(group);
    const welcome = say('welcome dave');
    await alice.client.sendText({ conversationId: group, text: welcome });
    await waitText(dave.client, group, welcome);
    if (earlyFrame === undefined) throw new Error('frame not captured');
    await handOver(dave, alice, earlyFrame);
    await dave.client.idle();
    expect(await texts(dave.client, group)).toEqual([welcome]);
    // His chain starts where he joined: the earlier message's key cannot be derived.
    const daveKey = (await senderKeys(dave, group)).get(alice.userId);
    if (daveKey === undefined) throw new Error('no key');
    expect(await decryptsWith(dave, daveKey, alice.userId, earlyFrame.body)).toBe(
      'DUPLICATE_MESSAGE',
    );
  });

  it('a message that arrives before the state adding its reader is kept and shown once the state arrives', async () => {
    const { alice, bob, group } = await trio();
    const dave = await user('dave');
    // Dave's network holds back everything Alice sends him (her state adding him among it),
    // while Bob, who already has that state, writes to the group at once.
    dave.tap.holdIncoming = (f) => f.t === 'deliver' && f.from === alice.userId;
    await alice.client.addMembers(group, [dave.handle]);
    await waitVersion(bob.client, group, 2);
    const early = say('bob, before dave has the state');
    await bob.client.sendText({ conversationId: group, text: early });
    const fromBob = await waitFor(
      async () =>
        dave.tap.received.find(
          (f) => f.t === 'deliver' && f.from === bob.userId && isGroupMessageBody(f.body),
        ),
      "Bob's group message at Dave",
    );
    await dave.client.idle();
    const ackedQids = () => dave.tap.sent.flatMap((f) => (f.t === 'ack' ? f.qids : []));
    // Dave's client took it (acked, so the relay deletes it) although it cannot show it yet.
    expect(fromBob.t === 'deliver' && ackedQids().includes(fromBob.qid ?? -1)).toBe(true);
    expect(await texts(dave.client, group)).toEqual([]);
    expect(dave.tap.release()).toBeGreaterThan(0);
    await waitText(dave.client, group, early);
    // Only once, and later messages flow as usual.
    const later = say('bob, afterwards');
    await bob.client.sendText({ conversationId: group, text: later });
    await waitText(dave.client, group, later);
    expect((await texts(dave.client, group)).filter((t) => t === early)).toHaveLength(1);
  });

  it('a stranger flooding group messages for unknown groups cannot push out a genuine early message', async () => {
    const { alice, bob, group } = await trio();
    const dave = await user('dave');
    const mallory = await user('mallory');
    // Mallory talks to Dave once (so she is a contact, a request), then floods him with
    // 1000 tiny "group messages" for groups he has never heard of.
    const chat = await mallory.client.startConversation(dave.handle);
    const hi = say('hi dave');
    await mallory.client.sendText({ conversationId: chat.id, text: hi });
    await waitFor(
      async () => (await dave.client.listConversations()).some((c) => c.title === mallory.handle),
      'mallory known to dave',
    );
    const flood = async (from: Member, n: number) => {
      for (let i = 0; i < n; i++) {
        const body = new Uint8Array(2 + 16 + 8 + 16 + 64);
        body.set([0x01, 0x03]);
        body.set(crypto.getRandomValues(new Uint8Array(16)), 2);
        await dave.client.ingestFrame(
          encodeServerFrame({
            t: 'deliver',
            qid: 1_000_000 + ++counter,
            id: crypto.getRandomValues(new Uint8Array(16)) as SendFrame['id'],
            from: from.userId,
            fromDevice: from.deviceId,
            body,
            sentAt: Date.now(),
          }),
        );
      }
    };
    await flood(mallory, 1000);
    const parked = async () => (await dave.storage.records.list('gpark/')).length;
    // She keeps at most her own share; someone with no session with Dave parks nothing.
    expect(await parked()).toBe(MAX_PARKED_PER_SENDER);
    await flood(await user('stranger'), 20);
    expect(await parked()).toBe(MAX_PARKED_PER_SENDER);
    // Then the genuine case: Dave is added, his copy of Alice's state is held back, Bob writes.
    dave.tap.holdIncoming = (f) => f.t === 'deliver' && f.from === alice.userId;
    await alice.client.addMembers(group, [dave.handle]);
    await waitVersion(bob.client, group, 2);
    const early = say('bob, after the flood');
    await bob.client.sendText({ conversationId: group, text: early });
    await waitFor(
      async () =>
        dave.tap.received.find(
          (f) => f.t === 'deliver' && f.from === bob.userId && isGroupMessageBody(f.body),
        ),
      "Bob's group message at Dave",
    );
    await dave.client.idle();
    expect(dave.tap.release()).toBeGreaterThan(0);
    await waitText(dave.client, group, early);
  }, 120_000);

  it('members refuse changes by non-admins, replays and stale versions; only signed states add anyone', async () => {
    const { alice, bob, carol, group } = await trio();
    const intruder = await user('eve');
    const refusedByAlice = collect(alice.client, 'group-rejected');
    const refusedByCarol = collect(carol.client, 'group-rejected');
    // Bob (a plain member) signs a state adding Eve and sends it to everyone.
    await bob.client.dangerousTestOnly.sendGroupState({
      conversationId: group,
      recipients: [alice.userId, carol.userId, intruder.userId],
      state: (head, own, now) =>
        nextState(head, own, now, (d) => {
          d.members.set(intruder.userId, GroupRole.MEMBER);
        }),
    });
    await waitFor(() => refusedByAlice.length > 0 && refusedByCarol.length > 0, 'refusals');
    expect(refusedByAlice[0]).toMatchObject({ conversationId: group, code: 'GROUP_FORBIDDEN' });
    expect(refusedByCarol[0]).toMatchObject({ conversationId: group, code: 'GROUP_FORBIDDEN' });
    expect((await alice.client.getGroup(group)).members).toHaveLength(3);
    expect((await carol.client.getGroup(group)).version).toBe(1);
    // Eve got a state signed by a member, not an admin: she is not in any group.
    await intruder.client.idle();
    await expect(intruder.client.getGroup(group)).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const v1 = await alice.client.dangerousTestOnly.groupState(group);
    await alice.client.renameGroup(group, 'Renamed');
    const v2 = await alice.client.dangerousTestOnly.groupState(group);
    await alice.client.setRole(group, bob.userId, GroupRole.ADMIN);
    await waitVersion(bob.client, group, 3);
    expect((await bob.client.getGroup(group)).can.rename).toBe(true);
    const refusedByBob = collect(bob.client, 'group-rejected');
    // Replay: v2 again.
    await alice.client.dangerousTestOnly.sendGroupState({
      conversationId: group,
      recipients: [bob.userId],
      resend: v2,
    });
    // Stale: a new, validly signed state that follows v1 (the group is at v3).
    await alice.client.dangerousTestOnly.sendGroupState({
      conversationId: group,
      recipients: [bob.userId],
      state: (_head, own, now) =>
        nextState(v1, own, now, (d) => {
          d.name = 'Stale';
        }),
    });
    await waitFor(() => refusedByBob.length >= 2, 'replay and stale refused');
    expect(refusedByBob.map((r) => r.code)).toEqual(['GROUP_REPLAY', 'GROUP_STALE']);
    const bobGroup = await bob.client.getGroup(group);
    expect(bobGroup).toMatchObject({ version: 3, name: 'Renamed' });
    // A non-admin cannot even build such a change locally.
    await expect(carol.client.renameGroup(group, 'Mine')).rejects.toMatchObject({
      code: 'GROUP_FORBIDDEN',
    });
    expect((await carol.client.getGroup(group)).name).toBe('Renamed');
  });

  it('a plain member cannot forge ownership: a removed member refuses the forged re-add and accepts the real one', async () => {
    const { alice, bob, carol, group } = await trio();
    await alice.client.removeMember(group, carol.userId);
    await waitVersion(bob.client, group, 2);
    await waitVersion(carol.client, group, 2);
    const refusedByCarol = collect(carol.client, 'group-rejected');
    // Bob (a plain member) signs a successor in which HE is the owner and Carol is back.
    await sendForgedTakeover(bob.client, group, alice.userId, carol.userId);
    await waitFor(() => refusedByCarol.length > 0, 'forged re-add refused');
    expect(refusedByCarol[0]).toMatchObject({ conversationId: group, code: 'GROUP_FORBIDDEN' });
    expect((await carol.client.getGroup(group)).active).toBe(false);
    // The real owner re-adds her: accepted, and she sees the real group.
    await alice.client.addMembers(group, [carol.handle]);
    const view = await waitVersion(carol.client, group, 3);
    expect(view.active).toBe(true);
    expect(view.members.find((m) => m.role === GroupRole.OWNER)?.userId).toBe(alice.userId);
    expect(refusedByCarol.map((r) => r.code)).toEqual(['GROUP_FORBIDDEN']);
  });

  it('a plain member cannot forge a group for someone never in it', async () => {
    const { alice, bob, group } = await trio();
    const eve = await user('eve');
    const refusedByEve = collect(eve.client, 'group-rejected');
    await sendForgedTakeover(bob.client, group, alice.userId, eve.userId);
    await waitFor(() => refusedByEve.length > 0, 'forged state refused');
    expect(refusedByEve[0]).toMatchObject({ conversationId: group, code: 'GROUP_FORBIDDEN' });
    await expect(eve.client.getGroup(group)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it("our other devices take part: they get the group, our sent messages and the members' messages", async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const session = await alice.client.login(alice.authenticator);
    const identity = await alice.client.exportIdentity();
    const tap = tapTransport();
    const phone = createClient(nodeClientDeps({ transport: tap.transport }));
    const phoneInfo = await phone.joinAccount({ relayUrl: relay.url, session, identity });
    const seenByLaptop = collect(alice.client, 'devices-changed');
    await phone.start();
    // Addressed once the account's signed device list names it (docs/protocol.md, "Device list").
    await phone.signedDeviceList.ensureSelfListed();
    relay.track(phone);
    // The phone listed itself (no approval on the laptop, as a linked device would have had):
    // the laptop knows of it once it has the phone's device-list sync. A send before that
    // leaves the phone out (the relay checks only the accounts a frame addresses).
    await waitFor(
      () => seenByLaptop.some((c) => c.added.some((d) => d.deviceId === phoneInfo.deviceId)),
      'the laptop to see the phone in the device list',
    );

    const group = await alice.client.createGroup({ name: 'Devices', members: [bob.handle] });
    const onPhone = await waitVersion(phone, group, 1);
    expect(onPhone).toMatchObject({ myRole: GroupRole.OWNER, accepted: true });
    await waitVersion(bob.client, group, 1);
    await bob.client.acceptGroup(group);

    const mine = say('sent from the laptop');
    await alice.client.sendText({ conversationId: group, text: mine });
    await waitText(bob.client, group, mine);
    await waitText(phone, group, mine);
    const synced = (await phone.getMessages({ conversationId: group, limit: 10 })).messages.find(
      (m) => m.text === mine,
    );
    expect(synced).toMatchObject({ outgoing: true, author: alice.userId });

    const reply = say('bob answers both devices');
    await bob.client.sendText({ conversationId: group, text: reply });
    await waitText(alice.client, group, reply);
    await waitText(phone, group, reply);
    // And the phone can write to the group too (its own sender key goes out first).
    const fromPhone = say('sent from the phone');
    await phone.sendText({ conversationId: group, text: fromPhone });
    await waitText(bob.client, group, fromPhone);
    await waitText(alice.client, group, fromPhone);
  });

  it('a member removing one of their devices makes every sender rotate: the removed device cannot read later messages', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const session = await bob.client.login(bob.authenticator);
    const phone = createClient(nodeClientDeps({}));
    await phone.joinAccount({
      relayUrl: relay.url,
      session,
      identity: await bob.client.exportIdentity(),
    });
    await phone.start();
    await phone.signedDeviceList.ensureSelfListed();
    relay.track(phone);
    const group = await alice.client.createGroup({ name: 'Unlink', members: [bob.handle] });
    await waitVersion(bob.client, group, 1);
    await bob.client.acceptGroup(group);
    const before = say("both of bob's devices read this");
    await alice.client.sendText({ conversationId: group, text: before });
    await waitText(phone, group, before);

    // Bob unlinks the phone (an identity-signed request from his laptop).
    const laptop = await loadAccount(bob.storage);
    if (laptop === undefined) throw new Error('no account');
    const bobApi = new RelayApi({
      baseUrl: relay.url,
      fetch: nodeFetch,
      now: () => Date.now(),
      timers: nodeTimers,
      signer: {
        user: bob.userId,
        device: bob.deviceId,
        key: laptop.deviceKey,
        manager: laptop.identity.signing.privateKey,
      },
    });
    const phoneDevice = (await bobApi.deviceList(bob.userId)).devices.find(
      (d) => d.id !== bob.deviceId,
    )?.id;
    if (phoneDevice === undefined) throw new Error('phone not registered');
    // A listed device leaves only through list v+1 without it (the plain removal is DEVICE_LISTED).
    await bob.client.signedDeviceList.remove(phoneDevice);

    // The relay tells Alice about the stale device list on her next send (a `mismatch`: nothing
    // stored); she rotates then and encrypts that very message again on the new chain, which
    // only the devices that remain are given. Neither message is readable with the phone's keys.
    const mark = groupSends(alice.tap).length;
    for (const text of [say('after unlinking, 1'), say('after unlinking, 2')]) {
      await alice.client.sendText({ conversationId: group, text });
      await waitText(bob.client, group, text);
    }
    // The copy of each message the relay stored: the last frame sent with its id.
    const stored = new Map<string, SendFrame & { body: Uint8Array }>();
    for (const f of groupSends(alice.tap).slice(mark)) stored.set(String(f.id), f);
    expect(stored.size).toBe(2);
    for (const frame of stored.values()) {
      await phone.ingestFrame(
        encodeServerFrame({
          t: 'deliver',
          qid: 1_000_000 + ++counter,
          id: frame.id,
          from: alice.userId,
          fromDevice: alice.deviceId,
          body: frame.body,
          sentAt: Date.now(),
        }),
      );
    }
    await phone.idle();
    expect(await texts(phone, group)).toEqual([before]);
    // No gap: the message encrypted again kept its number.
    const notices = (await bob.client.getMessages({ conversationId: group, limit: 50 })).messages;
    expect(notices.filter((m) => m.system === 'messages-missing')).toEqual([]);
  });

  it('a group message the relay drops shows as a gap in the timeline', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const group = await alice.client.createGroup({ name: 'Pair', members: [bob.handle] });
    await waitVersion(bob.client, group, 1);
    await bob.client.acceptGroup(group);
    const first = say('one');
    await alice.client.sendText({ conversationId: group, text: first });
    await waitText(bob.client, group, first);
    // From now on the "relay" loses the next group message to Bob.
    let dropped = 0;
    bob.tap.dropIncoming = (f) =>
      f.t === 'deliver' && isGroupMessageBody(f.body) && dropped++ === 0;
    const lost = say('two (dropped)');
    const third = say('three');
    await alice.client.sendText({ conversationId: group, text: lost });
    await alice.client.sendText({ conversationId: group, text: third });
    await waitText(bob.client, group, third);
    const timeline = (await bob.client.getMessages({ conversationId: group, limit: 50 })).messages;
    const gap = timeline.findIndex((m) => m.system === 'messages-missing');
    expect(gap).toBeGreaterThan(-1);
    expect(timeline[gap]?.text).toContain('1 message');
    expect(timeline[gap + 1]?.text).toBe(third);
    expect(timeline.map((m) => m.text)).not.toContain(lost);
  });
});
