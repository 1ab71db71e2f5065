/**
 * DELETE /v1/devices/:id for an id the account never had: 404, and nothing is
 * written. The relay used to record the id as removed anyway, which is
 * permanent (a removed id is never accepted again), so a mistyped id burned a
 * device id for good.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accountWithDevice, createDevice, jsonInit, registrationBody } from '../testing/client.ts';
import { type InProcessRelay, startInProcess } from '../testing/in-process.ts';

let t: InProcessRelay;
beforeEach(async () => {
  t = await startInProcess();
});
afterEach(async () => {
  await t.close();
});

async function count(table: string): Promise<number> {
  const rows = await t.relay.database.client.execute(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number(rows.rows[0]?.n);
}

describe('removing a device that does not exist', () => {
  it('answers 404, records nothing, and the id can still be registered', async () => {
    const bob = await accountWithDevice(t.http, 'bob');
    const authorization = `Bearer ${bob.account.token}`;
    const missing = 424_242;
    const del = await t.http(`/v1/devices/${missing}`, {
      method: 'DELETE',
      headers: { authorization },
    });
    expect(del.status).toBe(404);
    expect(await count('removed_devices')).toBe(0);
    expect(await count('devices')).toBe(1);

    const later = await createDevice(bob.account, { deviceId: missing });
    const registered = await t.http(
      '/v1/devices',
      jsonInit('POST', registrationBody(later), { authorization }),
    );
    expect(registered.status).toBe(201);
    const removed = await t.http(`/v1/devices/${missing}`, {
      method: 'DELETE',
      headers: { authorization },
    });
    expect(removed.status).toBe(204);
    expect(await count('removed_devices')).toBe(1);
  });
});
