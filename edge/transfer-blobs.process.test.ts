/**
 * Transfer blobs (docs/relay.md, "Transfer blobs") against the REAL relay (a
 * Deno process), threat L8 of the linking design: refused for an account
 * that gained no device; a second GET after the new device's ACK is 404; a
 * blob nobody ACKs is 404 once its lifetime is over and the sweep removes its
 * chunk rows. The lifetime is shortened with ATTACHMENT_TRANSFER_TTL_SECONDS
 * (the documented test knob); the hour itself is checked in
 * edge/routes/transfer-blobs.test.ts with the relay's injectable clock.
 */
import { createClient } from '@libsql/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { useRelayProcess } from '../shared/client/testing/relay-fixture.ts';
import { type CreatedUpload, getChunk, uploadAll } from './testing/attachment-client.ts';
import {
  accountWithDevice,
  createDevice,
  deviceRequest,
  expectJson,
  registerDevice,
  type TestDevice,
} from './testing/client.ts';

const TTL_SECONDS = 2;

describe('transfer blobs on a real relay', () => {
  const relay = useRelayProcess({
    relay: {
      env: { ATTACHMENT_TRANSFER_TTL_SECONDS: String(TTL_SECONDS), SWEEP_INTERVAL_SECONDS: '1' },
    },
  });
  let existing: TestDevice;
  let added: TestDevice;

  beforeAll(async () => {
    existing = await accountWithDevice(relay.http, 'alice', { oneTimePreKeys: 0 });
  });

  /** Read through a second connection to the relay's database file (WAL mode). */
  async function chunkRows(id: string): Promise<number> {
    const db = createClient({ url: `file:${relay.process.dbPath}`, intMode: 'number' });
    try {
      const result = await db.execute({
        sql: 'SELECT COUNT(*) AS n FROM attachment_chunks WHERE attachment_id = ?',
        args: [id],
      });
      return Number(result.rows[0]?.n);
    } finally {
      db.close();
    }
  }

  const create = (device: TestDevice, size: number) =>
    deviceRequest(relay.http, device, 'POST', '/v1/attachments', { size, purpose: 'transfer' });

  async function uploaded(size: number): Promise<CreatedUpload> {
    const created = await expectJson<CreatedUpload>(await create(existing, size), 201);
    const data = crypto.getRandomValues(new Uint8Array(size));
    await uploadAll(relay.http, created, data);
    return created;
  }

  it('is refused for an account with no recently added device', async () => {
    const res = await create(existing, 100);
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe('TRANSFER_NOT_ALLOWED');
  });

  it('is single use: after the new device ACKs it, a second GET is 404', async () => {
    added = await createDevice(existing.account, { oneTimePreKeys: 0 });
    await registerDevice(relay.http, added);
    const blob = await uploaded(4096);
    expect((await getChunk(relay.http, blob.id, 0)).status).toBe(200);
    expect(await chunkRows(blob.id)).toBe(1);
    const ack = await deviceRequest(relay.http, added, 'DELETE', `/v1/attachments/${blob.id}`);
    expect(ack.status).toBe(204);
    expect((await getChunk(relay.http, blob.id, 0)).status).toBe(404);
    expect((await relay.http(`/v1/attachments/${blob.id}`)).status).toBe(404);
    expect(await chunkRows(blob.id)).toBe(0);
  });

  it('is gone after its lifetime without an ACK, bytes included', async () => {
    const blob = await uploaded(4096);
    const info = await expectJson<{ expiresAt: number }>(
      await relay.http(`/v1/attachments/${blob.id}`),
      200,
    );
    expect(info.expiresAt - Date.now()).toBeLessThanOrEqual(TTL_SECONDS * 1000);
    await new Promise((r) => setTimeout(r, TTL_SECONDS * 1000 + 200));
    expect((await getChunk(relay.http, blob.id, 0)).status).toBe(404);
    // The sweep (every second here) takes the chunk rows too.
    const deadline = Date.now() + 10_000;
    for (;;) {
      if ((await chunkRows(blob.id)) === 0) break;
      if (Date.now() > deadline) throw new Error('transfer blob chunks outlived the sweep');
      await new Promise((r) => setTimeout(r, 200));
    }
  });
});
