import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SoftAuthenticator } from '../../shared/testing/soft-authenticator.ts';
import { EXTENSION_ORIGIN } from '../config.ts';
import {
  accountWithDevice,
  deviceRequest,
  expectJson,
  jsonInit,
  login,
  registerAccount,
} from '../testing/client.ts';
import { type InProcessRelay, startInProcess } from '../testing/in-process.ts';

let t: InProcessRelay;
beforeEach(async () => {
  t = await startInProcess();
});
afterEach(async () => {
  await t.close();
});

type ErrorBody = { error: { code: string; details?: { reason?: string; path?: string } } };
// Options are whatever @simplewebauthn produced; the software authenticator takes them as a browser would.
type Options = { options: never };

function auditLines(reason: string): unknown[] {
  return t.log.lines
    .map((l) => JSON.parse(l))
    .filter((l) => l.event === 'audit.auth_rejected' && String(l.code).endsWith(reason));
}

async function post(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return t.http(path, jsonInit('POST', body, headers));
}

async function registrationOptions(handle: string): Promise<never> {
  return (await expectJson<Options>(await post('/v1/auth/register/options', { handle }), 200))
    .options;
}

async function loginOptions(handle?: string): Promise<never> {
  return (
    await expectJson<Options>(
      await post('/v1/auth/login/options', handle === undefined ? {} : { handle }),
      200,
    )
  ).options;
}

