/**
 * Before a restore imports anything: is another device of the account still
 * alive (docs/extension.md, "Backups")? Asked with the restore's passkey
 * session (shared/client/backup/account-activity.ts); a device that connected
 * within STILL_ACTIVE_WINDOW_MS makes the page point to linking instead.
 *
 * Runs in: the service worker and Node (tests).
 */
import {
  fetchOwnDevices,
  recentlyActiveDevice,
} from '../../../shared/client/backup/account-activity.ts';
import type { FetchLike } from '../../../shared/client/backup/backup-relay.ts';
import type { RestoreActivity } from '../../lib/protocol.ts';

export interface RestoreActivityDeps {
  readonly fetch: FetchLike;
  readonly now: () => number;
}

export async function restoreActivity(
  deps: RestoreActivityDeps,
  input: { readonly relayUrl: string; readonly sessionToken: string },
): Promise<RestoreActivity> {
  const devices = await fetchOwnDevices(deps, input);
  const recent = recentlyActiveDevice(devices, deps.now());
  return {
    recent:
      recent === undefined ? null : { lastSeenAt: recent.lastSeenAt, name: recent.name ?? null },
  };
}
