/**
 * Restoring a backup into an EMPTY profile against the REAL relay process
 * (docs/protocol.md "Backups", "Restoring on a new device"): alice backs up;
 * a fresh client with only the recovery key and a passkey login becomes a new
 * device of the same account (bob's safety number for alice is unchanged, no
 * identity-change notice), has alice's history and group, and chats both
 * ways; with removeOthers the old device is revoked. A damaged snapshot or a
 * mistyped key registers and imports nothing.
 */
import { describe, expect, it } from 'vitest';
import { deriveBackupKeys } from '../backup/keys.ts';
import { parseRecoveryKey } from '../backup/recovery-key.ts';
import { concat } from '../bytes.ts';
import { ErrorCode } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import type { FetchLike } from './backup/backup-relay.ts';
import { clientArchiveAccess } from './backup/client-archive-access.ts';
import {
  backUp,
  newRecoveryKey,
  type RestoreStepOptions,
  restoreAsNewDevice,
} from './testing/backup-steps.ts';
import {
  messagesOf,
  seenText,
  settle,
  type TestUser,
  textsOf,
  uniqueText,
} from './testing/harness.ts';
import { useRelayProcess } from './testing/relay-fixture.ts';

const relay = useRelayProcess({ handleSuffix: 'rs' });

const user = (name: string): Promise<TestUser> => relay.newUser(name);

const seen = seenText;

const RK = newRecoveryKey();

/** Restores `owner`'s backup (under RK unless told) into a fresh client named 'restored'. */
const restore = (owner: TestUser, options: Partial<RestoreStepOptions> = {}) =>
  restoreAsNewDevice(relay, owner, { recoveryKey: RK, ...options });

/** A `.parleybackup` file: the snapshot the relay would get, as one byte array. */
async function backupFile(owner: TestUser, recoveryKey: string): Promise<Uint8Array> {
  const keys = await deriveBackupKeys(parseRecoveryKey(recoveryKey), owner.userId);
  const access = clientArchiveAccess(
    owner.client.archive,
    (await owner.client.exportIdentity()).sigPublic,
  );
  const chunks: Uint8Array[] = [];
  for await (const c of access.exportBackup({
    root: keys.backupKey,
    seq: 0,
    backupId: keys.backupId,
  }))
    chunks.push(c);
  return concat(...chunks);
}

