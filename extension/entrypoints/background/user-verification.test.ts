import { describe, expect, it } from 'vitest';
import type { Authenticator } from '../../../shared/client/account/account.ts';
import type {
  AuthenticationResponse,
  RequestOptions,
  SessionResponse,
} from '../../../shared/wire/rest-auth.ts';
import { ExtErrorCode } from '../../lib/errors.ts';
import { UserVerification, UV_FRESH_MS } from './user-verification.ts';

const options = { challenge: 'Y2hhbGxlbmdl' } as RequestOptions;
const assertion = { id: 'cred' } as unknown as AuthenticationResponse;
const session: SessionResponse = { user: 'u', handle: 'alice', token: 't', expiresAt: 1 };

/** A passkey login standing in for the relay: it accepts only `assertion`. */
function relayLogin(seen: unknown[]) {
  return async (authenticator: Authenticator): Promise<SessionResponse> => {
    const got = await authenticator.getAssertion(options);
    seen.push(got);
    if (got !== assertion) throw new Error('relay refused');
    return session;
  };
}

describe('UserVerification', () => {
  it('refuses a proof that was never verified', () => {
    const uv = new UserVerification(() => 0);
    expect(() => uv.take()).toThrow(
      expect.objectContaining({ code: ExtErrorCode.USER_VERIFICATION_REQUIRED }),
    );
  });

  it('hands out one proof after the relay accepted the assertion, used once', async () => {
    const uv = new UserVerification(() => 1000);
    const seen: unknown[] = [];
    expect(await uv.begin(relayLogin(seen))).toBe(options);
    await uv.finish(assertion);
    expect(seen).toEqual([assertion]);
    expect(uv.take().session).toBe(session);
    expect(() => uv.take()).toThrow(
      expect.objectContaining({ code: ExtErrorCode.USER_VERIFICATION_REQUIRED }),
    );
  });

  it('gives nothing when the relay refuses the assertion', async () => {
    const uv = new UserVerification(() => 0);
    await uv.begin(relayLogin([]));
    await expect(uv.finish({ id: 'other' } as unknown as AuthenticationResponse)).rejects.toThrow(
      'relay refused',
    );
    expect(() => uv.take()).toThrow();
  });

  it('refuses a proof older than the freshness window', async () => {
    let now = 0;
    const uv = new UserVerification(() => now);
    await uv.begin(relayLogin([]));
    await uv.finish(assertion);
    now = UV_FRESH_MS + 1;
    expect(() => uv.take()).toThrow(
      expect.objectContaining({ code: ExtErrorCode.USER_VERIFICATION_REQUIRED }),
    );
  });

  it('peek shows the fresh proof without using it up; a stale one is refused', async () => {
    let now = 0;
    const uv = new UserVerification(() => now);
    expect(() => uv.peek()).toThrow(
      expect.objectContaining({ code: ExtErrorCode.USER_VERIFICATION_REQUIRED }),
    );
    await uv.begin(relayLogin([]));
    await uv.finish(assertion);
    expect(uv.peek().session).toBe(session);
    expect(uv.peek().session).toBe(session);
    now = UV_FRESH_MS + 1;
    expect(() => uv.peek()).toThrow(
      expect.objectContaining({ code: ExtErrorCode.USER_VERIFICATION_REQUIRED }),
    );
  });

  it('refuses finish without begin', async () => {
    const uv = new UserVerification(() => 0);
    await expect(uv.finish(assertion)).rejects.toThrow(
      expect.objectContaining({ code: ExtErrorCode.USER_VERIFICATION_REQUIRED }),
    );
  });
});
