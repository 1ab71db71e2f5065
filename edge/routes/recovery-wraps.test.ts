/**
 * /v1/recovery-wraps against an in-process relay, driven through the client's
 * RelayApi: identity-signed writes and deletes, reads with a fresh login's
 * session, scoped to the account and to its own passkeys, and a stored row
 * that holds neither the PRF output nor the recovery key.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unwrapRecoveryKey } from '../../shared/backup/passkey-wrap.ts';
import { formatRecoveryKey, RECOVERY_KEY_BYTES } from '../../shared/backup/recovery-key.ts';
import { toBase64Url, toHex } from '../../shared/bytes.ts';
import { loginWithPasskey } from '../../shared/client/account/account.ts';
import {
  recoveryKeyFromPasskey,
  wrapForPasskey,
} from '../../shared/client/backup/passkey-restore.ts';
import { RelayApi } from '../../shared/client/relay/relay-api.ts';
import { prfAuthenticator } from '../../shared/client/testing/prf-authenticator.ts';
import { systemRandom } from '../../shared/crypto/random.ts';
import { ErrorCode } from '../../shared/errors.ts';
import { rejectionCode } from '../../shared/testing/errors.ts';
import { EXTENSION_ORIGIN } from '../config.ts';
import { accountWithDevice, managementRequest, type TestDevice } from '../testing/client.ts';
import { type InProcessRelay, startInProcess } from '../testing/in-process.ts';

describe('recovery wraps', () => {
  let t: InProcessRelay;

  function api(device?: TestDevice): RelayApi {
    return new RelayApi({
      baseUrl: 'http://relay.test',
      fetch: (url, init) =>
        Promise.resolve(t.relay.app.request(url, init, { remoteAddr: { hostname: '192.0.2.8' } })),
      now: () => Date.now(),
      timers: {
        setTimeout: (f, ms) => setTimeout(f, ms),
        clearTimeout: (h) => clearTimeout(h as never),
      },
      origin: EXTENSION_ORIGIN,
      ...(device === undefined
        ? {}
        : {
            signer: {
              user: device.account.userId,
              device: device.deviceId,
              key: device.deviceKey.privateKey,
              manager: device.account.identity.signing.privateKey,
            },
          }),
    });
  }

  /** A passkey login with the PRF evaluated, as the extension's pages run it. */
  async function prfLogin(device: TestDevice) {
    const authenticator = prfAuthenticator(device.account.authenticator);
    const session = await loginWithPasskey(api(), device.account.handle, authenticator);
    return { session, prf: authenticator.last() };
  }

  const RK = formatRecoveryKey(new Uint8Array(RECOVERY_KEY_BYTES).fill(0x5a));

  beforeEach(async () => {
    t = await startInProcess();
  });
  afterEach(async () => {
    await t.close();
  });

  it('stores the wrap by identity-signed request and gives it back to a fresh login with the same passkey', async () => {
    const alice = await accountWithDevice(t.http, 'alice', { oneTimePreKeys: 1 });
    const enable = await prfLogin(alice);
    const wrapped = wrapForPasskey(RK, alice.account.userId, enable.prf, systemRandom);
    await api(alice).putRecoveryWrap(enable.prf.credentialId, wrapped);

    const fresh = await prfLogin(alice);
    expect(fresh.prf.credentialId).toBe(enable.prf.credentialId);
    expect(toHex(fresh.prf.prfOutput)).toBe(toHex(enable.prf.prfOutput));
    expect(await recoveryKeyFromPasskey(api(), fresh.session, fresh.prf)).toBe(RK);

    // What the relay keeps: 61 opaque bytes, neither the PRF output nor the key.
    const rows = await t.sql(
      'SELECT account_id, credential_id, hex(wrapped) AS w FROM recovery_wraps',
    );
    expect(rows).toHaveLength(1);
    const stored = String(rows[0]?.w).toLowerCase();
    expect(stored).toBe(toHex(wrapped));
    expect(stored).not.toContain(toHex(enable.prf.prfOutput).slice(0, 16));
    expect(stored).not.toContain('5a5a5a5a5a5a5a5a');
    expect(t.log.lines.join('\n')).not.toContain(toHex(enable.prf.prfOutput));
  });

  it('writes and deletes only with the identity key; a device key alone is refused', async () => {
    const alice = await accountWithDevice(t.http, 'alice', { oneTimePreKeys: 1 });
    const { prf } = await prfLogin(alice);
    const wrapped = wrapForPasskey(RK, alice.account.userId, prf, systemRandom);
    const deviceOnly = api();
    deviceOnly.setSigner({
      user: alice.account.userId,
      device: alice.deviceId,
      key: alice.deviceKey.privateKey,
      manager: alice.deviceKey.privateKey,
    });
    expect(await rejectionCode(deviceOnly.putRecoveryWrap(prf.credentialId, wrapped))).toBe(
      ErrorCode.AUTH_FAILED,
    );
    expect(await rejectionCode(api().putRecoveryWrap(prf.credentialId, wrapped))).toBe(
      ErrorCode.NOT_REGISTERED,
    );
  });

  it('is scoped to the account and its own passkeys', async () => {
    const alice = await accountWithDevice(t.http, 'alice', { oneTimePreKeys: 1 });
    const bob = await accountWithDevice(t.http, 'bob', { oneTimePreKeys: 1 });
    const a = await prfLogin(alice);
    const b = await prfLogin(bob);
    // Bob cannot store under Alice's credential, nor read Alice's wrap with his session.
    const wrapped = wrapForPasskey(RK, bob.account.userId, b.prf, systemRandom);
    expect(await rejectionCode(api(bob).putRecoveryWrap(a.prf.credentialId, wrapped))).toBe(
      ErrorCode.NOT_FOUND,
    );
    await api(alice).putRecoveryWrap(
      a.prf.credentialId,
      wrapForPasskey(RK, alice.account.userId, a.prf, systemRandom),
    );
    expect(await rejectionCode(recoveryKeyFromPasskey(api(), b.session, a.prf))).toBe(
      ErrorCode.RECOVERY_WRAP_NOT_FOUND,
    );
    // A relay handing Alice's wrap to another account: the AAD names the account.
    const aliceWrap = await api().getRecoveryWrap(a.prf.credentialId, a.session.token);
    expect(() =>
      unwrapRecoveryKey(aliceWrap, a.prf.prfOutput, {
        accountId: bob.account.userId,
        credentialId: a.prf.credentialId,
      }),
    ).toThrow(expect.objectContaining({ code: ErrorCode.RECOVERY_WRAP_INVALID }));
    // A wrong PRF output (another passkey) never gives a key.
    expect(
      await rejectionCode(
        recoveryKeyFromPasskey(api(), a.session, { ...a.prf, prfOutput: b.prf.prfOutput }),
      ),
    ).toBe(ErrorCode.RECOVERY_WRAP_INVALID);
  });

  it('deletes one credential’s wrap or all of the account’s; deleting nothing succeeds', async () => {
    const alice = await accountWithDevice(t.http, 'alice', { oneTimePreKeys: 1 });
    const { session, prf } = await prfLogin(alice);
    const manager = api(alice);
    await manager.putRecoveryWrap(
      prf.credentialId,
      wrapForPasskey(RK, session.user, prf, systemRandom),
    );
    await manager.deleteRecoveryWraps(prf.credentialId);
    expect(await rejectionCode(recoveryKeyFromPasskey(api(), session, prf))).toBe(
      ErrorCode.RECOVERY_WRAP_NOT_FOUND,
    );
    await manager.putRecoveryWrap(
      prf.credentialId,
      wrapForPasskey(RK, session.user, prf, systemRandom),
    );
    await manager.deleteRecoveryWraps();
    await manager.deleteRecoveryWraps();
    expect(await t.sql('SELECT * FROM recovery_wraps')).toEqual([]);
  });

  it('refuses a read without a session and a malformed body', async () => {
    const alice = await accountWithDevice(t.http, 'alice', { oneTimePreKeys: 1 });
    const { prf } = await prfLogin(alice);
    const noSession = await t.http(`/v1/recovery-wraps/${prf.credentialId}`);
    expect(noSession.status).toBe(401);
    // The relay's own schema check (the client's RelayApi would refuse this before sending).
    const short = await managementRequest(
      t.http,
      alice,
      'PUT',
      `/v1/recovery-wraps/${prf.credentialId}`,
      {
        wrapped: toBase64Url(new Uint8Array(60)),
      },
    );
    expect(short.status).toBe(400);
    expect(((await short.json()) as { error: { code: string } }).error.code).toBe(
      ErrorCode.BODY_INVALID,
    );
  });
});
