/**
 * Archives of a real client profile (docs/protocol.md "Archive"; threats B5,
 * B6), against the REAL relay process: 1:1 chats, a verified contact, a group,
 * a disappearing-message timer and attachment pointers go from one device of
 * the account to a newly linked one (export → import → export gives the same
 * records), and no session, prekey, sender-key, device key or (in a transfer)
 * identity private key bytes are ever in an archive's plaintext; a backup
 * carries the identity by design, in its escrow frame only.
 */
import { describe, expect, it } from 'vitest';
import { openArchive } from '../archive/archive.ts';
import { collectBytes, collectFrames, piecesOf } from '../archive/testing/collect.ts';
import { type Bytes, concat, toHex } from '../bytes.ts';
import { ErrorCode } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import { decodeCbor } from '../wire/cbor.ts';
import { TIMER_OPTIONS_MS } from '../wire/limits.ts';
import { decodeEscrowedIdentity, ESCROWED_IDENTITY_KEY } from './archive/identity-escrow.ts';
import { decodeRecordFrame } from './archive/snapshot-frames.ts';
import { Keys } from './store/storage-keys.ts';
import type { RecordStore } from './store/store.ts';
import {
  messagesOf,
  seenText,
  settle,
  type TestUser,
  textsOf,
  uniqueText,
} from './testing/harness.ts';
import { useRelayProcess } from './testing/relay-fixture.ts';

const relay = useRelayProcess({ handleSuffix: 'ar' });

const user = (name: string): Promise<TestUser> => relay.newUser(name);

const linkDevice = (owner: TestUser): Promise<TestUser> => relay.linkDevice(owner);

const seen = seenText;

/** The key → record map of an archive's plaintext frames. */
async function recordsIn(archive: Uint8Array, root: Uint8Array, signing: Uint8Array) {
  const opened = await openArchive(piecesOf(archive), { root, identitySigningKey: signing });
  const frames = await collectFrames(opened.frames);
  const records = new Map(
    frames.slice(1).map((f) => {
      const r = decodeRecordFrame(f);
      return [r.key, toHex(r.value)] as const;
    }),
  );
  return { frames, records };
}

/** Every byte string inside the CBOR records under `prefix`. */
async function byteStringsUnder(records: RecordStore, prefix: string): Promise<Bytes[]> {
  const out: Bytes[] = [];
  const walk = (value: unknown): void => {
    if (value instanceof Uint8Array) out.push(value as Bytes);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(walk);
  };
  for (const [, raw] of await records.list(prefix)) {
    out.push(raw as Bytes);
    try {
      walk(decodeCbor(raw));
    } catch {
      // not CBOR: the raw bytes are enough
    }
  }
  return out;
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return toHex(haystack).includes(toHex(needle)) && needle.length > 0;
}

