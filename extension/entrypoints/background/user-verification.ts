/**
 * A fresh passkey user verification, proven to the worker (docs/extension.md,
 * "Linked devices"). The service worker cannot run WebAuthn, so the page runs
 * the ceremony; what the worker trusts is not the page's word but the relay's
 * check of the assertion: `begin` starts the client's passkey login, whose
 * options (with the relay's one-time challenge) go to the page; the page
 * asks the authenticator with `userVerification: 'required'` and hands the
 * assertion back to `finish`; the relay verifies it (it requires the UV flag)
 * and answers a session token. Only then does `take` hand out one proof, at
 * most `UV_FRESH_MS` old, used once. Approving a link and removing a device
 * take one, so a page call without a verification cannot do either.
 *
 * Runs in: the service worker and Node (tests).
 */
import type { Authenticator } from '../../../shared/client/account/account.ts';
import type {
  AuthenticationResponse,
  RequestOptions,
  SessionResponse,
} from '../../../shared/wire/rest-auth.ts';
import { ExtErrorCode, extError } from '../../lib/errors.ts';

/** How long a verification stays usable: long enough to read a warning, short enough to be "fresh". */
export const UV_FRESH_MS = 2 * 60_000;

export interface VerifiedUser {
  readonly session: SessionResponse;
  readonly at: number;
}

interface Pending {
  readonly answer: (assertion: AuthenticationResponse | Error) => void;
  readonly login: Promise<SessionResponse>;
}

export class UserVerification {
  readonly #now: () => number;
  #pending: Pending | undefined;
  #verified: VerifiedUser | undefined;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Starts a passkey login; resolves with the options the page must use. */
  begin(
    login: (authenticator: Authenticator) => Promise<SessionResponse>,
  ): Promise<RequestOptions> {
    this.#pending?.answer(new Error('superseded'));
    this.#pending = undefined;
    let answer: Pending['answer'] = () => undefined;
    const assertion = new Promise<AuthenticationResponse>((resolve, reject) => {
      answer = (a) => (a instanceof Error ? reject(a) : resolve(a));
    });
    return new Promise<RequestOptions>((resolveOptions, rejectOptions) => {
      const authenticator: Authenticator = {
        createCredential: () => Promise.reject(new Error('not here')),
        getAssertion: (options) => {
          resolveOptions(options);
          return assertion;
        },
      };
      const running = login(authenticator);
      // Until the page answers, a failed login only fails `begin` (or `finish`, which awaits it).
      running.catch((e: unknown) => rejectOptions(e));
      this.#pending = { answer, login: running };
    });
  }

  /** The page's assertion: the relay checks it; afterwards one proof is available. */
  async finish(assertion: AuthenticationResponse): Promise<void> {
    const pending = this.#pending;
    if (pending === undefined)
      throw extError(ExtErrorCode.USER_VERIFICATION_REQUIRED, 'Start the verification first');
    this.#pending = undefined;
    pending.answer(assertion);
    const session = await pending.login;
    this.#verified = { session, at: this.#now() };
  }

  /**
   * The fresh proof without using it up: a restore first lists the account's
   * snapshots, then `take`s the same proof for the restore itself.
   */
  peek(): VerifiedUser {
    const verified = this.#verified;
    if (verified === undefined || this.#now() - verified.at > UV_FRESH_MS)
      throw extError(
        ExtErrorCode.USER_VERIFICATION_REQUIRED,
        'Confirm with your passkey first (it must be fresh)',
      );
    return verified;
  }

  /** One fresh proof, consumed; USER_VERIFICATION_REQUIRED without one. */
  take(): VerifiedUser {
    const verified = this.#verified;
    this.#verified = undefined;
    if (verified === undefined || this.#now() - verified.at > UV_FRESH_MS)
      throw extError(
        ExtErrorCode.USER_VERIFICATION_REQUIRED,
        'Confirm with your passkey first (it must be fresh)',
      );
    return verified;
  }
}
