/**
 * Session tokens: short-lived HS256 JWTs minted after a passkey ceremony.
 * They authorise only account-level device management (register, list and
 * remove devices, add passkeys); everything a device does afterwards is
 * authenticated with its own device key. The audience and a `scope` claim keep
 * a token from being mistaken for anything else.
 */
import { jwtVerify, SignJWT } from 'jose';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import { AuthFailure } from '../http/codes.ts';

const AUDIENCE = 'parley-relay';
const SCOPE = 'devices';

export interface SessionClaims {
  readonly accountId: string;
  readonly expiresAt: number;
}

export interface SessionTokens {
  issue(accountId: string): Promise<{ token: string; expiresAt: number }>;
  verify(token: string): Promise<SessionClaims>;
}

export function createSessionTokens(
  secret: Uint8Array,
  ttlSeconds: number,
  now: () => number,
): SessionTokens {
  return {
    async issue(accountId) {
      const iat = Math.floor(now() / 1000);
      const exp = iat + ttlSeconds;
      const token = await new SignJWT({ scope: SCOPE })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(accountId)
        .setAudience(AUDIENCE)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(secret);
      return { token, expiresAt: exp * 1000 };
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, secret, {
          algorithms: ['HS256'],
          audience: AUDIENCE,
          currentDate: new Date(now()),
        });
        if (
          payload.scope !== SCOPE ||
          typeof payload.sub !== 'string' ||
          typeof payload.exp !== 'number'
        ) {
          throw new Error('claims');
        }
        return { accountId: payload.sub, expiresAt: payload.exp * 1000 };
      } catch {
        // jose's messages may quote the token's contents; callers get a stable code only.
        throw new ParleyError(ErrorCode.AUTH_FAILED, 'Session token is invalid or expired', {
          reason: AuthFailure.TOKEN,
        });
      }
    },
  };
}
