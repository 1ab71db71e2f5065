import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toBase64Url } from '../../shared/bytes.ts';
import { generateIdentityKeyPair } from '../../shared/crypto/keys.ts';
import {
  accountWithDevice,
  createDevice,
  deviceRequest,
  expectJson,
  jsonInit,
  registerAccount,
  registerDevice,
  registrationBody,
  type TestDevice,
} from '../testing/client.ts';
import { type InProcessRelay, startInProcess } from '../testing/in-process.ts';

let t: InProcessRelay;
beforeEach(async () => {
  t = await startInProcess({ RATE_LIMIT_BUNDLES_PER_REQUESTER: '60/3600' });
});
afterEach(async () => {
  await t.close();
});

type ErrorBody = { error: { code: string; details?: Record<string, unknown> } };

async function count(table: string): Promise<number> {
  const rows = await t.relay.database.client.execute(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number(rows.rows[0]?.n);
}

function bearer(device: TestDevice) {
  return { authorization: `Bearer ${device.account.token}` };
}

function flip(b64: string): string {
  return (b64[0] === 'A' ? 'B' : 'A') + b64.slice(1);
}

describe('device registration', () => {
  it('stores a device whose keys and signatures all verify', async () => {
    const device = await accountWithDevice(t.http, 'alice');
    const dir = await expectJson<{
      identity: { signing: string };
      devices: { deviceId: number }[];
    }>(
      await deviceRequest(t.http, device, 'GET', `/v1/users/${device.account.userId}/devices`),
      200,
    );
    expect(dir.devices.map((d) => d.deviceId)).toEqual([device.deviceId]);
    expect(dir.identity.signing).toBe(toBase64Url(device.account.identity.signing.publicKey));
    expect(await count('one_time_prekeys')).toBe(10);
  });

  const tamperings: [string, (body: Record<string, Record<string, unknown>>) => void, string][] = [
    [
      'signed prekey signature',
      (b) => {
        b.signedPreKey = { ...b.signedPreKey, signature: flip(String(b.signedPreKey?.signature)) };
      },
      'SIGNATURE_INVALID',
    ],
    [
      'KEM prekey signature',
      (b) => {
        b.kemPreKey = { ...b.kemPreKey, signature: flip(String(b.kemPreKey?.signature)) };
      },
      'SIGNATURE_INVALID',
    ],
    [
      'identity binding',
      (b) => {
        b.identity = { ...b.identity, binding: flip(String(b.identity?.binding)) };
      },
      'SIGNATURE_INVALID',
    ],
    [
      'device certificate',
      (b) => {
        b.certificate = { ...b.certificate, signature: flip(String(b.certificate?.signature)) };
      },
      'SIGNATURE_INVALID',
    ],
    [
      'low-order signed prekey',
      (b) => {
        b.signedPreKey = { ...b.signedPreKey, publicKey: toBase64Url(new Uint8Array(32)) };
      },
      'KEY_LOW_ORDER',
    ],
    [
      'low-order one-time prekey',
      (b) => {
        b.oneTimePreKeys = [{ id: 1, publicKey: toBase64Url(new Uint8Array(32)) }] as never;
      },
      'KEY_LOW_ORDER',
    ],
    [
      'short KEM key',
      (b) => {
        b.kemPreKey = { ...b.kemPreKey, publicKey: toBase64Url(new Uint8Array(100)) };
      },
      'BODY_INVALID',
    ],
    [
      'certificate for another user',
      (b) => {
        b.certificate = { ...b.certificate, userId: '00000000-0000-4000-8000-000000000000' };
      },
      'BAD_ARGUMENT',
    ],
    [
      'duplicate one-time prekey ids',
      (b) => {
        const k = (b.oneTimePreKeys as unknown as unknown[])[0];
        b.oneTimePreKeys = [k, k] as never;
      },
      'BAD_ARGUMENT',
    ],
    [
      'unknown field',
      (b) => {
        b.extra = {};
      },
      'BODY_INVALID',
    ],
  ];

  for (const [name, tamper, code] of tamperings) {
    it(`rejects a bad ${name} with ${code} and stores nothing`, async () => {
      const account = await registerAccount(t.http, 'bob');
      const device = await createDevice(account);
      const body = registrationBody(device) as Record<string, Record<string, unknown>>;
      tamper(body);
      const res = await expectJson<ErrorBody>(
        await t.http('/v1/devices', jsonInit('POST', body, bearer(device))),
        400,
      );
      expect(res.error.code).toBe(code);
      expect(await count('devices')).toBe(0);
      expect(await count('one_time_prekeys')).toBe(0);
      const identity = await t.relay.database.client.execute('SELECT identity_dh FROM accounts');
      expect(identity.rows[0]?.identity_dh).toBeNull();
    });
  }

  it('requires a session token', async () => {
    const account = await registerAccount(t.http, 'carl');
    const device = await createDevice(account);
    const res = await expectJson<ErrorBody>(
      await t.http('/v1/devices', jsonInit('POST', registrationBody(device))),
      401,
    );
    expect(res.error.code).toBe('AUTH_REQUIRED');
  });

  it('keeps one identity per account, unique device ids, and a device cap', async () => {
    const first = await accountWithDevice(t.http, 'dora');
    const again = await expectJson<ErrorBody>(
      await t.http('/v1/devices', jsonInit('POST', registrationBody(first), bearer(first))),
      409,
    );
    expect(again.error.code).toBe('DEVICE_EXISTS');
    const otherIdentity = await generateIdentityKeyPair(true);
    const impostor = await createDevice({ ...first.account, identity: otherIdentity });
    const mismatch = await expectJson<ErrorBody>(
      await t.http('/v1/devices', jsonInit('POST', registrationBody(impostor), bearer(first))),
      409,
    );
    expect(mismatch.error.code).toBe('IDENTITY_MISMATCH');
    for (let i = 0; i < 7; i++)
      await registerDevice(t.http, await createDevice(first.account, { oneTimePreKeys: 0 }));
    const ninth = await createDevice(first.account, { oneTimePreKeys: 0 });
    const limit = await expectJson<ErrorBody>(
      await t.http('/v1/devices', jsonInit('POST', registrationBody(ninth), bearer(first))),
      409,
    );
    expect(limit.error.code).toBe('DEVICE_LIMIT');
  });
});

describe('prekey bundles', () => {
  it('hands each one-time prekey out at most once under concurrent fetches', async () => {
    const bob = await accountWithDevice(t.http, 'bob', { oneTimePreKeys: 10 });
    const alice = await accountWithDevice(t.http, 'alice');
    const responses = await Promise.all(
      Array.from({ length: 25 }, () =>
        deviceRequest(t.http, alice, 'POST', `/v1/users/${bob.account.userId}/bundles`, {}),
      ),
    );
    const ids: number[] = [];
    let without = 0;
    for (const res of responses) {
      const body = await expectJson<{ bundles: { oneTimePreKey: { id: number } | null }[] }>(
        res,
        200,
      );
      const opk = body.bundles[0]?.oneTimePreKey;
      if (opk === null || opk === undefined) without++;
      else ids.push(opk.id);
    }
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
    expect(without).toBe(15);
    expect(await count('one_time_prekeys')).toBe(10); // alice's own ten are untouched
  });

  it('serves a bundle the shared validator accepts, for all or selected devices', async () => {
    const bob = await accountWithDevice(t.http, 'bob');
    const bob2 = await createDevice(bob.account);
    await registerDevice(t.http, bob2);
    const alice = await accountWithDevice(t.http, 'alice');
    const all = await expectJson<{ bundles: { deviceId: number }[] }>(
      await deviceRequest(t.http, alice, 'POST', `/v1/users/${bob.account.userId}/bundles`, {}),
      200,
    );
    expect(all.bundles.map((b) => b.deviceId).sort()).toEqual([bob.deviceId, bob2.deviceId].sort());
    const one = await expectJson<{ bundles: { deviceId: number; signedPreKey: { id: number } }[] }>(
      await deviceRequest(t.http, alice, 'POST', `/v1/users/${bob.account.userId}/bundles`, {
        devices: [bob2.deviceId],
      }),
      200,
    );
    expect(one.bundles).toHaveLength(1);
    expect(one.bundles[0]?.signedPreKey.id).toBe(bob2.keys.signedPreKey.id);
    const unknown = await expectJson<ErrorBody>(
      await deviceRequest(t.http, alice, 'POST', `/v1/users/${bob.account.userId}/bundles`, {
        devices: [424242],
      }),
      404,
    );
    expect(unknown.error.code).toBe('DEVICE_NOT_FOUND');
  });

  it('limits bundle fetches per requester with 429 and Retry-After', async () => {
    const bob = await accountWithDevice(t.http, 'bob', { oneTimePreKeys: 0 });
    const alice = await accountWithDevice(t.http, 'alice', { oneTimePreKeys: 0 });
    for (let i = 0; i < 60; i++) {
      await expectJson(
        await deviceRequest(t.http, alice, 'POST', `/v1/users/${bob.account.userId}/bundles`, {}),
        200,
      );
    }
    const res = await deviceRequest(
      t.http,
      alice,
      'POST',
      `/v1/users/${bob.account.userId}/bundles`,
      {},
    );
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await res.json()) as ErrorBody).error.code).toBe('RATE_LIMITED');
    // Another requester still has its own budget.
    const carol = await accountWithDevice(t.http, 'carol', { oneTimePreKeys: 0 });
    await expectJson(
      await deviceRequest(t.http, carol, 'POST', `/v1/users/${bob.account.userId}/bundles`, {}),
      200,
    );
  });

  it('refills one-time prekeys up to the cap and rotates signed prekeys with checked signatures', async () => {
    const bob = await accountWithDevice(t.http, 'bob', { oneTimePreKeys: 0 });
    const more = await createDevice(bob.account, { oneTimePreKeys: 100 });
    const keys = more.keys.oneTimePreKeys.map((k) => ({
      id: k.id,
      publicKey: toBase64Url(k.keyPair.publicKey),
    }));
    const r1 = await expectJson<{ added: number; count: number }>(
      await deviceRequest(t.http, bob, 'POST', '/v1/keys/one-time', { oneTimePreKeys: keys }),
      200,
    );
    expect(r1).toEqual({ added: 100, count: 100 });
    const shifted = keys.map((k, i) => ({ ...k, id: 1000 + i }));
    await expectJson(
      await deviceRequest(t.http, bob, 'POST', '/v1/keys/one-time', { oneTimePreKeys: shifted }),
      200,
    );
    const full = await expectJson<ErrorBody>(
      await deviceRequest(t.http, bob, 'POST', '/v1/keys/one-time', {
        oneTimePreKeys: shifted.map((k) => ({ ...k, id: k.id + 500 })),
      }),
      409,
    );
    expect(full.error.code).toBe('PREKEY_LIMIT');
    expect(await expectJson(await deviceRequest(t.http, bob, 'GET', '/v1/keys'), 200)).toEqual({
      oneTimePreKeys: 200,
    });

    const spk = more.keys.signedPreKey;
    const rotated = {
      id: 7,
      publicKey: toBase64Url(spk.keyPair.publicKey),
      signature: toBase64Url(spk.signature),
    };
    const badSig = await expectJson<ErrorBody>(
      await deviceRequest(t.http, bob, 'PUT', '/v1/keys/signed', { signedPreKey: rotated }),
      400,
    );
    expect(badSig.error.code).toBe('SIGNATURE_INVALID'); // the signature covers id 1, not 7
    const good = { ...rotated, id: spk.id };
    const ok = await deviceRequest(t.http, bob, 'PUT', '/v1/keys/signed', { signedPreKey: good });
    expect(ok.status).toBe(204);
    const row = await t.relay.database.client.execute('SELECT signed_prekey FROM devices');
    expect(toBase64Url(new Uint8Array(row.rows[0]?.signed_prekey as ArrayBuffer))).toBe(
      good.publicKey,
    );
  });

  it('removes a device with its prekeys and queue, and never accepts its id again', async () => {
    const bob = await accountWithDevice(t.http, 'bob');
    const del = await t.http(`/v1/devices/${bob.deviceId}`, {
      method: 'DELETE',
      headers: bearer(bob),
    });
    expect(del.status).toBe(204);
    expect(await count('devices')).toBe(0);
    expect(await count('one_time_prekeys')).toBe(0);
    const again = await expectJson<ErrorBody>(
      await t.http('/v1/devices', jsonInit('POST', registrationBody(bob), bearer(bob))),
      409,
    );
    expect(again.error.code).toBe('DEVICE_EXISTS');
    const missing = await t.http(`/v1/devices/${bob.deviceId}`, {
      method: 'DELETE',
      headers: bearer(bob),
    });
    expect(missing.status).toBe(404);
  });
});

