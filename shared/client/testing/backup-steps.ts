/**
 * The backup steps the process tests drive against a real relay
 * (docs/protocol.md "Backups", "Restoring on a new device"): a snapshot of an
 * account's archive uploaded under a recovery key, a passkey login from a
 * browser that holds nothing of the account, and a restore of the latest
 * snapshot (or a file) into a fresh client that becomes a new device of the
 * same account. Options change one step for a test.
 */
import { formatRecoveryKey } from '../../backup/recovery-key.ts';
import type { SessionResponse } from '../../wire/rest-auth.ts';
import { type Authenticator, loginWithPasskey } from '../account/account.ts';
import type { FetchLike } from '../backup/backup-relay.ts';
import { createBackups } from '../backup/backups.ts';
import { clientArchiveAccess } from '../backup/client-archive-access.ts';
import {
  type RestoredDevice,
  type RestoringClient,
  restoreIntoNewDevice,
} from '../backup/restore-new-device.ts';
import { createClient, type ParleyClient } from '../client.ts';
import { nodeClientDeps, type TestUser } from './harness.ts';
import { anonymousRelayApi } from './link-sides.ts';
import type { RelayFixture } from './relay-fixture.ts';

/** The backup flows' fetch (a plain one, as a browser's). */
export const plainFetch: FetchLike = (url, init) => fetch(url, init);

/** A new random recovery key, formatted as the user is shown it. */
export function newRecoveryKey(): string {
  return formatRecoveryKey(crypto.getRandomValues(new Uint8Array(32)));
}

/** "Back up now": `owner`'s archive uploaded to the relay as a snapshot under `recoveryKey`. */
export async function backUp(
  relayUrl: string,
  owner: TestUser,
  recoveryKey: string,
): Promise<void> {
  const signing = (await owner.client.exportIdentity()).sigPublic;
  const backups = createBackups({
    accountId: owner.userId,
    relayUrl,
    fetch: plainFetch,
    now: () => Date.now(),
    archive: clientArchiveAccess(owner.client.archive, signing),
  });
  await backups.createBackup({ recoveryKey });
}

/** A passkey login from a browser that holds nothing of the account (the user picks the passkey). */
export function freshPasskeyLogin(
  relayUrl: string,
  owner: TestUser,
  authenticator: Authenticator = owner.authenticator,
): Promise<SessionResponse> {
  return loginWithPasskey(anonymousRelayApi(relayUrl), owner.handle, authenticator);
}

export interface RestoreStepOptions {
  readonly recoveryKey: string;
  /** The passkey login the restore uses; default a fresh one as `owner`. */
  readonly session?: SessionResponse;
  readonly deviceName?: string;
  readonly removeOthers?: boolean;
  /** A `.parleybackup` file's bytes to restore from instead of the relay. */
  readonly file?: Uint8Array;
  /** The fetch the restore reads snapshots with; default a plain one. */
  readonly fetch?: FetchLike;
  /** What the restore sees of the fresh client; default the client itself. */
  readonly restoring?: (client: ParleyClient) => RestoringClient;
}

/**
 * Restores `owner`'s backup into a fresh client (stopped with the relay
 * fixture's clients): the restored device as a TestUser of the same account,
 * and what the restore returned.
 */
export async function restoreAsNewDevice(
  relay: RelayFixture,
  owner: TestUser,
  options: RestoreStepOptions,
): Promise<{ restored: TestUser; result: RestoredDevice }> {
  const deps = nodeClientDeps();
  const client = relay.track(createClient(deps));
  const result = await restoreIntoNewDevice(
    options.restoring?.(client) ?? client,
    { fetch: options.fetch ?? plainFetch, now: () => Date.now() },
    {
      recoveryKey: options.recoveryKey,
      session: options.session ?? (await freshPasskeyLogin(relay.url, owner)),
      relayUrl: relay.url,
      deviceName: options.deviceName ?? 'restored',
      ...(options.removeOthers === undefined ? {} : { removeOthers: options.removeOthers }),
      ...(options.file === undefined ? {} : { file: options.file }),
    },
  );
  return {
    restored: { ...owner, client, storage: deps.storage, deviceId: result.account.deviceId },
    result,
  };
}
