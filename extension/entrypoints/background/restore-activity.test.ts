/**
 * "Is another device still alive?" before a restore, against the in-process
 * relay: a device that connected within 14 days is named with its time, an
 * older one or one that never connected is not, and an expired session fails
 * with the relay's code.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accountWithDevice, login } from '../../../edge/testing/client.ts';
import { type InProcessRelay, startInProcess } from '../../../edge/testing/in-process.ts';
import { RelayApi } from '../../../shared/client/relay/relay-api.ts';
import { nodeTimers } from '../../../shared/client/testing/harness.ts';
import { ErrorCode } from '../../../shared/errors.ts';
import { errorOf } from '../../../shared/testing/errors.ts';
import { restoreActivity } from './restore-activity.ts';

const RELAY = 'http://relay.test';
const DAY = 24 * 3600_000;

describe('restoreActivity', () => {
  let t: InProcessRelay;
  const api = () =>
    new RelayApi({
      baseUrl: RELAY,
      fetch: (input, init) => Promise.resolve(t.relay.app.request(input, init)),
      now: () => t.now(),
      timers: nodeTimers,
    });
  const deps = () => ({ api: api(), now: () => t.now() });

  beforeEach(async () => {
    t = await startInProcess();
  });
  afterEach(async () => {
    await t.close();
  });

  it('names the device seen within 14 days, and none once it is older', async () => {
    const old = await accountWithDevice(t.http, 'alice');
    const session = { sessionToken: await login(t.http, old.account) };
    expect(await restoreActivity(deps(), session)).toEqual({ recent: null });
    // What a socket connection records.
    await t.relay.devices.touch(old.account.userId, old.deviceId);
    const seenAt = t.now();
    // The window is judged by this browser's clock.
    expect(await restoreActivity({ api: api(), now: () => seenAt + 13 * DAY }, session)).toEqual({
      recent: { lastSeenAt: seenAt, name: null },
    });
    expect(await restoreActivity({ api: api(), now: () => seenAt + 15 * DAY }, session)).toEqual({
      recent: null,
    });
  });

  it('fails with the relay’s code for a bad session', async () => {
    const error = await errorOf(() => restoreActivity(deps(), { sessionToken: 'no.such.token' }));
    expect(error.code).toBe(ErrorCode.AUTH_FAILED);
  });
});