describe('passkey registration', () => {
  it('creates an account whose session token registers devices', async () => {
    const device = await accountWithDevice(t.http, 'alice');
    expect(device.account.handle).toBe('alice');
    expect(device.account.userId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    const list = await expectJson<{ devices: { id: number }[] }>(
      await deviceRequest(t.http, device, 'GET', `/v1/users/${device.account.userId}/devices`),
      200,
    );
    expect(list.devices.map((d) => d.id)).toEqual([device.deviceId]);
  });

  it('announces the extension origin as RP id and requires user verification and a resident key', async () => {
    const options = (
      await expectJson<{
        options: { rp: { id: string }; authenticatorSelection: Record<string, string> };
      }>(await post('/v1/auth/register/options', { handle: 'bob' }), 200)
    ).options;
    expect(options.rp.id).toBe(EXTENSION_ORIGIN);
    expect(options.authenticatorSelection).toMatchObject({
      userVerification: 'required',
      residentKey: 'required',
    });
  });

  it('accepts a development origin (localhost RP id)', async () => {
    const dev = 'http://localhost:8787';
    const http = (path: string, init?: RequestInit) =>
      t.http(path, {
        ...init,
        headers: { ...(init?.headers as Record<string, string>), origin: dev },
      });
    const account = await registerAccount(http, 'devuser', dev);
    expect(account.handle).toBe('devuser');
  });

  it('rejects taken handles at the end of the ceremony, and non-canonical ones with stable codes', async () => {
    await registerAccount(t.http, 'carol');
    // Options come for a taken handle too (no existence oracle); the verify refuses it.
    const auth = new SoftAuthenticator({ origin: EXTENSION_ORIGIN });
    const response = await auth.createCredential(await registrationOptions('carol'));
    const taken = await expectJson<ErrorBody>(
      await post('/v1/auth/register/verify', { response }),
      409,
    );
    expect(taken.error.code).toBe('HANDLE_TAKEN');
    for (const handle of ['ab', 'a'.repeat(33), 'bad handle', '.dot', 'Carol', 'ünï']) {
      const bad = await expectJson<ErrorBody>(
        await post('/v1/auth/register/options', { handle }),
        400,
      );
      expect(bad.error).toMatchObject({ code: 'BODY_INVALID', details: { path: 'handle' } });
    }
  });

  it('makes challenges single use: a replayed registration response fails and is audited', async () => {
    const auth = new SoftAuthenticator({ origin: EXTENSION_ORIGIN });
    const response = await auth.createCredential(await registrationOptions('dave'));
    await expectJson(await post('/v1/auth/register/verify', { response }), 201);
    const replay = await expectJson<ErrorBody>(
      await post('/v1/auth/register/verify', { response }),
      401,
    );
    expect(replay.error).toMatchObject({ code: 'AUTH_FAILED', details: { reason: 'challenge' } });
    expect(auditLines('challenge')).toHaveLength(1);
    expect(
      t.relay.metrics.authFailures.get({ kind: 'passkey-register', code: 'AUTH_FAILED:challenge' }),
    ).toBe(1);
  });

  it('expires challenges after five minutes', async () => {
    const auth = new SoftAuthenticator({ origin: EXTENSION_ORIGIN });
    const response = await auth.createCredential(await registrationOptions('erin'));
    t.setNow(t.now() + 5 * 60_000 + 1);
    const late = await expectJson<ErrorBody>(
      await post('/v1/auth/register/verify', { response }),
      401,
    );
    expect(late.error.details?.reason).toBe('challenge');
  });

  it('rejects registrations without user verification or from a foreign origin', async () => {
    const noUv = new SoftAuthenticator({ origin: EXTENSION_ORIGIN, userVerification: false });
    const r1 = await noUv.createCredential(await registrationOptions('frank'));
    const a = await expectJson<ErrorBody>(
      await post('/v1/auth/register/verify', { response: r1 }),
      401,
    );
    expect(a.error.details?.reason).toBe('passkey');
    const foreign = new SoftAuthenticator({ origin: 'https://evil.example' });
    const options = (
      await expectJson<{ options: Record<string, unknown> }>(
        await post('/v1/auth/register/options', { handle: 'frank' }),
        200,
      )
    ).options;
    const r2 = await foreign.createCredential(<PublicKeyCredentialCreationOptionsJSON>{
      ...(options as object),
      rp: { name: 'x', id: 'evil.example' },
    });
    const b = await expectJson<ErrorBody>(
      await post('/v1/auth/register/verify', { response: r2 }),
      401,
    );
    expect(b.error.details?.reason).toBe('passkey');
    expect(auditLines('passkey')).toHaveLength(2);
    const rows = await t.relay.database.client.execute('SELECT COUNT(*) AS n FROM accounts');
    expect(rows.rows[0]?.n).toBe(0);
  });

  it('rejects malformed bodies with BODY_INVALID and stores nothing', async () => {
    const res = await expectJson<ErrorBody>(
      await post('/v1/auth/register/verify', { response: { id: 'x' } }),
      400,
    );
    expect(res.error.code).toBe('BODY_INVALID');
    const notJson = await t.http('/v1/auth/register/options', { method: 'POST', body: '{nope' });
    expect(notJson.status).toBe(400);
    const rows = await t.relay.database.client.execute('SELECT COUNT(*) AS n FROM accounts');
    expect(rows.rows[0]?.n).toBe(0);
  });
});

describe('passkey login', () => {
  it('logs in with the passkey, advancing the signature counter', async () => {
    const account = await registerAccount(t.http, 'gina');
    const token = await login(t.http, account);
    expect(token.split('.')).toHaveLength(3);
    await login(t.http, account);
    const row = await t.relay.database.client.execute('SELECT counter FROM passkeys');
    expect(row.rows[0]?.counter).toBe(2);
  });

  it('supports discoverable login without a handle', async () => {
    const account = await registerAccount(t.http, 'hank');
    const response = await account.authenticator.getAssertion(await loginOptions());
    const grant = await expectJson<{ user: string; handle: string }>(
      await post('/v1/auth/login/verify', { response }),
      200,
    );
    expect(grant).toMatchObject({ user: account.userId, handle: 'hank' });
  });

  it('rejects a counter that went backwards (cloned authenticator)', async () => {
    const account = await registerAccount(t.http, 'ivan');
    await login(t.http, account);
    const credential = account.authenticator.credentials[0];
    if (credential === undefined) throw new Error('no credential');
    credential.counter = 0;
    const response = await account.authenticator.getAssertion(await loginOptions('ivan'));
    const res = await expectJson<ErrorBody>(await post('/v1/auth/login/verify', { response }), 401);
    expect(res.error).toMatchObject({ code: 'AUTH_FAILED', details: { reason: 'counter' } });
  });

  it('rejects an unknown credential and a replayed assertion', async () => {
    const account = await registerAccount(t.http, 'judy');
    const stranger = new SoftAuthenticator({ origin: EXTENSION_ORIGIN });
    await stranger.createCredential({
      challenge: 'AAAA',
      rp: { name: 'x', id: EXTENSION_ORIGIN },
      user: { id: 'AAAA', name: 'judy', displayName: '' },
      pubKeyCredParams: [{ alg: -7, type: 'public-key' }],
    });
    const unknown = await stranger.getAssertion(await loginOptions());
    const a = await expectJson<ErrorBody>(
      await post('/v1/auth/login/verify', { response: unknown }),
      401,
    );
    expect(a.error.details?.reason).toBe('passkey');

    const good = await account.authenticator.getAssertion(await loginOptions('judy'));
    await expectJson(await post('/v1/auth/login/verify', { response: good }), 200);
    const replay = await expectJson<ErrorBody>(
      await post('/v1/auth/login/verify', { response: good }),
      401,
    );
    expect(replay.error.details?.reason).toBe('challenge');
  });

  it('lets one account hold several passkeys', async () => {
    const account = await registerAccount(t.http, 'kate');
    const second = new SoftAuthenticator({ origin: EXTENSION_ORIGIN });
    const bearer = { authorization: `Bearer ${account.token}` };
    const { options } = await expectJson<Options>(
      await post('/v1/auth/passkeys/options', {}, bearer),
      200,
    );
    const response = await second.createCredential(options);
    const added = await expectJson<{ credentialId: string }>(
      await post('/v1/auth/passkeys/verify', { response }, bearer),
      201,
    );
    expect(added.credentialId).toBe(response.id);
    await login(t.http, { ...account, authenticator: second });
    const rows = await t.relay.database.client.execute('SELECT COUNT(*) AS n FROM passkeys');
    expect(rows.rows[0]?.n).toBe(2);
  });

  it('requires a valid, unexpired session token for session routes', async () => {
    const account = await registerAccount(t.http, 'liam');
    const missing = await expectJson<ErrorBody>(await post('/v1/auth/passkeys/options', {}), 401);
    expect(missing.error.code).toBe('AUTH_REQUIRED');
    const forged = await expectJson<ErrorBody>(
      await post('/v1/auth/passkeys/options', {}, { authorization: `Bearer ${account.token}x` }),
      401,
    );
    expect(forged.error.code).toBe('AUTH_FAILED');
    t.setNow(t.now() + 16 * 60_000);
    const expired = await expectJson<ErrorBody>(
      await post('/v1/auth/passkeys/options', {}, { authorization: `Bearer ${account.token}` }),
      401,
    );
    expect(expired.error.code).toBe('AUTH_FAILED');
    expect(auditLines('token').length).toBe(2);
  });
});
