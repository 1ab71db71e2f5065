/**
 * GET /v1/devices (docs/wire.md, "Own devices"): a passkey session's own
 * devices with when each was added and last connected, for a restore to tell
 * a live device from a lost one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { routes } from '../../shared/wire/routes.ts';
import {
  accountWithDevice,
  createDevice,
  deviceRequest,
  expectJson,
  login,
  postDevice,
} from '../testing/client.ts';
import { type InProcessRelay, startInProcess } from '../testing/in-process.ts';

let t: InProcessRelay | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

type ErrorBody = { error: { code: string; details?: Record<string, unknown> } };
type Own = { devices: { id: number; addedAt: number; name?: string; lastSeenAt?: number }[] };

function ownDevices(relay: InProcessRelay, token: string): Promise<Response> {
  return relay.http(routes.ownDevices.path, { headers: { authorization: `Bearer ${token}` } });
}

describe('GET /v1/devices', () => {
  it("lists the session's account's devices with added and last-seen times, and nothing of other accounts", async () => {
    t = await startInProcess();
    const before = Date.now();
    const laptop = await accountWithDevice(t.http, 'alice');
    const phone = await createDevice(laptop.account);
    await expectJson(await postDevice(t.http, phone, { name: 'phone' }), 201);
    await accountWithDevice(t.http, 'bob');
    // What a socket connection records (DeviceService.touch).
    expect(await t.relay.devices.touch(laptop.account.userId, laptop.deviceId)).toBe(true);
    // A fresh passkey login, as a restore on a new browser makes.
    const token = await login(t.http, laptop.account);
    const own = await expectJson<Own>(await ownDevices(t, token), 200);
    const byId = new Map(own.devices.map((d) => [d.id, d]));
    expect([...byId.keys()].sort()).toEqual([laptop.deviceId, phone.deviceId].sort());
    const seen = byId.get(laptop.deviceId);
    // The relay's clock (in-process: a coarse one), so compared within a minute.
    expect(seen?.lastSeenAt).toBeGreaterThan(before - 60_000);
    expect(seen?.addedAt).toBeGreaterThan(before - 60_000);
    expect(seen?.addedAt).toBeLessThanOrEqual(seen?.lastSeenAt ?? 0);
    expect(byId.get(phone.deviceId)).toEqual({
      id: phone.deviceId,
      addedAt: expect.any(Number),
      name: 'phone',
    });
    // Only what a restore needs: no keys, certificates or prekeys.
    expect(Object.keys(seen ?? {}).sort()).toEqual(['addedAt', 'id', 'lastSeenAt']);
  });

  it('leaves out a removed device', async () => {
    t = await startInProcess();
    const kept = await accountWithDevice(t.http, 'carol');
    const lost = await createDevice(kept.account);
    await expectJson(await postDevice(t.http, lost), 201);
    await t.relay.devices.remove(kept.account.userId, lost.deviceId);
    const own = await expectJson<Own>(await ownDevices(t, kept.account.token), 200);
    expect(own.devices.map((d) => d.id)).toEqual([kept.deviceId]);
  });

  it('answers an account without devices with an empty list', async () => {
    t = await startInProcess();
    const device = await accountWithDevice(t.http, 'dora');
    await t.relay.devices.remove(device.account.userId, device.deviceId);
    expect(await expectJson<Own>(await ownDevices(t, device.account.token), 200)).toEqual({
      devices: [],
    });
  });

  it('takes a passkey session only: no token is AUTH_REQUIRED, a device signature too, a bad token AUTH_FAILED', async () => {
    t = await startInProcess();
    const device = await accountWithDevice(t.http, 'erin');
    const none = await expectJson<ErrorBody>(await t.http(routes.ownDevices.path), 401);
    expect(none.error.code).toBe('AUTH_REQUIRED');
    const signed = await expectJson<ErrorBody>(
      await deviceRequest(t.http, device, 'GET', routes.ownDevices.path),
      401,
    );
    expect(signed.error.code).toBe('AUTH_REQUIRED');
    const bad = await expectJson<ErrorBody>(await ownDevices(t, `${device.account.token}x`), 401);
    expect(bad.error.code).toBe('AUTH_FAILED');
  });

  it('is limited per account on the backup budget (429 RATE_LIMITED)', async () => {
    t = await startInProcess({ RATE_LIMIT_BACKUP_REQUESTS_PER_ID: '2/60' });
    const device = await accountWithDevice(t.http, 'fred');
    const other = await accountWithDevice(t.http, 'gina');
    await expectJson(await ownDevices(t, device.account.token), 200);
    await expectJson(await ownDevices(t, device.account.token), 200);
    const limited = await expectJson<ErrorBody>(await ownDevices(t, device.account.token), 429);
    expect(limited.error.code).toBe('RATE_LIMITED');
    // Counted per account: another account still has its budget.
    await expectJson(await ownDevices(t, other.account.token), 200);
  });
});
