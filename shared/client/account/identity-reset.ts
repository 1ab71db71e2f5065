/**
 * "Remove and reset identity" (docs/protocol.md, "Resetting the identity";
 * docs/client.md, "Identity changes"): for a stolen device, which holds the
 * account identity key, this device makes a new identity, registers itself
 * under it with a new device key and new prekeys, and starts a new signed
 * device list chain (version 1 naming this device alone). The relay accepts
 * it only with a session token from a fresh passkey login and revokes every
 * other device. Contacts see an identity change on our next message.
 *
 * What this device held under the old identity is forgotten first: sessions
 * (they were agreed with the old key), the addressed device sets and held
 * lists (ours included), our group sending chains (new ones are distributed
 * with the next group message), prekeys and retry state. Conversations,
 * contacts, groups and settings stay. Reusable by a restore with no device
 * left: it needs only a relay API, a session and storage.
 */
import {
  DEVICE_LIST_HASH_BYTES,
  signDeviceBinding,
  signDeviceList,
} from '../../crypto/device-list.ts';
import type { SessionResponse } from '../../wire/rest-auth.ts';
import type { RelayApi } from '../relay/relay-api.ts';
import { Keys } from '../store/storage-keys.ts';
import type { RecordStore } from '../store/store.ts';
import {
  type Account,
  type AccountDeps,
  type MadeRegistration,
  registerDevice,
} from './account.ts';

/** State bound to the old identity or to the old device (see the module comment). */
const FORGOTTEN_PREFIXES = [
  'session/',
  'devices/',
  'devlist/',
  Keys.deviceListAnnounced,
  'gsend/',
  'reset/',
  'retryout/',
  'retryin/',
  'prekey/',
  Keys.maintenance,
] as const;

export async function forgetOldIdentityState(records: RecordStore): Promise<void> {
  const ops = [];
  for (const prefix of FORGOTTEN_PREFIXES) {
    for (const [key] of await records.list(prefix)) ops.push({ op: 'delete' as const, key });
  }
  if (ops.length > 0) await records.write(ops);
}

/** Version 1 of the new chain: this device alone, bound by its own key. */
async function firstList(made: MadeRegistration, userId: string, now: number) {
  const deviceId = made.body.device.id;
  return signDeviceList(made.identity.signing.privateKey, {
    userId,
    identityKey: made.identity.signing.publicKey,
    version: 1,
    prevHash: new Uint8Array(DEVICE_LIST_HASH_BYTES),
    issuedAt: now,
    devices: [
      {
        deviceId,
        deviceKey: made.deviceKey.publicKey,
        addedAt: now,
        addedBy: deviceId,
        binding: await signDeviceBinding(
          made.deviceKey.privateKey,
          userId,
          made.identity.signing.publicKey,
          deviceId,
        ),
      },
    ],
  });
}

export interface IdentityResetInput {
  readonly relayUrl: string;
  /** From a passkey login made just now (the relay refuses an expired one). */
  readonly session: SessionResponse;
  readonly deviceName?: string;
}

/** Forgets the old identity's state, then registers this device under a new identity. */
export async function resetIdentity(
  deps: AccountDeps,
  api: RelayApi,
  input: IdentityResetInput,
): Promise<Account> {
  await forgetOldIdentityState(deps.storage.records);
  return registerDevice(
    deps,
    api,
    {
      relayUrl: input.relayUrl,
      handle: input.session.handle,
      ...(input.deviceName === undefined ? {} : { deviceName: input.deviceName }),
    },
    input.session,
    {
      replace: true,
      submit: async (made) => {
        const list = await firstList(made, input.session.user, deps.now());
        await api.resetIdentity(input.session.token, made.body, list.encoded);
      },
    },
  );
}
