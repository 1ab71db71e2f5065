/**
 * The two sides of linking a device by code (docs/protocol.md, "Linking a
 * device") as the process tests drive them: each side with its own anonymous
 * relay API, the existing device approving at once with its owner's passkey
 * session and identity, the new device registering the linked client.
 * Overrides change one step for a test.
 */
import { systemRandom } from '../../crypto/random.ts';
import type { ParleyClient } from '../client.ts';
import type { ExistingDeviceLinkOptions } from '../linking/existing-device.ts';
import {
  type LinkInvitation,
  linkAsNewDevice,
  type NewDeviceLinkOptions,
} from '../linking/new-device.ts';
import { registerLinkedDevice } from '../linking/register-linked-device.ts';
import { RelayApi } from '../relay/relay-api.ts';
import { nodeFetch, nodeTimers, TEST_ORIGIN, type TestUser } from './harness.ts';

/** Randomness, timers and a short poll interval, the same for both sides. */
export const linkTiming = {
  random: systemRandom,
  timers: nodeTimers,
  now: () => Date.now(),
  pollMs: 50,
};

/** A relay API without a session (what each side of the link starts with). */
export function anonymousRelayApi(relayUrl: string): RelayApi {
  return new RelayApi({
    baseUrl: relayUrl,
    fetch: nodeFetch,
    now: Date.now,
    timers: nodeTimers,
    origin: TEST_ORIGIN,
  });
}

/** Starts the new-device side for `client`: the code once shown, then the linked account. */
export function newLinkSide(
  relayUrl: string,
  client: ParleyClient,
  deviceName: string,
  overrides: Partial<NewDeviceLinkOptions> = {},
): {
  invitation: Promise<LinkInvitation>;
  done: Promise<Awaited<ReturnType<typeof linkAsNewDevice>>>;
} {
  let shown: (i: LinkInvitation) => void = () => {};
  const invitation = new Promise<LinkInvitation>((r) => {
    shown = r;
  });
  const done = linkAsNewDevice({
    ...linkTiming,
    api: anonymousRelayApi(relayUrl),
    deviceName,
    onInvitation: (i) => shown(i),
    register: (payload) => registerLinkedDevice(client, payload, { deviceName: 'linked' }),
    ...overrides,
  });
  return { invitation, done };
}

/** The existing-device side's options for `code`, approving at once as `owner`. */
export function existingLinkSide(
  relayUrl: string,
  owner: TestUser,
  code: string,
  overrides: Partial<ExistingDeviceLinkOptions> = {},
): ExistingDeviceLinkOptions {
  return {
    ...linkTiming,
    api: anonymousRelayApi(relayUrl),
    code,
    approve: async () => true,
    session: () => owner.client.login(owner.authenticator),
    identity: () => owner.client.exportIdentity(),
    ensureListed: () => owner.client.signedDeviceList.ensureSelfListed(),
    settings: () => owner.client.getSettings(),
    ...overrides,
  };
}
