/**
 * /v1/auth: passkey registration and login (public, rate-limited per IP) and,
 * with a session token, adding passkeys. Handlers only translate between the
 * wire bodies and PasskeyService.
 */
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { type Context, Hono } from 'hono';
import type { PasskeyService, SessionGrant } from '../auth/passkeys.ts';
import type { AppEnv } from '../http/env.ts';
import { type MountOptions, mountRoutes } from '../http/mount.ts';

function caller(c: Context<AppEnv>) {
  return { ip: c.get('ip'), origin: c.req.header('origin') };
}

function session(grant: SessionGrant) {
  return {
    user: grant.userId,
    handle: grant.handle,
    token: grant.token,
    expiresAt: grant.expiresAt,
  };
}

// @simplewebauthn's option objects are plain JSON; the response schema checks them on the way out.
type Options = never;

export function authRoutes(passkeys: PasskeyService, mount: MountOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  mountRoutes(
    app,
    {
      registerOptions: async (c, body) => ({
        options: (await passkeys.startRegistration(body.handle, caller(c))) as Options,
      }),
      registerVerify: async (c, body) =>
        session(
          await passkeys.finishRegistration(
            body.response as unknown as RegistrationResponseJSON,
            caller(c),
          ),
        ),
      loginOptions: async (c, body) => ({
        options: (await passkeys.startLogin(body.handle, caller(c))) as Options,
      }),
      loginVerify: async (c, body) =>
        session(
          await passkeys.finishLogin(
            body.response as unknown as AuthenticationResponseJSON,
            caller(c),
          ),
        ),
      passkeyOptions: async (c) => ({
        options: (await passkeys.startAddPasskey(c.get('accountId'), caller(c))) as Options,
      }),
      passkeyVerify: async (c, body) => {
        const added = await passkeys.finishAddPasskey(
          c.get('accountId'),
          body.response as unknown as RegistrationResponseJSON,
          caller(c),
        );
        return { credentialId: added.id };
      },
    },
    mount,
  );
  return app;
}
