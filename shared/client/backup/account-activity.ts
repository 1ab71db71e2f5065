/**
 * "Is another device of this account still alive?", asked by a restore after
 * the recovery key and the passkey login and before anything is imported
 * (docs/protocol.md, "Backups", "Restoring on a new device"): a device that
 * still works is the better source, since linking from it brings everything,
 * messages newer than the backup included.
 *
 * The relay is asked with the restore's passkey session (GET /v1/devices),
 * not the backup auth key: the relay cannot tell which account a backup id
 * belongs to, and must not learn it; the session already names the account,
 * whose devices and their last connections the relay records anyway.
 *
 * Failures: RELAY_UNREACHABLE, the relay's own code (AUTH_FAILED for an
 * expired session, RATE_LIMITED), RELAY_PROTOCOL for an answer off the contract.
 */
import { ErrorCode, isParleyError, ParleyError } from '../../errors.ts';
import { parseRestBody } from '../../wire/rest-codec.ts';
import { type OwnDevice, OwnDevicesResponseSchema } from '../../wire/rest-devices.ts';
import { routes } from '../../wire/routes.ts';
import { type FetchLike, relayErrorFrom } from './backup-relay.ts';

/**
 * A device that connected within this window counts as alive: two weeks
 * covers a laptop left closed over a holiday, yet not a device lost months
 * ago (docs/extension.md, "Backups").
 */
export const STILL_ACTIVE_WINDOW_MS = 14 * 24 * 60 * 60 * 1000;

export interface AccountActivityDeps {
  readonly fetch: FetchLike;
}

export interface AccountActivityInput {
  readonly relayUrl: string;
  /** The token of the restore's passkey login (it names the account). */
  readonly sessionToken: string;
}

/** The account's registered devices as the relay lists them to its own session. */
export async function fetchOwnDevices(
  deps: AccountActivityDeps,
  input: AccountActivityInput,
): Promise<OwnDevice[]> {
  const url = `${input.relayUrl.replace(/\/+$/, '')}${routes.ownDevices.path}`;
  let response: Response;
  try {
    response = await deps.fetch(url, {
      method: routes.ownDevices.method,
      headers: { authorization: `Bearer ${input.sessionToken}` },
    });
  } catch (error) {
    if (isParleyError(error)) throw error;
    throw new ParleyError(ErrorCode.RELAY_UNREACHABLE, 'Relay could not be reached');
  }
  if (response.status !== routes.ownDevices.status) throw await relayErrorFrom(response);
  try {
    const body = parseRestBody(
      OwnDevicesResponseSchema,
      new Uint8Array(await response.arrayBuffer()),
    );
    return body.devices;
  } catch {
    throw new ParleyError(ErrorCode.RELAY_PROTOCOL, 'Relay answer does not match the contract', {
      status: response.status,
    });
  }
}

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
