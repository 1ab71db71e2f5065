/**
 * The one step that makes a linked device part of its account, after the
 * linking channel delivered the payload (docs/protocol.md, "Linking a
 * device"). Today: register through the existing join path (same identity,
 * device certificate signed by the identity key, session token from the
 * existing device's passkey login), list itself in the account's signed
 * device list (version held+1, signed by this device with the identity key
 * the payload brought: peers and the relay address only listed devices), and
 * adopt the account's settings. Every linking path goes through here.
 */
import type { ParleyClient } from '../parley-client.ts';
import type { AccountInfo } from '../views.ts';
import type { LinkPayload } from './link-payload.ts';

export type LinkRegistrationClient = Pick<
  ParleyClient,
  'joinAccount' | 'updateSettings' | 'signedDeviceList'
>;

export interface LinkRegistrationOptions {
  readonly deviceName?: string;
  /** Only for key stores that must serialise the device key (the CLI's file store). */
  readonly extractableDeviceKey?: boolean;
}

export async function registerLinkedDevice(
  client: LinkRegistrationClient,
  payload: LinkPayload,
  options: LinkRegistrationOptions = {},
): Promise<AccountInfo> {
  const info = await client.joinAccount({
    relayUrl: payload.relayUrl,
    session: payload.session,
    identity: payload.identity,
    ...(options.deviceName === undefined ? {} : { deviceName: options.deviceName }),
    ...(options.extractableDeviceKey === undefined
      ? {}
      : { extractableDeviceKey: options.extractableDeviceKey }),
  });
  await client.signedDeviceList.ensureSelfListed();
  await client.updateSettings(payload.settings);
  return info;
}
