/**
 * Before a restore imports anything: is another device of the account still
 * alive (docs/extension.md, "Backups")? Asked with the restore's passkey
 * session (RelayApi.ownDevices, judged by shared/client/backup/account-activity.ts);
 * a device that connected within STILL_ACTIVE_WINDOW_MS makes the page point
 * to linking instead.
 *
 * Runs in: the service worker and Node (tests).
 */
import { recentlyActiveDevice } from '../../../shared/client/backup/account-activity.ts';
import type { RelayApi } from '../../../shared/client/relay/relay-api.ts';
import type { RestoreActivity } from '../../lib/protocol.ts';

export interface RestoreActivityDeps {
  /** A relay client for the restore's relay (session routes only: no device yet). */
  readonly api: RelayApi;
  readonly now: () => number;
}

export async function restoreActivity(
  deps: RestoreActivityDeps,
  input: { readonly sessionToken: string },
): Promise<RestoreActivity> {
  const devices = await deps.api.ownDevices(input.sessionToken);
  const recent = recentlyActiveDevice(devices, deps.now());
  return {
    recent:
      recent === undefined ? null : { lastSeenAt: recent.lastSeenAt, name: recent.name ?? null },
  };
}
