/**
 * Passkey ceremonies (@simplewebauthn/server): account registration, login and
 * adding a passkey to an account. Challenges are stored server side, expire
 * after the configured TTL and are consumed by the first response that names
 * them (replays and late answers fail). User verification is required and the
 * signature counter must advance (unless the authenticator keeps none).
 * Every failure is one AUTH_FAILED answer with a reason, and an audit event.
 */
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { fromBase64Url, fromUtf8, toBase64Url } from '../../shared/bytes.ts';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import { normalizeHandle } from '../../shared/wire/handle.ts';
import { type RelayConfig, rpIdForOrigin } from '../config.ts';
import {
  addPasskey,
  advancePasskeyCounter,
  type ChallengeRow,
  consumeChallenge,
  createAccountWithPasskey,
  findAccountByHandle,
  findAccountById,
  findPasskey,
  insertChallenge,
  listPasskeys,
} from '../db/accounts.ts';
import type { Db } from '../db/open.ts';
import { AuthFailure } from '../http/codes.ts';
import type { Audit, AuthKind } from '../observability/audit.ts';
import type { SessionTokens } from './session-token.ts';
import { uuidFromBytes } from './uuid.ts';

/** COSE algorithms accepted: Ed25519, ES256, RS256 (what platform authenticators use). */
const ALGORITHMS = [-8, -7, -257];

export interface SessionGrant {
  readonly userId: string;
  readonly handle: string;
  readonly token: string;
  readonly expiresAt: number;
}

export interface PasskeyServiceDeps {
  readonly db: Db;
  readonly config: RelayConfig;
  readonly tokens: SessionTokens;
  readonly audit: Audit;
  readonly now: () => number;
  readonly random: (n: number) => Uint8Array;
}

interface Caller {
  readonly ip?: string | undefined;
  readonly origin?: string | undefined;
}

function authFailed(reason: AuthFailure, message: string): ParleyError {
  return new ParleyError(ErrorCode.AUTH_FAILED, message, { reason });
}

/** The challenge a response answers, read from its clientDataJSON (undefined if unreadable). */
function challengeOf(clientDataJSON: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(fromUtf8(fromBase64Url(clientDataJSON)));
    const challenge = (parsed as { challenge?: unknown }).challenge;
    return typeof challenge === 'string' && challenge.length <= 128 ? challenge : undefined;
  } catch {
    return undefined;
  }
}

export class PasskeyService {
  readonly #d: PasskeyServiceDeps;

  constructor(deps: PasskeyServiceDeps) {
    this.#d = deps;
  }