describe('device-signed requests', () => {
  it('rejects unknown devices, bad signatures, replays, stale clocks and malformed headers (audited)', async () => {
    const alice = await accountWithDevice(t.http, 'alice');
    const path = `/v1/users/${alice.account.userId}/devices`;
    const stranger = await createDevice(alice.account, { deviceId: 999_999 });
    const unknown = await expectJson<ErrorBody>(
      await deviceRequest(t.http, stranger, 'GET', path),
      401,
    );
    expect(unknown.error).toMatchObject({
      code: 'AUTH_FAILED',
      details: { reason: 'unknown-device' },
    });

    const impostorKey = await createDevice(alice.account, { deviceId: alice.deviceId });
    const bad = await expectJson<ErrorBody>(
      await deviceRequest(t.http, impostorKey, 'GET', path),
      401,
    );
    expect(bad.error).toMatchObject({ code: 'AUTH_FAILED', details: { reason: 'signature' } });

    let captured: RequestInit | undefined;
    await deviceRequest(
      (p, init) => {
        captured = init;
        return t.http(p, init);
      },
      alice,
      'GET',
      path,
    );
    const replay = await expectJson<ErrorBody>(await t.http(path, captured), 401);
    expect(replay.error.code).toBe('REQUEST_REPLAYED');

    t.setNow(t.now() + 10 * 60_000);
    const stale = await expectJson<ErrorBody>(await deviceRequest(t.http, alice, 'GET', path), 401);
    expect(stale.error.code).toBe('REQUEST_EXPIRED');

    const malformed = await expectJson<ErrorBody>(
      await t.http(path, { headers: { authorization: 'Parley-Device nope' } }),
      401,
    );
    expect(malformed.error.code).toBe('AUTH_HEADER_INVALID');
    const none = await expectJson<ErrorBody>(await t.http(path), 401);
    expect(none.error.code).toBe('AUTH_REQUIRED');
    const audited = t.log.lines.filter((l) => l.includes('"kind":"device-request"'));
    expect(audited.length).toBe(5);
  });

  it('looks users up by handle', async () => {
    const alice = await accountWithDevice(t.http, 'alice');
    const found = await expectJson<{ userId: string }>(
      await deviceRequest(t.http, alice, 'GET', '/v1/users/by-handle/ALICE'),
      200,
    );
    expect(found.userId).toBe(alice.account.userId);
    const missing = await expectJson<ErrorBody>(
      await deviceRequest(t.http, alice, 'GET', '/v1/users/by-handle/nobody'),
      404,
    );
    expect(missing.error.code).toBe('USER_NOT_FOUND');
  });
});
