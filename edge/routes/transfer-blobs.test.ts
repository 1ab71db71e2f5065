/**
 * Transfer blobs (docs/relay.md, "Transfer blobs") against an in-process
 * relay with its injectable clock: an upload with `purpose: 'transfer'` is
 * allowed only while the account has another device added within the hour
 * (threat L8), lives one hour, and is gone for good once a device of the
 * same account DELETEs it (the new device's ACK after import).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ATTACHMENT_CHUNK_BYTES } from '../../shared/wire/limits.ts';
import {
  type CreatedUpload,
  downloadAll,
  getChunk,
  uploadAll,
} from '../testing/attachment-client.ts';
import {
  accountWithDevice,
  createDevice,
  deviceRequest,
  expectJson,
  registerDevice,
  type TestDevice,
} from '../testing/client.ts';
import { type InProcessRelay, startInProcess } from '../testing/in-process.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type ErrorBody = { error: { code: string } };

function createTransfer(t: InProcessRelay, device: TestDevice, size: number): Promise<Response> {
  return deviceRequest(t.http, device, 'POST', '/v1/attachments', { size, purpose: 'transfer' });
}

function bytes(size: number): Uint8Array {
  const out = new Uint8Array(size);
  crypto.getRandomValues(out.subarray(0, Math.min(size, 65536)));
  return out;
}

describe('transfer blobs', () => {
  let t: InProcessRelay;
  let existing: TestDevice;

  beforeEach(async () => {
    t = await startInProcess();
    existing = await accountWithDevice(t.http, 'alice', { oneTimePreKeys: 0 });
  });
  afterEach(async () => {
    await t.close();
  });

  async function linkNewDevice(): Promise<TestDevice> {
    const added = await createDevice(existing.account, { oneTimePreKeys: 0 });
    await registerDevice(t.http, added);
    return added;
  }

  it('is refused with 403 TRANSFER_NOT_ALLOWED for an account that gained no device', async () => {
    const res = await createTransfer(t, existing, 100);
    expect(res.status).toBe(403);
    expect((await expectJson<ErrorBody>(res, 403)).error.code).toBe('TRANSFER_NOT_ALLOWED');
    // An ordinary attachment is unaffected.
    const plain = await deviceRequest(t.http, existing, 'POST', '/v1/attachments', { size: 100 });
    expect(plain.status).toBe(201);
  });

  // Signed requests carry the real time and the rate limiter dislikes a clock
  // going back, so the device's age is set in the database instead.
  it.each([
    [HOUR + 1000, 403],
    [HOUR - 5000, 201],
  ])('with a device added %i ms ago answers %i', async (age, status) => {
    const added = await linkNewDevice();
    await t.relay.database.client.execute({
      sql: 'UPDATE devices SET created_at = ? WHERE device_id = ?',
      args: [t.now() - age, added.deviceId],
    });
    expect((await createTransfer(t, existing, 100)).status).toBe(status);
  });

  it('expires one hour after creation (not the attachment retention); the sweep deletes it', async () => {
    await linkNewDevice();
    const data = bytes(ATTACHMENT_CHUNK_BYTES + 10);
    const created = await expectJson<CreatedUpload>(
      await createTransfer(t, existing, data.length),
      201,
    );
    expect(created.expiresAt).toBe(t.now() + HOUR);
    await uploadAll(t.http, created, data);
    expect(Buffer.from(await downloadAll(t.http, created.id)).equals(Buffer.from(data))).toBe(true);
    const attachment = await expectJson<CreatedUpload>(
      await deviceRequest(t.http, existing, 'POST', '/v1/attachments', { size: 10 }),
      201,
    );
    expect(attachment.expiresAt).toBeGreaterThan(t.now() + DAY);

    t.setNow(t.now() + HOUR);
    expect((await t.http(`/v1/attachments/${created.id}`)).status).toBe(404);
    expect((await getChunk(t.http, created.id, 0)).status).toBe(404);
    expect((await t.relay.sweeper.sweep()).attachments).toBe(1);
    const rows = await t.relay.database.client.execute(
      'SELECT COUNT(*) AS n FROM attachment_chunks',
    );
    expect(rows.rows[0]?.n).toBe(0);
  });

  it('is deleted by the new device (same account) after import; a second GET is 404', async () => {
    const added = await linkNewDevice();
    const stranger = await accountWithDevice(t.http, 'mallory', { oneTimePreKeys: 0 });
    const data = bytes(5000);
    const created = await expectJson<CreatedUpload>(
      await createTransfer(t, existing, data.length),
      201,
    );
    await uploadAll(t.http, created, data);
    // Another account cannot end it (and learns nothing: 404).
    const foreign = await deviceRequest(
      t.http,
      stranger,
      'DELETE',
      `/v1/attachments/${created.id}`,
    );
    expect(foreign.status).toBe(404);
    expect((await getChunk(t.http, created.id, 0)).status).toBe(200);

    const ack = await deviceRequest(t.http, added, 'DELETE', `/v1/attachments/${created.id}`);
    expect(ack.status).toBe(204);
    expect((await getChunk(t.http, created.id, 0)).status).toBe(404);
    expect((await t.http(`/v1/attachments/${created.id}`)).status).toBe(404);
    const again = await deviceRequest(t.http, added, 'DELETE', `/v1/attachments/${created.id}`);
    expect(again.status).toBe(404);
  });

  it('rejects an unknown purpose', async () => {
    await linkNewDevice();
    const res = await deviceRequest(t.http, existing, 'POST', '/v1/attachments', {
      size: 10,
      purpose: 'backup',
    });
    expect(res.status).toBe(400);
  });

  it('is described in /openapi.json (the purpose, the 403)', async () => {
    const doc = await expectJson<{
      paths: Record<string, Record<string, { summary: string; responses: object }>>;
    }>(await t.http('/openapi.json'), 200);
    const create = doc.paths['/v1/attachments']?.post;
    expect(create?.summary).toContain("purpose 'transfer'");
    expect(Object.keys(create?.responses ?? {})).toContain('403');
  });
});
