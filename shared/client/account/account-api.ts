/**
 * The account as the running client holds it: the account loaded from the
 * store (or just created), the relay API that signs requests with its device
 * key, the address its socket connects with, and the session cache the
 * ratchets decrypt through. Modules ask here for a session context (none while
 * the vault is locked or no account exists). Also the account part of the
 * public API: registration and joining an account (enrolment.ts), passkey
 * login, identity export (account.ts does the work).
 */
import { ErrorCode, fail } from '../../errors.ts';
import type { SessionResponse } from '../../wire/rest-auth.ts';
import type { FetchLike } from '../deps.ts';
import type { ClientHost } from '../host.ts';
import { RelayApi } from '../relay/relay-api.ts';
import type { DeviceCredentials } from '../relay/relay-connection.ts';
import type { SessionContext, SessionEntry } from '../sessions/sessions.ts';
import type { Batch } from '../store/batch.ts';
import { DEVICE_KEY_NAME } from '../store/storage-keys.ts';
import type { ClientStorage } from '../store/store.ts';
import type { AccountInfo } from '../views.ts';
import {
  type Account,
  type AccountDeps,
  type Authenticator,
  type DeviceAddress,
  exportIdentity,
  type IdentityExport,
  loadAccount,
  loginWithPasskey,
} from './account.ts';
import { enrolmentApi } from './enrolment.ts';
import { ownDevicesApi } from './own-devices.ts';
import { recoveryWrapsApi } from './recovery-wraps-api.ts';

export interface AccountApiHost
  extends Pick<ClientHost, 'records' | 'transact' | 'timers' | 'now' | 'random' | 'stamps'> {
  readonly storage: ClientStorage;
  readonly fetch: FetchLike;
  /** Origin header for REST calls from non-browser callers (ClientDeps.origin). */
  readonly origin: string | undefined;
  isLocked(): boolean;
  /** An account was found in the store: read what else is stored with it (settings). */
  loaded(): Promise<void>;
  /** A contact's identity changed (sessions.ts): note it in the timeline, in `batch`. */
  onIdentityChange(batch: Batch, user: string): Promise<void>;
}

function info(a: Account): AccountInfo {
  return { userId: a.userId, handle: a.handle, deviceId: a.deviceId, relayUrl: a.relayUrl };
}

function relayApiFor(
  host: Pick<AccountApiHost, 'fetch' | 'now' | 'timers' | 'origin'>,
  relayUrl: string,
): RelayApi {
  return new RelayApi({
    baseUrl: relayUrl,
    fetch: host.fetch,
    now: host.now,
    timers: host.timers,
    ...(host.origin === undefined ? {} : { origin: host.origin }),
  });
}

