/**
 * One-time ML-KEM prekeys against the REAL relay (a Deno process, on each
 * database backend): each is handed out at most once under concurrent bundle
 * fetches, the last-resort ML-KEM prekey is served once they run out, the
 * status endpoint counts them, and uploads are checked (kind, cap).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBase64Url } from '../shared/bytes.ts';
import { publicIdentity } from '../shared/crypto/identity.ts';
import { validatePreKeyBundle } from '../shared/crypto/prekey-validation.ts';
import {
  generateKemPreKey,
  generateOneTimeKemPreKeys,
  type PreKeyBundle,
  PreKeyKind,
} from '../shared/crypto/prekeys.ts';
import { systemRandom } from '../shared/crypto/random.ts';
import {
  ONE_TIME_KEM_PREKEYS_MAX_STORED,
  ONE_TIME_KEM_PREKEYS_MAX_UPLOAD,
} from '../shared/wire/limits.ts';
import {
  accountWithDevice,
  deviceRequest,
  expectJson,
  managementRequest,
  oneTimeKemUpload,
  type TestDevice,
} from './testing/client.ts';
import { RelayProcess } from './testing/relay-process.ts';
import { BACKENDS, startTestDatabase, type TestDatabase } from './testing/test-database.ts';
import { WsTestClient } from './testing/ws-client.ts';

interface WireKemPreKey {
  id: number;
  publicKey: string;
  signature: string;
  oneTime?: true;
}

interface Status {
  oneTimePreKeys: number;
  signedPreKeyId: number;
  kemPreKeyId: number;
  oneTimeKemPreKeys?: number;
}

const STOCK = 6;
/** One-time prekeys (both kinds, one charge per bundle) handed out per target device and hour. */
const BUDGET = 12;

