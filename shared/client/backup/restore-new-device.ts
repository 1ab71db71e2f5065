/**
 * Restoring a backup into an EMPTY profile (docs/protocol.md "Backups",
 * "Restoring on a new device"): a fresh browser that has only the recovery
 * key and a passkey session of the account becomes a NEW device of the SAME
 * account, with the identity escrowed in the backup, so contacts see a new
 * device and an unchanged safety number.
 *
 * Order, so that a failure registers and imports nothing:
 *   1. parse the recovery key (RECOVERY_KEY_INVALID, offline) and derive the
 *      keys for the session's account;
 *   2. download the chosen snapshot (default: the highest seq listed), or
 *      take a `.parleybackup` file's bytes, and keep the sealed bytes in memory; open it (ARCHIVE_WRONG_KEY from the
 *      key check, before any body chunk is read), read every frame to the end
 *      and check it as an import would (ARCHIVE_DAMAGED), check that the
 *      escrowed identity signed the header;
 *   3. only then register this device with that identity (joinAccount; the
 *      relay refuses an identity that is not the account's), list itself in
 *      the signed device list (v+1), optionally unlist every other device
 *      ("I lost my device": the relay revokes them);
 *   4. import the kept bytes through client.archive.import (verified again,
 *      all or nothing) and start the client, so the queue drains; a message
 *      both in the backup and in the queue shows once ((author, id) index).
 * Keeping the sealed bytes bounds a restore by the snapshot's size, the same
 * bound the import's staging already has (attachments are pointers).
 */
import { openArchiveSignerUnchecked } from '../../archive/archive.ts';
import { archiveDamaged } from '../../archive/errors.ts';
import { deriveBackupKeys } from '../../backup/keys.ts';
import { parseRecoveryKey } from '../../backup/recovery-key.ts';
import { wipe } from '../../bytes.ts';
import { ErrorCode, fail, ParleyError } from '../../errors.ts';
import type { SessionResponse } from '../../wire/rest-auth.ts';
import type { IdentityExport } from '../account/account.ts';
import { readSnapshot } from '../archive/import-snapshot.ts';
import type { ParleyClient } from '../parley-client.ts';
import type { AccountInfo } from '../views.ts';
import { BackupRelay, type FetchLike } from './backup-relay.ts';
import type { SignedSnapshotHeader } from './backups.ts';
import { backupHeaderOf } from './snapshot-header.ts';

export type RestoringClient = Pick<
  ParleyClient,
  'account' | 'joinAccount' | 'signedDeviceList' | 'archive' | 'start' | 'removeOtherDevices'
>;

export interface RestoreIntoNewDeviceInput {
  readonly recoveryKey: string;
  /** A passkey login of the account made just now; names the account restored. */
  readonly session: SessionResponse;
  readonly relayUrl: string;
  /** The snapshot, as the relay lists it; default the highest listed. */
  readonly seq?: number;
  /**
   * A `.parleybackup` file's bytes (a snapshot as downloaded): restored from
   * these instead of the relay, which is then not asked for any snapshot.
   */
  readonly file?: Uint8Array;
  /** Unlist (and so revoke) every other device of the account: "I lost my device". */
  readonly removeOthers?: boolean;
  readonly deviceName?: string;
  /** Only for key stores that must serialise the device key (the CLI's file store). */
  readonly extractableDeviceKey?: boolean;
}

export interface RestoreIntoNewDeviceDeps {
  readonly fetch: FetchLike;
  readonly now: () => number;
}

export interface RestoredDevice {
  readonly account: AccountInfo;
  /** The signed header of the snapshot restored. */
  readonly snapshot: SignedSnapshotHeader;
  /** Records the import wrote. */
  readonly written: number;
  /** Devices unlisted because of `removeOthers`. */
  readonly removed: readonly number[];
}

/** A snapshot read and checked to its end; nothing of it written yet. */
interface VerifiedSnapshot {
  readonly sealed: readonly Uint8Array[];
  readonly header: SignedSnapshotHeader;
  readonly identity: IdentityExport;
}

async function* replay(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

async function download(
  relay: BackupRelay,
  seq: number | undefined,
): Promise<AsyncIterable<Uint8Array>> {
  const listed = await relay.list();
  const wanted = seq ?? Math.max(0, ...listed.map((s) => s.seq));
  const info = listed.find((s) => s.seq === wanted);
  if (info === undefined)
    throw new ParleyError(ErrorCode.NOT_FOUND, 'No such snapshot on the relay', {
      what: 'snapshot',
      seq: wanted,
    });
  return relay.download(info);
}

async function verify(
  source: AsyncIterable<Uint8Array>,
  root: Uint8Array,
  backupId: Uint8Array,
): Promise<VerifiedSnapshot> {
  const sealed: Uint8Array[] = [];
  async function* keeping(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      sealed.push(chunk);
      yield chunk;
    }
  }
  const { opened, signedBy } = await openArchiveSignerUnchecked(keeping(), root);
  const header = backupHeaderOf(opened.header, backupId);
  const { identity } = await readSnapshot(opened.frames, true);
  if (identity === undefined) throw archiveDamaged('the backup escrows no identity');
  if (!(await signedBy(identity.sigPublic)))
    throw archiveDamaged('the header signature does not verify');
  return { sealed, header, identity };
}

/** Restores a backup into this empty client as a new device of the account (see above). */
export async function restoreIntoNewDevice(
  client: RestoringClient,
  deps: RestoreIntoNewDeviceDeps,
  input: RestoreIntoNewDeviceInput,
): Promise<RestoredDevice> {
  if (client.account() !== undefined)
    fail(ErrorCode.BAD_ARGUMENT, 'Restoring into a new device needs an empty profile');
  const rk = parseRecoveryKey(input.recoveryKey);
  const keys = await deriveBackupKeys(rk, input.session.user);
  wipe(rk);
  try {
    const relay = new BackupRelay({
      relayUrl: input.relayUrl,
      fetch: deps.fetch,
      backupId: keys.backupId,
      auth: keys.auth,
      now: deps.now,
    });
    const source =
      input.file === undefined ? await download(relay, input.seq) : replay([input.file]);
    const verified = await verify(source, keys.backupKey, keys.backupId);
    const account = await client.joinAccount({
      relayUrl: input.relayUrl,
      session: input.session,
      identity: verified.identity,
      ...(input.deviceName === undefined ? {} : { deviceName: input.deviceName }),
      ...(input.extractableDeviceKey === undefined
        ? {}
        : { extractableDeviceKey: input.extractableDeviceKey }),
    });
    await client.signedDeviceList.ensureSelfListed();
    // Listed or not: a device registered by an abandoned link goes too.
    const removed = input.removeOthers ? await client.removeOtherDevices() : [];
    const imported = await client.archive.import(replay(verified.sealed), keys.backupKey);
    await client.start();
    return { account, snapshot: verified.header, written: imported.written, removed };
  } finally {
    wipe(keys.backupKey);
  }
}
