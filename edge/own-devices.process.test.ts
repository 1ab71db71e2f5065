/**
 * A restore's "is another device still alive?" (docs/wire.md, "Own devices")
 * against the REAL relay (a Deno process): a device's socket connection is
 * what the relay records as last seen, and the restore's client function
 * (RelayApi.ownDevices, judged by shared/client/backup/account-activity.ts),
 * with a fresh passkey session, finds that device recent; the relay's answer names no other account.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recentlyActiveDevice } from '../shared/client/backup/account-activity.ts';
import { RelayApi } from '../shared/client/relay/relay-api.ts';
import { nodeFetch, nodeTimers } from '../shared/client/testing/harness.ts';
import { ErrorCode, isParleyError } from '../shared/errors.ts';
import { accountWithDevice, createDevice, login, registerDevice } from './testing/client.ts';
import { RelayProcess } from './testing/relay-process.ts';
import { WsTestClient } from './testing/ws-client.ts';

describe('own devices on a real relay', () => {
  let relay: RelayProcess;

  beforeAll(async () => {
    relay = await RelayProcess.start({ env: { RATE_LIMIT_BACKUP_REQUESTS_PER_ID: '3/3600' } });
  });
  afterAll(async () => {
    await relay.dispose();
  });

  const api = (baseUrl = relay.url) =>
    new RelayApi({ baseUrl, fetch: nodeFetch, now: Date.now, timers: nodeTimers });

  it('lists the device that connected as recent, the one that never did without a time, and limits per account', async () => {
    const old = await accountWithDevice(relay.http, 'alice');
    const quiet = await createDevice(old.account);
    await registerDevice(relay.http, quiet);
    await accountWithDevice(relay.http, 'bob');
    const socket = await WsTestClient.connect(relay.wsUrl, old);
    socket.close();
    const token = await login(relay.http, old.account);
    const devices = await api().ownDevices(token);
    expect(devices.map((d) => d.id).sort()).toEqual([old.deviceId, quiet.deviceId].sort());
    expect(devices.find((d) => d.id === quiet.deviceId)?.lastSeenAt).toBeUndefined();
    const recent = recentlyActiveDevice(devices, Date.now());
    expect(recent?.id).toBe(old.deviceId);
    expect(recent?.lastSeenAt).toBeGreaterThan(Date.now() - 60_000);
    // A month on, the same device no longer counts as alive.
    expect(recentlyActiveDevice(devices, Date.now() + 30 * 24 * 3600_000)).toBeUndefined();

    await api().ownDevices(token);
    await api().ownDevices(token);
    const limited = await api()
      .ownDevices(token)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isParleyError(limited, ErrorCode.RATE_LIMITED)).toBe(true);
  });

  it('refuses a forged session with AUTH_FAILED and an unreachable relay with RELAY_UNREACHABLE', async () => {
    const forged = await api()
      .ownDevices('not.a.token')
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isParleyError(forged, ErrorCode.AUTH_FAILED)).toBe(true);
    const gone = await api('http://127.0.0.1:9')
      .ownDevices('x')
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isParleyError(gone, ErrorCode.RELAY_UNREACHABLE)).toBe(true);
  });
});