describe('archives of a real profile', () => {
  it('export → import on a newly linked device → export gives the same records; none of the secrets', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const carol = await user('carol');
    const chat = (await alice.client.startConversation(bob.handle)).id;
    const hello = uniqueText('hello bob');
    await alice.client.sendText({ conversationId: chat, text: hello });
    await seen(bob.client, `u:${alice.userId}`, hello);
    await bob.client.acceptRequest(alice.userId);
    const reply = uniqueText('hi alice');
    await bob.client.sendText({ conversationId: `u:${alice.userId}`, text: reply });
    await seen(alice.client, chat, reply);
    await alice.client.setVerified(bob.userId, true);
    await alice.client.setTimer({ conversationId: chat, timer: TIMER_OPTIONS_MS.at(-1) as number });
    const photo = uniqueText('a photo');
    await alice.client.sendText({
      conversationId: chat,
      text: photo,
      attachments: [
        {
          id: new Uint8Array(16).fill(1),
          key: new Uint8Array(32).fill(2),
          digest: new Uint8Array(32).fill(3),
          size: 1234,
          mime: 'image/png',
          name: 'cat.png',
          width: 10,
          height: 20,
        },
      ],
    });
    const group = await alice.client.createGroup({
      name: 'Trio',
      members: [bob.handle, carol.handle],
    });
    const toGroup = uniqueText('hello group');
    await alice.client.sendText({ conversationId: group, text: toGroup });
    await alice.client.saveDraft({ conversationId: group, text: 'not sent yet' });
    await settle(alice, bob, carol);

    const newDevice = await linkDevice(alice);
    await settle(alice, newDevice, bob, carol);
    // A message that reaches the archive AND waits in the new device's queue (threat L6).
    await newDevice.client.stop();
    const both = uniqueText('in the archive and the queue');
    await bob.client.sendText({ conversationId: `u:${alice.userId}`, text: both });
    await seen(alice.client, chat, both);
    await settle(alice, bob);

    const root = crypto.getRandomValues(new Uint8Array(32));
    const signing = (await alice.client.exportIdentity()).sigPublic;
    const first = await collectBytes(
      alice.client.archive.export({ kind: 'transfer', root, history: true, seq: 1 }),
    );
    const before = new Set((await newDevice.storage.records.list('')).map(([k]) => k));
    const result = await newDevice.client.archive.import(piecesOf(first, 10_000), root);
    expect(result.header).toMatchObject({ kind: 'transfer', seq: 1 });
    expect(result.written).toBeGreaterThan(0);
    const second = await collectBytes(
      newDevice.client.archive.export({ kind: 'transfer', root, history: true, seq: 2 }),
    );

    const a = await recordsIn(first, root, signing);
    const b = await recordsIn(second, root, signing);
    // What the new device held before the import (its own view) wins; everything else is identical.
    const carried = [...a.records.keys()].filter((k) => !before.has(k));
    expect(carried.length).toBeGreaterThan(8);
    for (const key of carried) expect([key, b.records.get(key)]).toEqual([key, a.records.get(key)]);
    for (const key of [
      Keys.contact(bob.userId),
      Keys.contact(carol.userId),
      Keys.conversation(chat),
      Keys.conversation(group),
    ]) {
      expect(carried).toContain(key);
    }

    // The new device shows the history, verified contact, timer, group and attachment pointer.
    const texts = (await messagesOf(newDevice.client, chat)).map((m) => m.text);
    expect(texts).toEqual(expect.arrayContaining([hello, reply, photo, both]));
    const withPhoto = (await messagesOf(newDevice.client, chat)).find((m) => m.text === photo);
    expect(withPhoto?.attachments?.[0]).toMatchObject({
      size: 1234,
      mime: 'image/png',
      name: 'cat.png',
    });
    expect((await newDevice.client.getContact(bob.userId)).verified).toBe(true);
    expect((await newDevice.client.getConversation(chat)).timer).toBe(TIMER_OPTIONS_MS.at(-1));
    expect((await newDevice.client.getGroup(group)).members.length).toBe(3);
    expect(await textsOf(newDevice.client, group)).toContain(toGroup);
    expect(await newDevice.client.getDraft(group)).toBe('not sent yet');

    // The queue drains after the import: the message both carried shows once.
    await newDevice.client.start();
    const later = uniqueText('after the import');
    await bob.client.sendText({ conversationId: `u:${alice.userId}`, text: later });
    await seen(newDevice.client, chat, later);
    await settle(newDevice);
    const all = await textsOf(newDevice.client, chat);
    for (const t of [hello, reply, photo, both, later])
      expect(all.filter((x) => x === t)).toHaveLength(1);

    // The imported group works: the new device writes to it (its own sender key, made fresh).
    const fromNew = uniqueText('from the new device');
    await newDevice.client.sendText({ conversationId: group, text: fromNew });
    await seen(bob.client, group, fromNew);
    await seen(carol.client, group, fromNew);
    const toNew = uniqueText('from bob to the group');
    await bob.client.sendText({ conversationId: group, text: toNew });
    await seen(newDevice.client, group, toNew);

    // B5: no session, prekey, sender-key or identity private key bytes in a transfer's plaintext.
    const plain = concat(...a.frames);
    for (const { key } of a.frames.slice(1).map(decodeRecordFrame)) {
      expect(key).not.toMatch(
        /^(session|prekey|gsend|gkey|account|devices|seen|sent|outbox|msgidx|expiry)\b/,
      );
    }
    const identity = await alice.client.exportIdentity();
    const secrets = [
      identity.dhPrivate,
      identity.sigPrivate,
      ...(await byteStringsUnder(alice.storage.records, 'prekey/')).filter((b) => b.length >= 32),
      ...(await alice.storage.records.list('session/')).map(([, v]) => v),
      ...(await alice.storage.records.list('gsend/')).map(([, v]) => v),
      ...(await alice.storage.records.list('gkey/')).map(([, v]) => v),
      (await alice.storage.records.get(Keys.account)) as Uint8Array,
    ];
    expect(secrets.length).toBeGreaterThan(10);
    for (const secret of secrets) expect(contains(plain, secret)).toBe(false);

    // A backup escrows the identity by design (docs/protocol.md "Backups", "Identity escrow"),
    // in one frame after the meta frame; still no session, prekey, sender-key or device key bytes.
    const backup = await collectBytes(
      alice.client.archive.export({
        kind: 'backup',
        root,
        history: true,
        seq: 1,
        backupId: new Uint8Array(16),
      }),
    );
    const escrowed = await recordsIn(backup, root, signing);
    const escrowFrame = decodeRecordFrame(escrowed.frames[1] as Uint8Array);
    expect(escrowFrame.key).toBe(ESCROWED_IDENTITY_KEY);
    expect(decodeEscrowedIdentity(escrowFrame.value)).toEqual(identity);
    expect(a.records.has(ESCROWED_IDENTITY_KEY)).toBe(false);
    const backupPlain = concat(...escrowed.frames.filter((f) => f !== escrowed.frames[1]));
    expect(contains(concat(...escrowed.frames), identity.sigPrivate)).toBe(true);
    for (const secret of secrets) expect(contains(backupPlain, secret)).toBe(false);
    // The device's private key is a non-extractable key in the key store, never a record.
    expect(escrowed.frames.map((f, i) => (i === 0 ? '' : decodeRecordFrame(f).key))).not.toContain(
      Keys.account,
    );
  });

  it('a wrong key or another account is refused before anything is written', async () => {
    const alice = await user('alice');
    const mallory = await user('mallory');
    const chat = (await alice.client.startConversation(mallory.handle)).id;
    const text = uniqueText('x');
    await alice.client.sendText({ conversationId: chat, text });
    await seen(mallory.client, `u:${alice.userId}`, text);
    await settle(alice, mallory);
    const root = crypto.getRandomValues(new Uint8Array(32));
    const archive = await collectBytes(
      alice.client.archive.export({
        kind: 'backup',
        root,
        history: true,
        seq: 1,
        backupId: new Uint8Array(16),
      }),
    );
    // Another account's archive: its header does not verify against mallory's identity.
    const keys = async () => (await mallory.storage.records.list('')).map(([k]) => k);
    const before = await keys();
    expect((await errorOf(() => mallory.client.archive.import(piecesOf(archive), root))).code).toBe(
      ErrorCode.ARCHIVE_DAMAGED,
    );
    expect(await keys()).toEqual(before);
    const twin = await linkDevice(alice);
    const wrong = crypto.getRandomValues(new Uint8Array(32));
    expect((await errorOf(() => twin.client.archive.import(piecesOf(archive), wrong))).code).toBe(
      ErrorCode.ARCHIVE_WRONG_KEY,
    );
  });
});