export function createAccountApi(host: AccountApiHost) {
  const { storage, now, random } = host;
  const sessionCache = new Map<string, SessionEntry>();
  let account: Account | undefined;
  let api: RelayApi | undefined;
  let address: DeviceAddress | undefined;

  const makeApi = (relayUrl: string) => relayApiFor(host, relayUrl);

  function requireAccount(): Account {
    if (account === undefined)
      fail(ErrorCode.NOT_REGISTERED, 'No account is loaded on this client');
    return account;
  }

  function requireApi(): RelayApi {
    if (api === undefined) fail(ErrorCode.NOT_REGISTERED, 'No relay is configured on this client');
    return api;
  }

  /**
   * The relay API signing as this device, also while the vault is locked:
   * the device key lives outside the vault (it authenticates the socket
   * then too), so device-signed routes work; management routes, which need
   * the identity key, still refuse until unlock.
   */
  async function deviceApi(): Promise<RelayApi> {
    const relay = requireApi();
    if (relay.signer !== undefined || address === undefined) return relay;
    const key = await storage.keys.getKey(DEVICE_KEY_NAME);
    if (key !== undefined && relay.signer === undefined) {
      relay.setSigner({ user: address.userId, device: address.deviceId, key });
    }
    return relay;
  }

  function sessionContext(): SessionContext | undefined {
    if (account === undefined || api === undefined || host.isLocked()) return undefined;
    return {
      deps: { now, random },
      api,
      account,
      cache: sessionCache,
      onIdentityChange: host.onIdentityChange,
    };
  }

  function requireSessions(): SessionContext {
    const ctx = sessionContext();
    if (ctx === undefined)
      fail(ErrorCode.NOT_REGISTERED, 'The account is not available (locked or not registered)');
    return ctx;
  }

  function adopt(loaded: Account): AccountInfo {
    account = loaded;
    api ??= makeApi(loaded.relayUrl);
    api.setSigner({
      user: loaded.userId,
      device: loaded.deviceId,
      key: loaded.deviceKey,
      manager: loaded.identity.signing.privateKey,
    });
    address = { relayUrl: loaded.relayUrl, userId: loaded.userId, deviceId: loaded.deviceId };
    return info(loaded);
  }

  async function load(): Promise<AccountInfo | undefined> {
    if (account !== undefined) return info(account);
    const loaded = await loadAccount(storage);
    if (loaded === undefined) return undefined;
    await host.loaded();
    return adopt(loaded);
  }

  /** Creates this device's account (or device) on the relay at `relayUrl`, then adopts it. */
  async function enrol(
    relayUrl: string,
    create: (deps: AccountDeps, relayApi: RelayApi) => Promise<Account>,
  ): Promise<AccountInfo> {
    const relayApi = makeApi(relayUrl);
    const created = await create({ storage, now, random }, relayApi);
    api = relayApi;
    return adopt(created);
  }

  const enrolment = enrolmentApi({
    host,
    makeApi,
    enrol,
    requireAccount,
    clearSessions: () => sessionCache.clear(),
  });

  return {
    requireAccount,
    resetOwnIdentity: enrolment.resetOwnIdentity,
    requireApi,
    deviceApi,
    sessionContext,
    requireSessions,
    /** The account is loaded and the vault unlocked (receipts can be encrypted). */
    hasSessions: (): boolean => sessionContext() !== undefined,
    /** On lock: decrypted sessions leave memory. */
    dropSessions: (): void => sessionCache.clear(),
    /**
     * The device to connect as: ours, or `given` while the vault is locked
     * (no account can be loaded then). NOT_REGISTERED when there is neither.
     */
    connectTarget(given: DeviceAddress | undefined): DeviceAddress {
      const target = address ?? given;
      if (target === undefined) fail(ErrorCode.NOT_REGISTERED, 'No account to connect with');
      return target;
    },
    /** Connecting as `target`: remember it, and have a relay API for it. */
    connectingTo(target: DeviceAddress): void {
      address = target;
      api ??= makeApi(target.relayUrl);
    },
    /** The socket's credentials: the device key works while the vault is locked. */
    async credentials(target: DeviceAddress): Promise<DeviceCredentials> {
      const key = account?.deviceKey ?? (await storage.keys.getKey(DEVICE_KEY_NAME));
      if (key === undefined) fail(ErrorCode.NOT_REGISTERED, 'The device key is missing');
      return { user: target.userId, device: target.deviceId, key };
    },
    /**
     * The key that makes the socket writable (the relay's unlock proof): the
     * identity key, which lives in the vault, so only an unlocked client has it.
     */
    unlockKey: (): CryptoKey | undefined =>
      host.isLocked() ? undefined : account?.identity.signing.privateKey,
    /** The public part (ParleyClient). */
    api: {
      account: (): AccountInfo | undefined => (account === undefined ? undefined : info(account)),
      deviceAddress: (): DeviceAddress | undefined => address,
      load,
      ...enrolment.api,
      login: (authenticator: Authenticator): Promise<SessionResponse> =>
        loginWithPasskey(requireApi(), requireAccount().handle, authenticator),
      exportIdentity: (): Promise<IdentityExport> => exportIdentity(host.records),
      ...ownDevicesApi({ requireAccount, requireApi, requireUnlocked: requireSessions }),
      ...recoveryWrapsApi({ requireAccount, requireApi, requireUnlocked: requireSessions }),
    },
  };
}

export type { JoinAccountInput } from './enrolment.ts';
export type AccountApi = ReturnType<typeof createAccountApi>;