  #reject(
    kind: AuthKind,
    reason: AuthFailure,
    message: string,
    caller: Caller,
    extra: { accountId?: string } = {},
  ): never {
    this.#d.audit.authFailure({
      kind,
      code: `${ErrorCode.AUTH_FAILED}:${reason}`,
      ip: caller.ip,
      accountId: extra.accountId,
    });
    throw authFailed(reason, message);
  }

  /** Stores a fresh challenge; returns its bytes (the options carry them base64url-encoded, as stored). */
  async #newChallenge(
    row: Omit<ChallengeRow, 'challenge' | 'expiresAt'>,
  ): Promise<Uint8Array<ArrayBuffer>> {
    const bytes = Uint8Array.from(this.#d.random(32));
    await insertChallenge(this.#d.db, {
      ...row,
      challenge: toBase64Url(bytes),
      expiresAt: this.#d.now() + this.#d.config.challengeTtlSeconds * 1000,
    });
    return bytes;
  }

  async #consume(
    kind: AuthKind,
    clientDataJSON: string,
    purpose: ChallengeRow['purpose'],
    caller: Caller,
  ): Promise<ChallengeRow> {
    const challenge = challengeOf(clientDataJSON);
    const row =
      challenge === undefined
        ? undefined
        : await consumeChallenge(this.#d.db, challenge, this.#d.now());
    if (row === undefined || row.purpose !== purpose) {
      this.#reject(
        kind,
        AuthFailure.CHALLENGE,
        'Challenge unknown, already used or expired',
        caller,
      );
    }
    return row;
  }

  /**
   * Options for any well-formed handle, taken or not: answering HANDLE_TAKEN
   * here made this unauthenticated call an existence oracle. A taken handle
   * is refused by finishRegistration, after a user-verified passkey ceremony
   * (rate-limited per IP), as before for a handle claimed in between.
   */
  async startRegistration(
    handleInput: string,
    caller: Caller,
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const handle = normalizeHandle(handleInput);
    const userId = this.#d.random(32);
    const webauthnUserId = toBase64Url(userId);
    const challenge = await this.#newChallenge({
      purpose: 'register',
      handle,
      webauthnUserId,
      accountId: null,
    });
    return generateRegistrationOptions({
      rpName: this.#d.config.rpName,
      rpID: rpIdForOrigin(this.#d.config, caller.origin),
      userName: handle,
      userID: userId as Uint8Array<ArrayBuffer>,
      challenge,
      timeout: this.#d.config.challengeTtlSeconds * 1000,
      attestationType: 'none',
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      supportedAlgorithmIDs: ALGORITHMS,
    });
  }

  async finishRegistration(
    response: RegistrationResponseJSON,
    caller: Caller,
  ): Promise<SessionGrant> {
    const kind = 'passkey-register';
    const row = await this.#consume(kind, response.response.clientDataJSON, 'register', caller);
    const verified = await this.#verifyRegistration(kind, response, row.challenge, caller);
    const handle = row.handle ?? '';
    const accountId = uuidFromBytes(this.#d.random(16));
    const created = await createAccountWithPasskey(
      this.#d.db,
      { id: accountId, handle, webauthnUserId: row.webauthnUserId ?? '', createdAt: this.#d.now() },
      verified,
    );
    if (!created) throw new ParleyError(ErrorCode.HANDLE_TAKEN, 'Handle is taken');
    return this.#grant(accountId, handle);
  }

  /**
   * Login options, the same for every handle: no allowCredentials (passkeys
   * are discoverable, registered with residentKey 'required'), so the answer
   * names no credential ids. A known handle binds the challenge to its
   * account; an unknown one to a random id no account has, so the finish
   * fails exactly like a passkey of another account ('Passkey not
   * recognised') and nothing tells the two apart.
   */
  async startLogin(
    handleInput: string | undefined,
    caller: Caller,
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    let accountId: string | null = null;
    if (handleInput !== undefined) {
      const account = await findAccountByHandle(this.#d.db, normalizeHandle(handleInput));
      accountId = account?.id ?? uuidFromBytes(this.#d.random(16));
    }
    const challenge = await this.#newChallenge({
      purpose: 'login',
      handle: null,
      webauthnUserId: null,
      accountId,
    });
    return generateAuthenticationOptions({
      rpID: rpIdForOrigin(this.#d.config, caller.origin),
      challenge,
      timeout: this.#d.config.challengeTtlSeconds * 1000,
      userVerification: 'required',
    });
  }

  async finishLogin(response: AuthenticationResponseJSON, caller: Caller): Promise<SessionGrant> {
    const kind = 'passkey-login';
    const row = await this.#consume(kind, response.response.clientDataJSON, 'login', caller);
    const passkey = await findPasskey(this.#d.db, response.id);
    if (passkey === undefined || (row.accountId !== null && passkey.accountId !== row.accountId)) {
      this.#reject(kind, AuthFailure.PASSKEY, 'Passkey not recognised', caller);
    }
    let result: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
    try {
      result = await verifyAuthenticationResponse({
        response,
        expectedChallenge: row.challenge,
        expectedOrigin: [...this.#d.config.allowedOrigins],
        expectedRPID: [...this.#d.config.rpIds],
        credential: {
          id: passkey.id,
          publicKey: passkey.publicKey as Uint8Array<ArrayBuffer>,
          counter: passkey.counter,
          transports: JSON.parse(passkey.transports) as AuthenticatorTransportFuture[],
        },
        requireUserVerification: true,
      });
    } catch (error) {
      const counter = error instanceof Error && /counter/i.test(error.message);
      this.#reject(
        kind,
        counter ? AuthFailure.COUNTER : AuthFailure.PASSKEY,
        counter ? 'Passkey signature counter did not advance' : 'Passkey assertion did not verify',
        caller,
        { accountId: passkey.accountId },
      );
    }
    if (!result.verified) {
      this.#reject(kind, AuthFailure.PASSKEY, 'Passkey assertion did not verify', caller, {
        accountId: passkey.accountId,
      });
    }
    const advanced = await advancePasskeyCounter(
      this.#d.db,
      passkey.id,
      passkey.counter,
      result.authenticationInfo.newCounter,
      this.#d.now(),
    );
    if (!advanced) {
      this.#reject(kind, AuthFailure.COUNTER, 'Passkey was used concurrently', caller, {
        accountId: passkey.accountId,
      });
    }
    const account = await findAccountById(this.#d.db, passkey.accountId);
    if (account === undefined)
      this.#reject(kind, AuthFailure.PASSKEY, 'Passkey not recognised', caller);
    return this.#grant(account.id, account.handle);
  }

  async startAddPasskey(
    accountId: string,
    caller: Caller,
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const account = await findAccountById(this.#d.db, accountId);
    if (account === undefined) throw new ParleyError(ErrorCode.NOT_FOUND, 'Account not found');
    const existing = await listPasskeys(this.#d.db, accountId);
    const challenge = await this.#newChallenge({
      purpose: 'add-passkey',
      handle: account.handle,
      webauthnUserId: account.webauthnUserId,
      accountId,
    });
    return generateRegistrationOptions({
      rpName: this.#d.config.rpName,
      rpID: rpIdForOrigin(this.#d.config, caller.origin),
      userName: account.handle,
      userID: fromBase64Url(account.webauthnUserId),
      challenge,
      timeout: this.#d.config.challengeTtlSeconds * 1000,
      attestationType: 'none',
      excludeCredentials: existing.map((p) => ({ id: p.id })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      supportedAlgorithmIDs: ALGORITHMS,
    });
  }

  async finishAddPasskey(
    accountId: string,
    response: RegistrationResponseJSON,
    caller: Caller,
  ): Promise<{ id: string }> {
    const kind = 'passkey-register';
    const row = await this.#consume(kind, response.response.clientDataJSON, 'add-passkey', caller);
    if (row.accountId !== accountId)
      this.#reject(kind, AuthFailure.CHALLENGE, 'Challenge belongs to another account', caller);
    const verified = await this.#verifyRegistration(kind, response, row.challenge, caller);
    if (!(await addPasskey(this.#d.db, accountId, verified, this.#d.now()))) {
      throw new ParleyError(ErrorCode.DEVICE_EXISTS, 'Passkey already registered');
    }
    return { id: verified.id };
  }

  async #verifyRegistration(
    kind: AuthKind,
    response: RegistrationResponseJSON,
    challenge: string,
    caller: Caller,
  ) {
    let result: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      result = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: [...this.#d.config.allowedOrigins],
        expectedRPID: [...this.#d.config.rpIds],
        requireUserVerification: true,
        supportedAlgorithmIDs: ALGORITHMS,
      });
    } catch {
      this.#reject(kind, AuthFailure.PASSKEY, 'Passkey registration did not verify', caller);
    }
    if (!result.verified)
      this.#reject(kind, AuthFailure.PASSKEY, 'Passkey registration did not verify', caller);
    const info = result.registrationInfo;
    return {
      id: info.credential.id,
      publicKey: info.credential.publicKey,
      counter: info.credential.counter,
      transports: info.credential.transports ?? [],
      backedUp: info.credentialBackedUp,
    };
  }

  async #grant(accountId: string, handle: string): Promise<SessionGrant> {
    const { token, expiresAt } = await this.#d.tokens.issue(accountId);
    return { userId: accountId, handle, token, expiresAt };
  }
}

type AuthenticatorTransportFuture =
  | 'ble'
  | 'cable'
  | 'hybrid'
  | 'internal'
  | 'nfc'
  | 'smart-card'
  | 'usb';
