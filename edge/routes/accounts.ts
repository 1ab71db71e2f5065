/**
 * /v1/accounts: passkey registration and login (public, rate-limited per IP),
 * and, with a session token, the account overview and adding passkeys.
 */

import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { MiddlewareHandler } from 'hono';
import { Hono } from 'hono';
import type { PasskeyService } from '../auth/passkeys.ts';
import { listPasskeys } from '../db/accounts.ts';
import type { Db } from '../db/open.ts';
import type { AppEnv } from '../http/env.ts';
import { directoryJson } from '../http/json.ts';
import {
  LoginOptionsBody,
  LoginVerifyBody,
  RegisterOptionsBody,
  RegisterVerifyBody,
} from '../http/rest-bodies-interim.ts';
import { body } from '../http/validate.ts';
import type { DeviceService } from '../services/devices.ts';

export interface AccountRoutesDeps {
  readonly passkeys: PasskeyService;
  readonly devices: DeviceService;
  readonly db: Db;
  readonly maxBodyBytes: number;
  readonly session: MiddlewareHandler<AppEnv>;
  readonly ceremonyLimit: MiddlewareHandler<AppEnv>;
}

export function accountRoutes(deps: AccountRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const caller = (c: {
    get(key: 'ip'): string;
    req: { header(name: string): string | undefined };
  }) => ({
    ip: c.get('ip'),
    origin: c.req.header('origin'),
  });

  app.post('/register/options', deps.ceremonyLimit, async (c) => {
    const { handle } = await body(c, RegisterOptionsBody, deps.maxBodyBytes);
    return c.json(await deps.passkeys.startRegistration(handle, caller(c)));
  });

  app.post('/register/verify', async (c) => {
    const { response } = await body(c, RegisterVerifyBody, deps.maxBodyBytes);
    const grant = await deps.passkeys.finishRegistration(
      response as RegistrationResponseJSON,
      caller(c),
    );
    return c.json(grant, 201);
  });

  app.post('/login/options', deps.ceremonyLimit, async (c) => {
    const { handle } = await body(c, LoginOptionsBody, deps.maxBodyBytes);
    return c.json(await deps.passkeys.startLogin(handle, caller(c)));
  });

  app.post('/login/verify', async (c) => {
    const { response } = await body(c, LoginVerifyBody, deps.maxBodyBytes);
    return c.json(
      await deps.passkeys.finishLogin(response as AuthenticationResponseJSON, caller(c)),
    );
  });

  app.get('/me', deps.session, async (c) => {
    const accountId = c.get('accountId');
    const [entry, passkeys] = await Promise.all([
      deps.devices.directory(accountId),
      listPasskeys(deps.db, accountId),
    ]);
    return c.json({
      ...directoryJson(entry),
      passkeys: passkeys.map((p) => ({
        id: p.id,
        createdAt: p.createdAt,
        lastUsedAt: p.lastUsedAt,
        backedUp: p.backedUp,
      })),
    });
  });

  app.post('/passkeys/options', deps.session, deps.ceremonyLimit, async (c) => {
    return c.json(await deps.passkeys.startAddPasskey(c.get('accountId'), caller(c)));
  });

  app.post('/passkeys/verify', deps.session, async (c) => {
    const { response } = await body(c, RegisterVerifyBody, deps.maxBodyBytes);
    const added = await deps.passkeys.finishAddPasskey(
      c.get('accountId'),
      response as RegistrationResponseJSON,
      caller(c),
    );
    return c.json(added, 201);
  });

  return app;
}
