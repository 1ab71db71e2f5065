/**
 * "Is another device of this account still alive?", asked by a restore after
 * the recovery key and the passkey login and before anything is imported
 * (docs/protocol.md, "Backups", "Restoring on a new device"): a device that
 * still works is the better source, since linking from it brings everything,
 * messages newer than the backup included.
 *
 * The relay is asked with the restore's passkey session (GET /v1/devices,
 * RelayApi.ownDevices), not the backup auth key: the relay cannot tell which
 * account a backup id belongs to, and must not learn it; the session already
 * names the account, whose devices and their last connections the relay
 * records anyway. This module only judges the relay's answer (no I/O).
 */
import type { OwnDevice } from '../../wire/rest-devices.ts';

/**
 * A device that connected within this window counts as alive: two weeks
 * covers a laptop left closed over a holiday, yet not a device lost months
 * ago (docs/extension.md, "Backups").
 */
export const STILL_ACTIVE_WINDOW_MS = 14 * 24 * 60 * 60 * 1000;

/** The most recently seen device that connected within `windowMs` of `now`, if any. */
export function recentlyActiveDevice(
  devices: readonly OwnDevice[],
  now: number,
  windowMs: number = STILL_ACTIVE_WINDOW_MS,
): (OwnDevice & { readonly lastSeenAt: number }) | undefined {
  let best: (OwnDevice & { readonly lastSeenAt: number }) | undefined;
  for (const device of devices) {
    const seen = device.lastSeenAt;
    if (seen === undefined || seen < now - windowMs) continue;
    if (best === undefined || seen > best.lastSeenAt) best = { ...device, lastSeenAt: seen };
  }
  return best;
}
