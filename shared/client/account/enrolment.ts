/**
 * How this client comes to hold an account: registering a new one (with a
 * passkey), joining an existing one as another device, and resetting its
 * identity. Each creates the account on the relay through `enrol`, which the
 * account API (account-api.ts) gives so the result is adopted there.
 */
import { ErrorCode, fail } from '../../errors.ts';
import type {
  CreationOptions,
  RegistrationResponse,
  SessionResponse,
} from '../../wire/rest-auth.ts';
import type { ClientHost } from '../host.ts';
import { newOutboxEntry, type OutboxEntry, OutboxKind, stageEntry } from '../outbox/outbox.ts';
import type { RelayApi } from '../relay/relay-api.ts';
import { encodeContent } from '../sessions/content.ts';
import type { Batch } from '../store/batch.ts';
import type { AccountInfo } from '../views.ts';
import {
  type Account,
  type AccountDeps,
  type Authenticator,
  beginRegistration,
  completeRegistration,
  type IdentityExport,
  type RegistrationInput,
  registerAccount,
  registerDevice,
} from './account.ts';
import { resetIdentity } from './identity-reset.ts';

export interface JoinAccountInput {
  readonly relayUrl: string;
  readonly session: SessionResponse;
  readonly identity: IdentityExport;
  readonly deviceName?: string;
  readonly extractableDeviceKey?: boolean;
}

export interface EnrolmentDeps {
  readonly host: Pick<ClientHost, 'transact' | 'random' | 'stamps' | 'now'>;
  /** A relay API (unsigned) for the relay at `relayUrl`. */
  makeApi(relayUrl: string): RelayApi;
  /** Creates the account with `create` on the relay at `relayUrl`, then adopts it. */
  enrol(
    relayUrl: string,
    create: (deps: AccountDeps, relayApi: RelayApi) => Promise<Account>,
  ): Promise<AccountInfo>;
  requireAccount(): Account;
  /** Decrypted sessions leave memory (they belong to the identity being replaced). */
  clearSessions(): void;
}

/** A session start (`reset`) queued to our other devices (`user` is our own user id). */
async function stageSessionStart(
  host: EnrolmentDeps['host'],
  batch: Batch,
  user: string,
): Promise<void> {
  stageEntry(
    batch,
    newOutboxEntry({
      id: host.random(16) as OutboxEntry['id'],
      stamp: await host.stamps.next(batch),
      kind: OutboxKind.RESET,
      content: encodeContent({ v: 1, t: 'reset' }),
      recipients: [user],
      createdAt: host.now(),
    }),
  );
}

/** The registration of a device joining an existing account (same identity, handle from the session). */
function joiningDevice(input: JoinAccountInput): RegistrationInput {
  return {
    relayUrl: input.relayUrl,
    handle: input.session.handle,
    identity: input.identity,
    ...(input.deviceName === undefined ? {} : { deviceName: input.deviceName }),
    ...(input.extractableDeviceKey === undefined
      ? {}
      : { extractableDeviceKey: input.extractableDeviceKey }),
  };
}

export function enrolmentApi({
  host,
  makeApi,
  enrol,
  requireAccount,
  clearSessions,
}: EnrolmentDeps) {
  /**
   * Registers this client as another device of an existing account, with the
   * identity handed over by a device of that account (tests pass
   * exportIdentity() across; docs/client.md "Not done yet") and a session
   * token from a passkey login. Queues a session start to our other devices
   * so they address this one from their next message on.
   */
  async function joinAccount(input: JoinAccountInput): Promise<AccountInfo> {
    const result = await enrol(input.relayUrl, (d, relayApi) =>
      registerDevice(d, relayApi, joiningDevice(input), input.session),
    );
    await host.transact((batch) => stageSessionStart(host, batch, result.userId));
    return result;
  }

  /**
   * "Remove and reset identity" (identity-reset.ts): a new identity and list
   * v1 naming this device alone; every other device is revoked. The caller
   * stops the socket first (the old device id is revoked with the others).
   */
  async function resetOwnIdentity(input: {
    readonly session: SessionResponse;
    readonly deviceName?: string;
  }): Promise<AccountInfo> {
    const current = requireAccount();
    if (input.session.user !== current.userId)
      fail(ErrorCode.BAD_ARGUMENT, 'The session is for another account');
    clearSessions();
    return enrol(current.relayUrl, (d, relayApi) =>
      resetIdentity(d, relayApi, { relayUrl: current.relayUrl, ...input }),
    );
  }

  return {
    resetOwnIdentity,
    /** The public part (ParleyClient). */
    api: {
      beginRegistration: (input: {
        readonly relayUrl: string;
        readonly handle: string;
      }): Promise<CreationOptions> => beginRegistration(makeApi(input.relayUrl), input.handle),
      finishRegistration: (
        input: RegistrationInput & { readonly credential: RegistrationResponse },
      ): Promise<AccountInfo> =>
        enrol(input.relayUrl, (d, relayApi) =>
          completeRegistration(d, relayApi, input, input.credential),
        ),
      register: (
        input: RegistrationInput & { readonly authenticator: Authenticator },
      ): Promise<AccountInfo> =>
        enrol(input.relayUrl, (d, relayApi) =>
          registerAccount(d, relayApi, input, input.authenticator),
        ),
      joinAccount,
    },
  };
}
