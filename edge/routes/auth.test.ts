import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SoftAuthenticator } from '../../shared/testing/soft-authenticator.ts';
import { EXTENSION_ORIGIN } from '../config.ts';
import { expectJson, jsonInit, login, registerAccount } from '../testing/client.ts';
import { type InProcessRelay, startInProcess } from '../testing/in-process.ts';

let t: InProcessRelay;
beforeEach(async () => {
  t = await startInProcess();
});
afterEach(async () => {
  await t.close();
});

function auditLines(reason: string): unknown[] {
  return t.log.lines
    .map((l) => JSON.parse(l))
    .filter((l) => l.event === 'audit.auth_rejected' && String(l.code).endsWith(reason));
}

async function startRegistration(handle: string, auth: SoftAuthenticator) {
  const options = await expectJson(
    await t.http('/v1/accounts/register/options', jsonInit('POST', { handle })),
    200,
  );
  return auth.createCredential(options as never);
}

describe('passkey registration', () => {
  it('creates an account with a normalised handle and a session token that opens /me', async () => {
    const account = await registerAccount(t.http, '  @Alice ');
    expect(account.handle).toBe('alice');
    expect(account.userId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    const me = await expectJson<{ handle: string; passkeys: unknown[]; devices: unknown[] }>(
      await t.http('/v1/accounts/me', { headers: { authorization: `Bearer ${account.token}` } }),
      200,
    );
    expect(me.handle).toBe('alice');
    expect(me.passkeys).toHaveLength(1);
    expect(me.devices).toEqual([]);
  });

  it('announces the extension origin as RP id and requires user verification', async () => {
    const options = await expectJson<{
      rp: { id: string };
      authenticatorSelection: { userVerification: string };
    }>(await t.http('/v1/accounts/register/options', jsonInit('POST', { handle: 'bob' })), 200);
    expect(options.rp.id).toBe(EXTENSION_ORIGIN);
    expect(options.authenticatorSelection.userVerification).toBe('required');
  });

  it('accepts a dev origin (localhost RP id)', async () => {
    const account = await registerAccount(
      (path, init) =>
        t.http(path, {
          ...init,
          headers: {
            ...(init?.headers as Record<string, string>),
            origin: 'http://localhost:8787',
          },
        }),
      'devuser',
      'http://localhost:8787',
    );
    expect(account.handle).toBe('devuser');
  });

  it('rejects taken and invalid handles with stable codes', async () => {
    await registerAccount(t.http, 'carol');
    const taken = await expectJson<{ error: { code: string } }>(
      await t.http('/v1/accounts/register/options', jsonInit('POST', { handle: 'CAROL' })),
      409,
    );
    expect(taken.error.code).toBe('HANDLE_TAKEN');
    for (const handle of ['ab', 'a'.repeat(33), 'bad handle', '.dot', 'ünï']) {
      const bad = await expectJson<{ error: { code: string } }>(
        await t.http('/v1/accounts/register/options', jsonInit('POST', { handle })),
        400,
      );
      expect(bad.error.code).toBe('HANDLE_INVALID');
    }
  });

  it('makes challenges single use: a replayed registration response fails and is audited', async () => {
    const auth = new SoftAuthenticator({ origin: EXTENSION_ORIGIN });
    const response = await startRegistration('dave', auth);
    await expectJson(
      await t.http('/v1/accounts/register/verify', jsonInit('POST', { response })),
      201,
    );
    const replay = await expectJson<{ error: { code: string; details: { reason: string } } }>(
      await t.http('/v1/accounts/register/verify', jsonInit('POST', { response })),
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
    const response = await startRegistration('erin', auth);
    t.setNow(t.now() + 5 * 60_000 + 1);
    const late = await expectJson<{ error: { details: { reason: string } } }>(
      await t.http('/v1/accounts/register/verify', jsonInit('POST', { response })),
      401,
    );
    expect(late.error.details.reason).toBe('challenge');
  });

  it('rejects a registration without user verification, from a foreign origin, or with a tampered signature', async () => {
    const noUv = new SoftAuthenticator({ origin: EXTENSION_ORIGIN, userVerification: false });
    const r1 = await startRegistration('frank', noUv);
    const a = await expectJson<{ error: { details: { reason: string } } }>(
      await t.http('/v1/accounts/register/verify', jsonInit('POST', { response: r1 })),
      401,
    );
    expect(a.error.details.reason).toBe('passkey');
    const foreign = new SoftAuthenticator({ origin: 'https://evil.example' });
    const options = await expectJson<PublicKeyCredentialCreationOptionsJSON>(
      await t.http('/v1/accounts/register/options', jsonInit('POST', { handle: 'frank' })),
      200,
    );
    const r2 = await foreign.createCredential({
      ...options,
      rp: { name: 'x', id: 'evil.example' },
    });
    const b = await expectJson<{ error: { details: { reason: string } } }>(
      await t.http('/v1/accounts/register/verify', jsonInit('POST', { response: r2 })),
      401,
    );
    expect(b.error.details.reason).toBe('passkey');
    expect(auditLines('passkey')).toHaveLength(2);
  });

  it('rejects malformed bodies with BODY_INVALID and stores nothing', async () => {
    const res = await expectJson<{ error: { code: string; details: { path: string } } }>(
      await t.http('/v1/accounts/register/verify', jsonInit('POST', { response: { id: 'x' } })),
      400,
    );
    expect(res.error.code).toBe('BODY_INVALID');
    const notJson = await t.http('/v1/accounts/register/options', {
      method: 'POST',
      body: '{nope',
    });
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
    const options = await expectJson(
      await t.http('/v1/accounts/login/options', jsonInit('POST', {})),
      200,
    );
    const response = await account.authenticator.getAssertion(options as never);
    const grant = await expectJson<{ userId: string }>(
      await t.http('/v1/accounts/login/verify', jsonInit('POST', { response })),
      200,
    );
    expect(grant.userId).toBe(account.userId);
  });

  it('rejects a counter that went backwards (cloned authenticator)', async () => {
    const account = await registerAccount(t.http, 'ivan');
    await login(t.http, account);
    const credential = account.authenticator.credentials[0];
    if (credential === undefined) throw new Error('no credential');
    credential.counter = 0;
    const options = await expectJson(
      await t.http('/v1/accounts/login/options', jsonInit('POST', { handle: 'ivan' })),
      200,
    );
    const response = await account.authenticator.getAssertion(options as never);
    const res = await expectJson<{ error: { code: string; details: { reason: string } } }>(
      await t.http('/v1/accounts/login/verify', jsonInit('POST', { response })),
      401,
    );
    expect(res.error).toMatchObject({ code: 'AUTH_FAILED', details: { reason: 'counter' } });
  });

  it('rejects an unknown credential, a replayed assertion and a login without user verification', async () => {
    const account = await registerAccount(t.http, 'judy');
    const stranger = new SoftAuthenticator({ origin: EXTENSION_ORIGIN });
    await stranger.createCredential({
      challenge: 'AAAA',
      rp: { name: 'x', id: EXTENSION_ORIGIN },
      user: { id: 'AAAA', name: 'judy', displayName: '' },
      pubKeyCredParams: [{ alg: -7, type: 'public-key' }],
    });
    const options = await expectJson(
      await t.http('/v1/accounts/login/options', jsonInit('POST', {})),
      200,
    );
    const unknown = await stranger.getAssertion(options as never);
    const a = await expectJson<{ error: { details: { reason: string } } }>(
      await t.http('/v1/accounts/login/verify', jsonInit('POST', { response: unknown })),
      401,
    );
    expect(a.error.details.reason).toBe('passkey');

    const options2 = await expectJson(
      await t.http('/v1/accounts/login/options', jsonInit('POST', { handle: 'judy' })),
      200,
    );
    const good = await account.authenticator.getAssertion(options2 as never);
    await expectJson(
      await t.http('/v1/accounts/login/verify', jsonInit('POST', { response: good })),
      200,
    );
    const replay = await expectJson<{ error: { details: { reason: string } } }>(
      await t.http('/v1/accounts/login/verify', jsonInit('POST', { response: good })),
      401,
    );
    expect(replay.error.details.reason).toBe('challenge');
  });

  it('lets one account hold several passkeys', async () => {
    const account = await registerAccount(t.http, 'kate');
    const second = new SoftAuthenticator({ origin: EXTENSION_ORIGIN });
    const bearer = { authorization: `Bearer ${account.token}` };
    const options = await expectJson(
      await t.http('/v1/accounts/passkeys/options', jsonInit('POST', undefined, bearer)),
      200,
    );
    const response = await second.createCredential(options as never);
    await expectJson(
      await t.http('/v1/accounts/passkeys/verify', jsonInit('POST', { response }, bearer)),
      201,
    );
    const token = await login(t.http, { ...account, authenticator: second });
    const me = await expectJson<{ passkeys: unknown[] }>(
      await t.http('/v1/accounts/me', { headers: { authorization: `Bearer ${token}` } }),
      200,
    );
    expect(me.passkeys).toHaveLength(2);
  });

  it('requires a valid, unexpired session token for account routes', async () => {
    const account = await registerAccount(t.http, 'liam');
    const missing = await expectJson<{ error: { code: string } }>(
      await t.http('/v1/accounts/me'),
      401,
    );
    expect(missing.error.code).toBe('AUTH_REQUIRED');
    const forged = await expectJson<{ error: { code: string } }>(
      await t.http('/v1/accounts/me', { headers: { authorization: `Bearer ${account.token}x` } }),
      401,
    );
    expect(forged.error.code).toBe('AUTH_FAILED');
    t.setNow(t.now() + 16 * 60_000);
    const expired = await expectJson<{ error: { code: string } }>(
      await t.http('/v1/accounts/me', { headers: { authorization: `Bearer ${account.token}` } }),
      401,
    );
    expect(expired.error.code).toBe('AUTH_FAILED');
    expect(auditLines('token').length).toBe(2);
  });
});
