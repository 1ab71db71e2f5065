/**
 * `npm run cli -- backup` and `restore` (docs/client.md "Backups"). The
 * recovery key comes from PARLEY_RECOVERY_KEY; without it, `backup` makes a
 * new one and prints it ONCE (the CLI never stores it: whoever holds it and
 * the account id can read the backups). `restore` runs on a NEW profile that
 * holds only the account's passkey (`passkey.json` copied from the old
 * profile: the CLI's stand-in for a synced passkey) and makes it a new
 * device of the same account from the newest snapshot.
 */
import { formatRecoveryKey, newRecoveryKey } from '../../shared/backup/recovery-key.ts';
import { type Authenticator, loginWithPasskey } from '../../shared/client/account/account.ts';
import type { FetchLike } from '../../shared/client/backup/backup-relay.ts';
import { createBackups } from '../../shared/client/backup/backups.ts';
import { clientArchiveAccess } from '../../shared/client/backup/client-archive-access.ts';
import {
  type RestoredDevice,
  restoreIntoNewDevice,
} from '../../shared/client/backup/restore-new-device.ts';
import type { ParleyClient } from '../../shared/client/client.ts';
import { RelayApi } from '../../shared/client/relay/relay-api.ts';
import { nodeFetch, nodeTimers, TEST_ORIGIN } from '../../shared/client/testing/harness.ts';
import { systemRandom } from '../../shared/crypto/random.ts';

export const RECOVERY_KEY_ENV = 'PARLEY_RECOVERY_KEY';

const plainFetch: FetchLike = (url, init) => fetch(url, init);

export interface CliBackupResult {
  readonly seq: number;
  readonly size: number;
  /** Set only when this run made the key: print it once. */
  readonly newRecoveryKey?: string;
}

export async function cliBackup(client: ParleyClient, relayUrl: string): Promise<CliBackupResult> {
  const account = client.account();
  if (account === undefined) throw new Error('No account in this profile: run register first');
  const given = process.env[RECOVERY_KEY_ENV];
  const recoveryKey =
    given === undefined || given === '' ? formatRecoveryKey(newRecoveryKey(systemRandom)) : given;
  const backups = createBackups({
    accountId: account.userId,
    relayUrl,
    fetch: plainFetch,
    now: () => Date.now(),
    archive: clientArchiveAccess(client.archive, (await client.exportIdentity()).sigPublic),
  });
  const info = await backups.createBackup({ recoveryKey });
  return {
    seq: info.seq,
    size: info.size,
    ...(recoveryKey === given ? {} : { newRecoveryKey: recoveryKey }),
  };
}

export async function cliRestore(options: {
  readonly client: ParleyClient;
  readonly relayUrl: string;
  readonly handle: string;
  readonly authenticator: Authenticator;
  readonly deviceName: string;
  readonly removeOthers: boolean;
}): Promise<RestoredDevice> {
  const recoveryKey = process.env[RECOVERY_KEY_ENV];
  if (recoveryKey === undefined || recoveryKey === '')
    throw new Error(`restore reads the recovery key from ${RECOVERY_KEY_ENV}`);
  const api = new RelayApi({
    baseUrl: options.relayUrl,
    fetch: nodeFetch,
    now: Date.now,
    timers: nodeTimers,
    origin: TEST_ORIGIN,
  });
  const session = await loginWithPasskey(api, options.handle, options.authenticator);
  return restoreIntoNewDevice(
    options.client,
    { fetch: plainFetch, now: () => Date.now() },
    {
      recoveryKey,
      session,
      relayUrl: options.relayUrl,
      deviceName: options.deviceName,
      removeOthers: options.removeOthers,
      extractableDeviceKey: true,
    },
  );
}
