/**
 * PUT /v1/device-list and the lists served with the device directory
 * (docs/relay.md, "Device lists"): the relay keeps the chain, refuses what
 * does not follow it or is not signed by the account identity, and revokes
 * devices a new version drops.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toBase64Url } from '../../shared/bytes.ts';
import { generateIdentityKeyPair } from '../../shared/crypto/identity.ts';
import { listRoutedDeviceIds } from '../db/device-lists.ts';
import {
  accountWithDevice,
  createDevice,
  deviceRequest,
  expectJson,
  managementRequest,
  registerDevice,
  type TestDevice,
} from '../testing/client.ts';
import { publishBody, signedListOf } from '../testing/device-lists.ts';
import { type InProcessRelay, startInProcess } from '../testing/in-process.ts';

let t: InProcessRelay;
beforeEach(async () => {
  t = await startInProcess();
});
afterEach(async () => {
  await t.close();
});

async function twoDevices(): Promise<[TestDevice, TestDevice]> {
  const a = await accountWithDevice(t.http, 'alice');
  const b = await createDevice(a.account);
  await registerDevice(t.http, b);
  return [a, b];
}

function publish(by: TestDevice, body: unknown) {
  return managementRequest(t.http, by, 'PUT', '/v1/device-list', body);
}

async function errorCode(response: Response, status: number): Promise<string> {
  const body = await expectJson<{ error: { code: string } }>(response, status);
  return body.error.code;
}

describe('signed device lists on the relay', () => {
  it('stores version 1 and serves the chain with the device list and the bundles', async () => {
    const [a, b] = await twoDevices();
    const v1 = await signedListOf([a, b]);
    expect(await expectJson(await publish(a, publishBody(v1)), 200)).toEqual({
      version: 1,
      removed: [],
    });
    const v2 = await signedListOf([a, b], v1);
    await expectJson(await publish(b, publishBody(v2)), 200);
    const user = a.account.userId;
    const list = await expectJson<{ deviceLists: string[] }>(
      await deviceRequest(t.http, a, 'GET', `/v1/users/${user}/devices`),
      200,
    );
    expect(list.deviceLists).toEqual([toBase64Url(v1.encoded), toBase64Url(v2.encoded)]);
    const bundles = await expectJson<{ deviceLists: string[] }>(
      await deviceRequest(t.http, a, 'GET', `/v1/users/${user}/bundles`),
      200,
    );
    expect(bundles.deviceLists).toHaveLength(2);
  });

  it('serves no lists for an account that published none', async () => {
    const [a] = await twoDevices();
    const list = await expectJson<Record<string, unknown>>(
      await deviceRequest(t.http, a, 'GET', `/v1/users/${a.account.userId}/devices`),
      200,
    );
    expect(list.deviceLists).toBeUndefined();
  });

  it('refuses a version that does not follow the held one, or does not chain', async () => {
    const [a, b] = await twoDevices();
    const v1 = await signedListOf([a]);
    await expectJson(await publish(a, publishBody(v1)), 200);
    expect(await errorCode(await publish(a, publishBody(v1)), 409)).toBe('DEVICE_LIST_ROLLBACK');
    const other = await signedListOf([a, b]);
    expect(await errorCode(await publish(a, publishBody(other)), 409)).toBe('DEVICE_LIST_ROLLBACK');
    const v2 = await signedListOf([a, b], v1);
    const v3 = await signedListOf([a, b], v2);
    expect(await errorCode(await publish(a, publishBody(v3)), 409)).toBe(
      'DEVICE_LIST_CHAIN_BROKEN',
    );
    // Version 2, but chaining from another version 1.
    const offChain = await signedListOf([a, b], other);
    expect(await errorCode(await publish(a, publishBody(offChain)), 409)).toBe(
      'DEVICE_LIST_CHAIN_BROKEN',
    );
    await expectJson(await publish(a, publishBody(v2)), 200);
  });

  it('refuses a list not signed by the account identity, or naming an unregistered device', async () => {
    const [a, b] = await twoDevices();
    const stranger = await generateIdentityKeyPair();
    const forged = await signedListOf([a, b], undefined, stranger);
    expect(await errorCode(await publish(a, publishBody(forged)), 400)).toBe('DEVICE_LIST_INVALID');
    const unregistered = await createDevice(a.account);
    const ghost = await signedListOf([a, unregistered]);
    expect(await errorCode(await publish(a, publishBody(ghost)), 400)).toBe('DEVICE_LIST_INVALID');
    expect(await errorCode(await publish(a, { list: 'AAAA' }), 400)).toBe('DEVICE_LIST_INVALID');
  });

  it('revokes a device the next version drops: its requests fail, its rows are gone', async () => {
    const [a, b] = await twoDevices();
    const v1 = await signedListOf([a, b]);
    await expectJson(await publish(a, publishBody(v1)), 200);
    const v2 = await signedListOf([a], v1);
    expect(await expectJson(await publish(a, publishBody(v2)), 200)).toEqual({
      version: 2,
      removed: [b.deviceId],
    });
    const asB = await deviceRequest(t.http, b, 'GET', '/v1/prekeys');
    expect(asB.status).toBe(401);
    const rows = await t.relay.database.client.execute('SELECT device_id FROM devices');
    expect(rows.rows.map((r) => Number(r.device_id))).toEqual([a.deviceId]);
  });

  it('routes sends only to listed devices once the account has a list', async () => {
    const [a, b] = await twoDevices();
    const db = t.relay.database.db;
    const user = a.account.userId;
    const both = [a.deviceId, b.deviceId].sort((x, y) => x - y);
    expect((await listRoutedDeviceIds(db, user)).sort((x, y) => x - y)).toEqual(both);
    await expectJson(await publish(a, publishBody(await signedListOf([a]))), 200);
    expect(await listRoutedDeviceIds(db, user)).toEqual([a.deviceId]);
  });

  it('routes nothing to a device registered after the list until a version names it', async () => {
    const a = await accountWithDevice(t.http, 'alice');
    const v1 = await signedListOf([a]);
    await expectJson(await publish(a, publishBody(v1)), 200);
    const late = await createDevice(a.account);
    await registerDevice(t.http, late);
    const db = t.relay.database.db;
    const user = a.account.userId;
    expect(await listRoutedDeviceIds(db, user)).toEqual([a.deviceId]);
    await expectJson(await publish(a, publishBody(await signedListOf([a, late], v1))), 200);
    expect((await listRoutedDeviceIds(db, user)).sort((x, y) => x - y)).toEqual(
      [a.deviceId, late.deviceId].sort((x, y) => x - y),
    );
  });

  // The legacy removal must not bypass the list (docs/wire.md, "Devices"): without the
  // DEVICE_LISTED check the relay would drop a device its peers still address.
  it('refuses DELETE /v1/devices/:id for a listed device, allows it for an unlisted one', async () => {
    const [a, b] = await twoDevices();
    const stray = await createDevice(a.account);
    await registerDevice(t.http, stray);
    await expectJson(await publish(a, publishBody(await signedListOf([a, b]))), 200);
    const bySession = (id: number) =>
      t.http(`/v1/devices/${id}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${a.account.token}` },
      });
    const refused = await expectJson<{ error: { code: string; details: unknown } }>(
      await bySession(b.deviceId),
      409,
    );
    expect(refused.error).toMatchObject({
      code: 'DEVICE_LISTED',
      details: { device: b.deviceId, version: 1 },
    });
    const byIdentity = await managementRequest(t.http, a, 'DELETE', `/v1/devices/${b.deviceId}`);
    expect(await errorCode(byIdentity, 409)).toBe('DEVICE_LISTED');
    expect((await deviceRequest(t.http, b, 'GET', '/v1/prekeys')).status).toBe(200);
    expect((await bySession(stray.deviceId)).status).toBe(204);
    expect((await deviceRequest(t.http, stray, 'GET', '/v1/prekeys')).status).toBe(401);
  });
});
