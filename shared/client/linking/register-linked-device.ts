/**
 * The one step that makes a linked device part of its account, after the
 * linking channel delivered the payload (docs/protocol.md, "Linking a
 * device"). Today: register through the existing join path (same identity,
 * device certificate signed by the identity key, session token from the
 * existing device's passkey login) and adopt the account's settings. The
 * signed device list's step (the new device in list v+1) belongs here too, so
 * every linking path goes through it.
 */
import type { ParleyClient } from '../parley-client.ts';
import type { AccountInfo } from '../views.ts';
import type { LinkPayload } from './link-payload.ts';

export type LinkRegistrationClient = Pick<ParleyClient, 'joinAccount' | 'updateSettings'>;

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
  await client.updateSettings(payload.settings);
  return info;
}
