import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toBase64Url } from '../../shared/bytes.ts';
import { generateIdentityKeyPair } from '../../shared/crypto/identity.ts';
import {
  accountWithDevice,
  createDevice,
  deviceRequest,
  expectJson,
  jsonInit,
  managementRequest,
  postDevice,
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
  it('stores a device whose keys and signatures all verify; its name is shown only to its own account', async () => {
    const account = await registerAccount(t.http, 'alice');
    const device = await createDevice(account);
    await expectJson(await postDevice(t.http, device, { name: 'laptop' }), 201);
    const own = await expectJson<{
      identity: { sig: string };
      devices: { id: number; name?: string }[];
    }>(await deviceRequest(t.http, device, 'GET', `/v1/users/${account.userId}/devices`), 200);
    expect(own.devices).toMatchObject([{ id: device.deviceId, name: 'laptop' }]);
    expect(own.identity.sig).toBe(toBase64Url(account.identity.signing.publicKey));
    expect(await count('one_time_prekeys')).toBe(10);
    const bob = await accountWithDevice(t.http, 'bob');
    const seen = await expectJson<{ devices: { name?: string }[] }>(
      await deviceRequest(t.http, bob, 'GET', `/v1/users/${account.userId}/devices`),
      200,
    );
    expect(seen.devices[0]?.name).toBeUndefined();
  });

  it('tells an account when its devices last connected, and no one else', async () => {
    const alice = await accountWithDevice(t.http, 'alice');
    const path = `/v1/users/${alice.account.userId}/devices`;
    const before = await expectJson<{ devices: { lastSeenAt?: number }[] }>(
      await deviceRequest(t.http, alice, 'GET', path),
      200,
    );
    expect(before.devices[0]?.lastSeenAt).toBeUndefined();
    // What a socket connection records (DeviceService.touch).
    expect(await t.relay.devices.touch(alice.account.userId, alice.deviceId)).toBe(true);
    const own = await expectJson<{ devices: { lastSeenAt?: number }[] }>(
      await deviceRequest(t.http, alice, 'GET', path),
      200,
    );
    expect(own.devices[0]?.lastSeenAt).toBeGreaterThan(Date.now() - 60_000);
    const bob = await accountWithDevice(t.http, 'bob');
    const seen = await expectJson<{ devices: { lastSeenAt?: number }[] }>(
      await deviceRequest(t.http, bob, 'GET', path),
      200,
    );
    expect(seen.devices[0]?.lastSeenAt).toBeUndefined();
  });

  type Body = Record<string, Record<string, unknown>>;
  const tamperings: [string, (body: Body) => void, string][] = [
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
        b.device = { ...b.device, certificate: flip(String(b.device?.certificate)) };
      },
      'SIGNATURE_INVALID',
    ],
    [
      'device id not covered by the certificate',
      (b) => {
        b.device = { ...b.device, id: Number(b.device?.id) + 1 };
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
      'invalid ML-KEM key',
      (b) => {
        b.kemPreKey = { ...b.kemPreKey, publicKey: toBase64Url(new Uint8Array(1184).fill(0xff)) };
      },
      'KEY_INVALID',
    ],
    [
      'short KEM key',
      (b) => {
        b.kemPreKey = { ...b.kemPreKey, publicKey: toBase64Url(new Uint8Array(100)) };
      },
      'BODY_INVALID',
    ],
    [
      'duplicate one-time prekey ids',
      (b) => {
        const k = (b.oneTimePreKeys as unknown as unknown[])[0];
        b.oneTimePreKeys = [k, k] as never;
      },
      'BODY_INVALID',
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
      const body = registrationBody(device) as Body;
      tamper(body);
      const res = await expectJson<ErrorBody>(await postDevice(t.http, device, { body }), 400);
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
    const again = await expectJson<ErrorBody>(await postDevice(t.http, first), 409);
    expect(again.error.code).toBe('DEVICE_EXISTS');
    const otherIdentity = await generateIdentityKeyPair(true);
    const impostor = await createDevice({ ...first.account, identity: otherIdentity });
    const mismatch = await expectJson<ErrorBody>(await postDevice(t.http, impostor), 409);
    expect(mismatch.error.code).toBe('IDENTITY_MISMATCH');
    for (let i = 0; i < 7; i++)
      await registerDevice(t.http, await createDevice(first.account, { oneTimePreKeys: 0 }));
    const ninth = await createDevice(first.account, { oneTimePreKeys: 0 });
    const limit = await expectJson<ErrorBody>(await postDevice(t.http, ninth), 409);
    expect(limit.error.code).toBe('DEVICE_LIMIT');
  });
});