describe('restoring a backup into an empty profile (real relay)', () => {
  it('a fresh client becomes a new device of the same account: same safety number, history, group, chats both ways', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const carol = await user('carol');
    const chat = (await alice.client.startConversation(bob.handle)).id;
    const bobChat = `u:${alice.userId}`;
    const hello = uniqueText('hello bob');
    await alice.client.sendText({ conversationId: chat, text: hello });
    await seen(bob.client, bobChat, hello);
    await bob.client.acceptRequest(alice.userId);
    const reply = uniqueText('hi alice');
    await bob.client.sendText({ conversationId: bobChat, text: reply });
    await seen(alice.client, chat, reply);
    await alice.client.setVerified(bob.userId, true);
    const group = await alice.client.createGroup({
      name: 'Trio',
      members: [bob.handle, carol.handle],
    });
    const toGroup = uniqueText('hello group');
    await alice.client.sendText({ conversationId: group, text: toGroup });
    await seen(bob.client, group, toGroup);
    await settle(alice, bob, carol);
    const before = await bob.client.getContact(alice.userId);
    expect(before.safetyNumber).not.toBeNull();
    await backUp(relay.url, alice, RK);

    const { restored, result } = await restore(alice, { removeOthers: true });
    expect(result.account.userId).toBe(alice.userId);
    expect(result.account.deviceId).not.toBe(alice.deviceId);
    expect(result.snapshot.seq).toBe(1);
    expect(result.removed).toEqual([alice.deviceId]);
    expect((await restored.client.exportIdentity()).sigPublic).toEqual(
      (await alice.client.exportIdentity()).sigPublic,
    );

    // History, the verified contact and the group are on the restored device.
    expect(await textsOf(restored.client, chat)).toEqual(expect.arrayContaining([hello, reply]));
    expect((await restored.client.getContact(bob.userId)).verified).toBe(true);
    expect((await restored.client.getGroup(group)).members.length).toBe(3);
    expect(await textsOf(restored.client, group)).toContain(toGroup);

    // The old device is revoked; the account lists the restored device alone.
    const devices = await restored.client.listDevices();
    expect(devices.map((d) => d.id)).toEqual([restored.deviceId]);

    // Both ways, 1:1 and in the group.
    const fromRestored = uniqueText('from the restored device');
    await restored.client.sendText({ conversationId: chat, text: fromRestored });
    await seen(bob.client, bobChat, fromRestored);
    const toRestored = uniqueText('bob to the restored device');
    await bob.client.sendText({ conversationId: bobChat, text: toRestored });
    await seen(restored.client, chat, toRestored);
    const groupFromRestored = uniqueText('group from the restored device');
    await restored.client.sendText({ conversationId: group, text: groupFromRestored });
    await seen(bob.client, group, groupFromRestored);
    await seen(carol.client, group, groupFromRestored);
    const groupToRestored = uniqueText('group from bob');
    await bob.client.sendText({ conversationId: group, text: groupToRestored });
    await seen(restored.client, group, groupToRestored);
    await settle(restored, bob, carol);

    // Bob sees a new device of the same account: the safety number is unchanged, no notice.
    const after = await bob.client.getContact(alice.userId);
    expect(after.safetyNumber?.digits).toBe(before.safetyNumber?.digits);
    expect(after.identityChange).toBeNull();
    expect((await bob.client.getConversation(bobChat)).identityChanged).toBeFalsy();
    expect((await messagesOf(bob.client, bobChat)).some((m) => m.kind === 'system')).toBe(false);
    // Nothing shown twice on the restored device.
    const all = await textsOf(restored.client, chat);
    for (const t of [hello, reply, fromRestored, toRestored])
      expect(all.filter((x) => x === t)).toHaveLength(1);
  });

  it('a mistyped key, another key or a damaged snapshot registers and imports nothing', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const chat = (await alice.client.startConversation(bob.handle)).id;
    const text = uniqueText('x');
    await alice.client.sendText({ conversationId: chat, text });
    await seen(bob.client, `u:${alice.userId}`, text);
    await settle(alice, bob);
    await backUp(relay.url, alice, RK);
    const devicesBefore = (await alice.client.listDevices()).length;

    const mistyped = `${RK.slice(0, 5)}${RK[5] === 'A' ? 'B' : 'A'}${RK.slice(6)}`;
    expect((await errorOf(() => restore(alice, { recoveryKey: mistyped }))).code).toBe(
      ErrorCode.RECOVERY_KEY_INVALID,
    );
    // Another valid key addresses another (empty) backup id: nothing to restore.
    const other = newRecoveryKey();
    expect((await errorOf(() => restore(alice, { recoveryKey: other }))).code).toBe(
      ErrorCode.NOT_FOUND,
    );
    // A relay that flips a byte in the last chunk of the snapshot.
    const tampering: FetchLike = async (url, init) => {
      const response = await fetch(url, init);
      if (!/\/v1\/backups\/[^/]+\/snapshots\/\d+\/chunks\/\d+$/.test(url)) return response;
      const body = new Uint8Array(await response.arrayBuffer());
      body[body.length - 1] = (body[body.length - 1] ?? 0) ^ 1;
      return new Response(body, { status: response.status, headers: response.headers });
    };
    expect((await errorOf(() => restore(alice, { fetch: tampering }))).code).toBe(
      ErrorCode.ARCHIVE_DAMAGED,
    );
    const fresh = relay.running.slice(-3);
    for (const client of fresh) expect(client.account()).toBeUndefined();
    expect((await alice.client.listDevices()).length).toBe(devicesBefore);
  });

  it('restores from a backup file without asking the relay for snapshots; another key or a flipped byte imports nothing', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const chat = (await alice.client.startConversation(bob.handle)).id;
    const text = uniqueText('kept in the file');
    await alice.client.sendText({ conversationId: chat, text });
    await seen(bob.client, `u:${alice.userId}`, text);
    await settle(alice, bob);
    const file = await backupFile(alice, RK);
    const noSnapshots: FetchLike = (url, init) =>
      /\/v1\/backups\//.test(url)
        ? Promise.reject(new Error('the relay was asked for a snapshot'))
        : fetch(url, init);

    const other = newRecoveryKey();
    const wrong = await errorOf(() =>
      restore(alice, { recoveryKey: other, file, fetch: noSnapshots }),
    );
    expect(wrong.code).toBe(ErrorCode.ARCHIVE_WRONG_KEY);
    const damaged = file.slice();
    damaged[damaged.length - 1] = (damaged[damaged.length - 1] ?? 0) ^ 1;
    expect((await errorOf(() => restore(alice, { file: damaged, fetch: noSnapshots }))).code).toBe(
      ErrorCode.ARCHIVE_DAMAGED,
    );
    for (const client of relay.running.slice(-2)) expect(client.account()).toBeUndefined();

    const { restored, result } = await restore(alice, { file, fetch: noSnapshots });
    expect(result.account.userId).toBe(alice.userId);
    expect(result.snapshot.seq).toBe(0);
    expect(await textsOf(restored.client, chat)).toContain(text);
  });
});