describe.each(BACKENDS)('one-time ML-KEM prekeys on a %s database', (backend) => {
  let database: TestDatabase;
  let relay: RelayProcess;
  let bob: TestDevice;
  let fetchers: TestDevice[];

  beforeAll(async () => {
    database = await startTestDatabase(backend);
    relay = await RelayProcess.start({
      ...database.relayOptions,
      env: { RATE_LIMIT_ONE_TIME_PREKEYS_PER_TARGET: `${BUDGET}/3600` },
    });
    bob = await accountWithDevice(relay.http, 'bob', {
      oneTimePreKeys: 0,
      oneTimeKemPreKeys: STOCK,
    });
    fetchers = await Promise.all(
      ['carol', 'dave', 'erin'].map((h) => accountWithDevice(relay.http, h, { oneTimePreKeys: 0 })),
    );
  });

  afterAll(async () => {
    await relay.dispose();
    await database.dispose();
  });

  const readyStock = async (device: TestDevice) => {
    const socket = await WsTestClient.connect(relay.wsUrl, device, { unlock: false });
    const ready = socket.of('ready')[0];
    socket.close();
    return { oneTimePreKeys: ready?.oneTimePreKeys, oneTimeKemPreKeys: ready?.oneTimeKemPreKeys };
  };

  const status = async (device: TestDevice) =>
    expectJson<Status>(await deviceRequest(relay.http, device, 'GET', '/v1/prekeys'), 200);

  it('hands each one to one of many parallel fetches, then falls back to the last-resort key', async () => {
    expect((await status(bob)).oneTimeKemPreKeys).toBe(STOCK);
    expect(await readyStock(bob)).toEqual({ oneTimePreKeys: 0, oneTimeKemPreKeys: STOCK });
    const requests = Array.from({ length: BUDGET }, (_, i) =>
      deviceRequest(
        relay.http,
        fetchers[i % fetchers.length] as TestDevice,
        'GET',
        `/v1/users/${bob.account.userId}/bundles/${bob.deviceId}`,
      ),
    );
    const served: WireKemPreKey[] = [];
    for (const res of await Promise.all(requests)) {
      const body = await expectJson<{ devices: { kemPreKey: WireKemPreKey }[] }>(res, 200);
      served.push((body.devices[0] as { kemPreKey: WireKemPreKey }).kemPreKey);
    }
    const oneTime = served.filter((k) => k.oneTime === true).map((k) => k.id);
    expect(oneTime).toHaveLength(STOCK);
    expect(new Set(oneTime)).toEqual(new Set(bob.keys.oneTimeKemPreKeys.map((k) => k.id)));
    const lastResort = served.filter((k) => k.oneTime === undefined);
    expect(lastResort).toHaveLength(BUDGET - STOCK);
    for (const k of lastResort) expect(k.id).toBe(bob.keys.kemPreKey.id);
    expect((await status(bob)).oneTimeKemPreKeys).toBe(0);
    // The socket's `ready` says so too, so the client refills without waiting for the hour.
    expect(await readyStock(bob)).toEqual({ oneTimePreKeys: 0, oneTimeKemPreKeys: 0 });

    // What was served verifies as the kind it claims (its own signature context).
    const first = served.find((k) => k.oneTime === true) as WireKemPreKey;
    const asBundle = (kind: typeof PreKeyKind.KEM | typeof PreKeyKind.ONE_TIME_KEM) =>
      ({
        identity: publicIdentity(bob.keys.identity),
        signedPreKey: {
          kind: PreKeyKind.SIGNED,
          id: bob.keys.signedPreKey.id,
          publicKey: bob.keys.signedPreKey.keyPair.publicKey,
          signature: bob.keys.signedPreKey.signature,
        },
        kemPreKey: {
          kind,
          id: first.id,
          publicKey: fromBase64Url(first.publicKey),
          signature: fromBase64Url(first.signature),
        },
      }) as PreKeyBundle;
    await validatePreKeyBundle(asBundle(PreKeyKind.ONE_TIME_KEM));
    await expect(validatePreKeyBundle(asBundle(PreKeyKind.KEM))).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    });
  });

  it('past the target’s budget serves the last-resort key though one-time keys are left', async () => {
    const stocked = await accountWithDevice(relay.http, 'frank', {
      oneTimePreKeys: 0,
      oneTimeKemPreKeys: BUDGET + 3,
    });
    const served: WireKemPreKey[] = [];
    for (let i = 0; i < BUDGET + 2; i++) {
      const res = await deviceRequest(
        relay.http,
        fetchers[i % fetchers.length] as TestDevice,
        'GET',
        `/v1/users/${stocked.account.userId}/bundles/${stocked.deviceId}`,
      );
      const body = await expectJson<{ devices: { kemPreKey: WireKemPreKey }[] }>(res, 200);
      served.push((body.devices[0] as { kemPreKey: WireKemPreKey }).kemPreKey);
    }
    expect(served.map((k) => k.oneTime === true)).toEqual([
      ...Array<boolean>(BUDGET).fill(true),
      false,
      false,
    ]);
    expect((await status(stocked)).oneTimeKemPreKeys).toBe(3);
    const metrics = await (await relay.http('/metrics')).text();
    expect(metrics).toMatch(/parley_prekey_bundles_without_one_time_total\{reason="budget"\} 2\b/);
  });

  it('refuses a last-resort key uploaded as one-time, and more than the cap', async () => {
    const alice = await accountWithDevice(relay.http, 'alice', { oneTimePreKeys: 0 });
    const identity = alice.account.identity;
    const lastResort = await generateKemPreKey(identity, 77, Date.now(), systemRandom);
    const refused = await managementRequest(
      relay.http,
      alice,
      'PUT',
      '/v1/prekeys',
      oneTimeKemUpload([lastResort]),
    );
    const error = await expectJson<{ error: { code: string; details: { field: string } } }>(
      refused,
      400,
    );
    expect(error.error).toMatchObject({
      code: 'SIGNATURE_INVALID',
      details: { field: 'oneTimeKemPreKeys[0].signature' },
    });
    expect((await status(alice)).oneTimeKemPreKeys).toBe(0);

    let next = 1;
    for (let n = 0; n < ONE_TIME_KEM_PREKEYS_MAX_STORED; n += ONE_TIME_KEM_PREKEYS_MAX_UPLOAD) {
      const keys = await generateOneTimeKemPreKeys(
        identity,
        next,
        ONE_TIME_KEM_PREKEYS_MAX_UPLOAD,
        systemRandom,
      );
      next += keys.length;
      const res = await managementRequest(
        relay.http,
        alice,
        'PUT',
        '/v1/prekeys',
        oneTimeKemUpload(keys),
      );
      expect((await expectJson<Status>(res, 200)).oneTimeKemPreKeys).toBe(next - 1);
    }
    const extra = await generateOneTimeKemPreKeys(identity, next, 1, systemRandom);
    const full = await managementRequest(
      relay.http,
      alice,
      'PUT',
      '/v1/prekeys',
      oneTimeKemUpload(extra),
    );
    expect((await expectJson<{ error: { code: string } }>(full, 409)).error.code).toBe(
      'PREKEY_LIMIT',
    );
    expect((await status(alice)).oneTimeKemPreKeys).toBe(ONE_TIME_KEM_PREKEYS_MAX_STORED);
  });
});