describe('device rename', () => {
  it('renames only the calling device, device-signed; other accounts never see the name', async () => {
    const account = await registerAccount(t.http, 'alice');
    const device = await createDevice(account);
    await expectJson(await postDevice(t.http, device, { name: 'laptop' }), 201);
    const renamed = await deviceRequest(t.http, device, 'PUT', '/v1/device-name', {
      name: 'Work laptop',
    });
    expect(renamed.status).toBe(204);
    const own = await expectJson<{ devices: { id: number; name?: string }[] }>(
      await deviceRequest(t.http, device, 'GET', `/v1/users/${account.userId}/devices`),
      200,
    );
    expect(own.devices).toMatchObject([{ id: device.deviceId, name: 'Work laptop' }]);
    const unsigned = await t.http('/v1/device-name', jsonInit('PUT', { name: 'x' }));
    expect(unsigned.status).toBe(401);
    const tooLong = await deviceRequest(t.http, device, 'PUT', '/v1/device-name', {
      name: 'x'.repeat(200),
    });
    expect(tooLong.status).toBe(400);
  });
});

describe('concurrent registrations', () => {
  it('lets exactly one of several racing first devices fix the identity, and never exceeds the device cap', async () => {
    const account = await registerAccount(t.http, 'racer');
    const contenders = await Promise.all(
      [0, 1, 2].map(async () =>
        createDevice(
          { ...account, identity: await generateIdentityKeyPair(true) },
          { oneTimePreKeys: 3 },
        ),
      ),
    );
    const results = await Promise.all(contenders.map((d) => postDevice(t.http, d)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409]);
    expect(await count('devices')).toBe(1);
    expect(await count('one_time_prekeys')).toBe(3);

    const winner = contenders[results.findIndex((r) => r.status === 201)] as TestDevice;
    const more = await Promise.all(
      Array.from({ length: 10 }, () => createDevice(winner.account, { oneTimePreKeys: 1 })),
    );
    const burst = await Promise.all(more.map((d) => postDevice(t.http, d)));
    expect(burst.filter((r) => r.status === 201)).toHaveLength(7);
    const refused = await Promise.all(
      burst.filter((r) => r.status !== 201).map((r) => r.json() as Promise<ErrorBody>),
    );
    expect(refused.map((b) => b.error.code)).toEqual([
      'DEVICE_LIMIT',
      'DEVICE_LIMIT',
      'DEVICE_LIMIT',
    ]);
    expect(await count('devices')).toBe(8);
  });
});

