/**
 * The little the worker must know about the account while the vault is
 * locked: which relay to reconnect to and whose lock screen it is. Kept in the
 * plain `meta` store; the account's keys and everything else live in sealed
 * records owned by the client core.
 *
 * Runs in: the service worker and Node (tests).
 */
import type { DeviceAddress } from '../../../shared/client/client.ts';
import type { AccountSummary, OnboardingState, VaultState } from '../../lib/protocol.ts';
import type { MetaStore } from './idb-store.ts';

export const ACCOUNT_META = 'account';
/** The ids the relay knows this device by: enough to reconnect while locked. Not secret. */
export const DEVICE_ADDRESS_META = 'device-address';

export interface AccountRecord extends AccountSummary {
  /** False between "begin registration" and a successful "finish". */
  readonly registered: boolean;
}

export function readAccount(raw: unknown): AccountRecord | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Record<string, unknown>;
  if (
    typeof r.handle !== 'string' ||
    typeof r.relayUrl !== 'string' ||
    typeof r.registered !== 'boolean'
  )
    return null;
  return { handle: r.handle, relayUrl: r.relayUrl, registered: r.registered };
}

export function onboardingState(vault: VaultState, account: AccountRecord | null): OnboardingState {
  if (account?.registered) return 'complete';
  return vault === 'none' ? 'new' : 'vault-ready';
}

export class AccountStore {
  readonly #meta: MetaStore;

  constructor(meta: MetaStore) {
    this.#meta = meta;
  }

  async get(): Promise<AccountRecord | null> {
    return readAccount(await this.#meta.get(ACCOUNT_META));
  }

  async set(record: AccountRecord): Promise<void> {
    await this.#meta.set(ACCOUNT_META, { ...record });
  }
}

export function readDeviceAddress(raw: unknown): DeviceAddress | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (
    typeof r.relayUrl !== 'string' ||
    typeof r.userId !== 'string' ||
    typeof r.deviceId !== 'number' ||
    !Number.isSafeInteger(r.deviceId)
  )
    return undefined;
  return { relayUrl: r.relayUrl, userId: r.userId, deviceId: r.deviceId };
}

/** Kept in plain `meta` so a fresh (locked) worker can reconnect: see client-runtime.ts. */
export class DeviceAddressStore {
  readonly #meta: MetaStore;

  constructor(meta: MetaStore) {
    this.#meta = meta;
  }

  async load(): Promise<DeviceAddress | undefined> {
    return readDeviceAddress(await this.#meta.get(DEVICE_ADDRESS_META));
  }

  async save(address: DeviceAddress): Promise<void> {
    await this.#meta.set(DEVICE_ADDRESS_META, {
      relayUrl: address.relayUrl,
      userId: address.userId,
      deviceId: address.deviceId,
    });
  }
}