describe('prekey bundles', () => {
  it('hands each one-time prekey out at most once under concurrent fetches', async () => {
    const bob = await accountWithDevice(t.http, 'bob', { oneTimePreKeys: 10 });
    const alice = await accountWithDevice(t.http, 'alice');
    const responses = await Promise.all(
      Array.from({ length: 25 }, () =>
        deviceRequest(t.http, alice, 'GET', `/v1/users/${bob.account.userId}/bundles`),
      ),
    );
    const ids: number[] = [];
    let without = 0;
    for (const res of responses) {
      const body = await expectJson<{ devices: { oneTimePreKey?: { id: number } }[] }>(res, 200);
      const opk = body.devices[0]?.oneTimePreKey;
      if (opk === undefined) without++;
      else ids.push(opk.id);
    }
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
    expect(without).toBe(15);
    expect(await count('one_time_prekeys')).toBe(10); // alice's own ten are untouched
  });

  it('serves bundles for all devices or one, with certificates, for a user with an identity', async () => {
    const bob = await accountWithDevice(t.http, 'bob');
    const bob2 = await createDevice(bob.account);
    await registerDevice(t.http, bob2);
    const alice = await accountWithDevice(t.http, 'alice');
    const all = await expectJson<{ identity: { dh: string }; devices: { id: number }[] }>(
      await deviceRequest(t.http, alice, 'GET', `/v1/users/${bob.account.userId}/bundles`),
      200,
    );
    expect(all.devices.map((b) => b.id).sort()).toEqual([bob.deviceId, bob2.deviceId].sort());
    expect(all.identity.dh).toBe(toBase64Url(bob.account.identity.dh.publicKey));
    const one = await expectJson<{
      devices: { id: number; key: string; signedPreKey: { id: number } }[];
    }>(
      await deviceRequest(
        t.http,
        alice,
        'GET',
        `/v1/users/${bob.account.userId}/bundles/${bob2.deviceId}`,
      ),
      200,
    );
    expect(one.devices).toHaveLength(1);
    expect(one.devices[0]?.key).toBe(toBase64Url(bob2.deviceKey.publicKey));
    const unknown = await expectJson<ErrorBody>(
      await deviceRequest(t.http, alice, 'GET', `/v1/users/${bob.account.userId}/bundles/424242`),
      404,
    );
    expect(unknown.error).toMatchObject({ code: 'NOT_FOUND', details: { what: 'device' } });
    const noUser = await expectJson<ErrorBody>(
      await deviceRequest(
        t.http,
        alice,
        'GET',
        '/v1/users/00000000-0000-4000-8000-000000000000/bundles',
      ),
      404,
    );
    expect(noUser.error.code).toBe('NOT_FOUND');
  });

  it('limits bundle fetches per requester with 429 and Retry-After', async () => {
    const bob = await accountWithDevice(t.http, 'bob', { oneTimePreKeys: 0 });
    const alice = await accountWithDevice(t.http, 'alice', { oneTimePreKeys: 0 });
    for (let i = 0; i < 60; i++) {
      await expectJson(
        await deviceRequest(t.http, alice, 'GET', `/v1/users/${bob.account.userId}/bundles`),
        200,
      );
    }
    const res = await deviceRequest(
      t.http,
      alice,
      'GET',
      `/v1/users/${bob.account.userId}/bundles`,
    );
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await res.json()) as ErrorBody).error.code).toBe('RATE_LIMITED');
    const carol = await accountWithDevice(t.http, 'carol', { oneTimePreKeys: 0 });
    await expectJson(
      await deviceRequest(t.http, carol, 'GET', `/v1/users/${bob.account.userId}/bundles`),
      200,
    );
  });

  it('refills one-time prekeys up to the cap and rotates prekeys with checked signatures', async () => {
    const bob = await accountWithDevice(t.http, 'bob', { oneTimePreKeys: 0 });
    const more = await createDevice(bob.account, { oneTimePreKeys: 100 });
    const keys = more.keys.oneTimePreKeys.map((k) => ({
      id: k.id,
      publicKey: toBase64Url(k.keyPair.publicKey),
    }));
    const r1 = await expectJson<{ oneTimePreKeys: number }>(
      await managementRequest(t.http, bob, 'PUT', '/v1/prekeys', { oneTimePreKeys: keys }),
      200,
    );
    expect(r1.oneTimePreKeys).toBe(100);
    const shifted = keys.map((k, i) => ({ ...k, id: 1000 + i }));
    await expectJson(
      await managementRequest(t.http, bob, 'PUT', '/v1/prekeys', { oneTimePreKeys: shifted }),
      200,
    );
    const full = await expectJson<ErrorBody>(
      await managementRequest(t.http, bob, 'PUT', '/v1/prekeys', {
        oneTimePreKeys: shifted.map((k) => ({ ...k, id: k.id + 500 })),
      }),
      409,
    );
    expect(full.error.code).toBe('PREKEY_LIMIT');
    const status = await expectJson(await deviceRequest(t.http, bob, 'GET', '/v1/prekeys'), 200);
    expect(status).toEqual({
      oneTimePreKeys: 200,
      signedPreKeyId: 1,
      kemPreKeyId: 1,
      oneTimeKemPreKeys: 0,
    });

    const spk = more.keys.signedPreKey;
    const rotated = {
      id: 7,
      publicKey: toBase64Url(spk.keyPair.publicKey),
      signature: toBase64Url(spk.signature),
    };
    const badSig = await expectJson<ErrorBody>(
      await managementRequest(t.http, bob, 'PUT', '/v1/prekeys', { signedPreKey: rotated }),
      400,
    );
    expect(badSig.error.code).toBe('SIGNATURE_INVALID'); // the signature covers id 1, not 7
    const ok = await expectJson<{ signedPreKeyId: number }>(
      await managementRequest(t.http, bob, 'PUT', '/v1/prekeys', {
        signedPreKey: { ...rotated, id: spk.id },
      }),
      200,
    );
    expect(ok.signedPreKeyId).toBe(spk.id);
    const row = await t.relay.database.client.execute('SELECT signed_prekey FROM devices');
    expect(toBase64Url(new Uint8Array(row.rows[0]?.signed_prekey as ArrayBuffer))).toBe(
      rotated.publicKey,
    );
    const empty = await expectJson<ErrorBody>(
      await managementRequest(t.http, bob, 'PUT', '/v1/prekeys', {}),
      400,
    );
    expect(empty.error.code).toBe('BODY_INVALID');
  });

  it('removes a device with its prekeys and queue, and never accepts its id again', async () => {
    const bob = await accountWithDevice(t.http, 'bob', { oneTimeKemPreKeys: 2 });
    expect(await count('one_time_kem_prekeys')).toBe(2);
    const del = await t.http(`/v1/devices/${bob.deviceId}`, {
      method: 'DELETE',
      headers: bearer(bob),
    });
    expect(del.status).toBe(204);
    expect(await count('devices')).toBe(0);
    expect(await count('one_time_prekeys')).toBe(0);
    expect(await count('one_time_kem_prekeys')).toBe(0);
    const again = await expectJson<ErrorBody>(await postDevice(t.http, bob), 409);
    expect(again.error.code).toBe('DEVICE_EXISTS');
    const missing = await t.http(`/v1/devices/${bob.deviceId}`, {
      method: 'DELETE',
      headers: bearer(bob),
    });
    expect(missing.status).toBe(404);
  });

  it('lets a device remove another device of its account with an identity-signed request', async () => {
    const bob = await accountWithDevice(t.http, 'bob');
    const old = await createDevice(bob.account);
    await registerDevice(t.http, old);
    const res = await managementRequest(t.http, bob, 'DELETE', `/v1/devices/${old.deviceId}`);
    expect(res.status).toBe(204);
    expect(await count('devices')).toBe(1);
  });

  it('refuses the device key alone on management routes', async () => {
    const alice = await accountWithDevice(t.http, 'alice');
    const bob = await accountWithDevice(t.http, 'bob');
    const other = await createDevice(bob.account);
    await registerDevice(t.http, other);
    const fresh = await createDevice(bob.account, { oneTimePreKeys: 3 });
    const upload = {
      oneTimePreKeys: fresh.keys.oneTimePreKeys.map((k) => ({
        id: 5000 + k.id,
        publicKey: toBase64Url(k.keyPair.publicKey),
      })),
    };
    for (const [method, path, body] of [
      ['DELETE', `/v1/devices/${other.deviceId}`, undefined],
      ['PUT', `/v1/blocks/${alice.account.userId}`, undefined],
      ['DELETE', `/v1/blocks/${alice.account.userId}`, undefined],
      ['PUT', '/v1/prekeys', upload],
    ] as const) {
      const refused = await expectJson<ErrorBody>(
        await deviceRequest(t.http, bob, method, path, body),
        403,
      );
      expect(refused.error.code).toBe('MANAGEMENT_KEY_REQUIRED');
    }
    expect(await count('devices')).toBe(3);
    expect(await count('blocks')).toBe(0);
    // Another account's identity key, on behalf of bob's device: refused too.
    const forged = { ...bob, account: { ...bob.account, identity: alice.account.identity } };
    const wrongKey = await expectJson<ErrorBody>(
      await managementRequest(t.http, forged, 'PUT', `/v1/blocks/${alice.account.userId}`),
      401,
    );
    expect(wrongKey.error.code).toBe('AUTH_FAILED');
    // A removed device's identity signature no longer counts.
    expect(
      (await managementRequest(t.http, bob, 'DELETE', `/v1/devices/${other.deviceId}`)).status,
    ).toBe(204);
    const gone = await expectJson<ErrorBody>(
      await managementRequest(t.http, other, 'PUT', `/v1/blocks/${alice.account.userId}`),
      401,
    );
    expect(gone.error.code).toBe('AUTH_FAILED');
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

  it('looks users up by canonical handle', async () => {
    const alice = await accountWithDevice(t.http, 'alice');
    const found = await expectJson<{ user: string; handle: string }>(
      await deviceRequest(t.http, alice, 'GET', '/v1/handles/alice'),
      200,
    );
    expect(found).toEqual({ user: alice.account.userId, handle: 'alice' });
    const missing = await expectJson<ErrorBody>(
      await deviceRequest(t.http, alice, 'GET', '/v1/handles/nobody'),
      404,
    );
    expect(missing.error.code).toBe('NOT_FOUND');
    const bad = await expectJson<ErrorBody>(
      await deviceRequest(t.http, alice, 'GET', '/v1/handles/ALICE'),
      400,
    );
    expect(bad.error.code).toBe('HANDLE_INVALID');
  });

  it('keeps a block list per account', async () => {
    const alice = await accountWithDevice(t.http, 'alice');
    const bob = await accountWithDevice(t.http, 'bob');
    expect(
      (await managementRequest(t.http, bob, 'PUT', `/v1/blocks/${alice.account.userId}`)).status,
    ).toBe(204);
    expect(await expectJson(await deviceRequest(t.http, bob, 'GET', '/v1/blocks'), 200)).toEqual({
      users: [alice.account.userId],
    });
    expect(
      (await managementRequest(t.http, bob, 'DELETE', `/v1/blocks/${alice.account.userId}`)).status,
    ).toBe(204);
    expect(await expectJson(await deviceRequest(t.http, bob, 'GET', '/v1/blocks'), 200)).toEqual({
      users: [],
    });
    const self = await expectJson<ErrorBody>(
      await managementRequest(t.http, bob, 'PUT', `/v1/blocks/${bob.account.userId}`),
      400,
    );
    expect(self.error.code).toBe('BAD_ARGUMENT');
  });
});
