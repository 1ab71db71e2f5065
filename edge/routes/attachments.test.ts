import { readFileSync } from 'node:fs';
import { sha256 } from '@noble/hashes/sha2.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toBase64Url } from '../../shared/bytes.ts';
import { ATTACHMENT_CHUNK_BYTES } from '../../shared/wire/limits.ts';
import {
  accountWithDevice,
  deviceRequest,
  expectJson,
  type TestDevice,
} from '../testing/client.ts';
import { type InProcessRelay, startInProcess } from '../testing/in-process.ts';

let t: InProcessRelay;
let alice: TestDevice;
let bob: TestDevice;
beforeEach(async () => {
  t = await startInProcess();
  alice = await accountWithDevice(t.http, 'alice', { oneTimePreKeys: 0 });
  bob = await accountWithDevice(t.http, 'bob', { oneTimePreKeys: 0 });
});
afterEach(async () => {
  await t.close();
});

type ErrorBody = { error: { code: string } };

/** A device-signed raw PUT of one chunk. */
async function putChunk(
  device: TestDevice,
  id: string,
  index: number,
  data: Uint8Array,
): Promise<Response> {
  return deviceRequest(t.http, device, 'PUT', `/v1/attachments/${id}/chunks/${index}`, data);
}

function ciphertext(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536)
    crypto.getRandomValues(out.subarray(i, Math.min(size, i + 65536)));
  return out;
}

describe('attachments', () => {
  it('uploads in chunks, checks the digest on completion, and serves chunks to anyone with the id', async () => {
    const data = ciphertext(2 * ATTACHMENT_CHUNK_BYTES + 1234);
    const created = await expectJson<{ id: string; chunks: number; chunkBytes: number }>(
      await deviceRequest(t.http, alice, 'POST', '/v1/attachments', {
        size: data.length,
        digest: toBase64Url(sha256(data)),
      }),
      201,
    );
    expect(created).toMatchObject({ chunks: 3, chunkBytes: ATTACHMENT_CHUNK_BYTES });
    const chunk = (i: number) =>
      data.subarray(
        i * ATTACHMENT_CHUNK_BYTES,
        Math.min(data.length, (i + 1) * ATTACHMENT_CHUNK_BYTES),
      );

    const early = await expectJson<ErrorBody>(
      await deviceRequest(t.http, alice, 'POST', `/v1/attachments/${created.id}/complete`, {}),
      400,
    );
    expect(early.error.code).toBe('ATTACHMENT_INVALID');
    const wrongLength = await expectJson<ErrorBody>(
      await putChunk(alice, created.id, 2, chunk(0)),
      400,
    );
    expect(wrongLength.error.code).toBe('ATTACHMENT_INVALID');
    const notOwner = await expectJson<ErrorBody>(await putChunk(bob, created.id, 0, chunk(0)), 404);
    expect(notOwner.error.code).toBe('NOT_FOUND');

    for (let i = 0; i < 3; i++)
      expect((await putChunk(alice, created.id, i, chunk(i))).status).toBe(204);
    const notYet = await deviceRequest(
      t.http,
      bob,
      'GET',
      `/v1/attachments/${created.id}/chunks/0`,
    );
    expect(notYet.status).toBe(404);
    const done = await expectJson<{ complete: boolean }>(
      await deviceRequest(t.http, alice, 'POST', `/v1/attachments/${created.id}/complete`, {}),
      200,
    );
    expect(done.complete).toBe(true);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await deviceRequest(
        t.http,
        bob,
        'GET',
        `/v1/attachments/${created.id}/chunks/${i}`,
      );
      expect(res.status).toBe(200);
      parts.push(new Uint8Array(await res.arrayBuffer()));
    }
    expect(Buffer.concat(parts).equals(Buffer.from(data))).toBe(true);
    const meta = await expectJson<{ size: number }>(
      await deviceRequest(t.http, bob, 'GET', `/v1/attachments/${created.id}`),
      200,
    );
    expect(meta.size).toBe(data.length);
  });

  it('refuses completion when the digest does not match, and allows re-uploading a chunk', async () => {
    const data = ciphertext(1000);
    const { id } = await expectJson<{ id: string }>(
      await deviceRequest(t.http, alice, 'POST', '/v1/attachments', {
        size: 1000,
        digest: toBase64Url(sha256(data)),
      }),
      201,
    );
    await putChunk(alice, id, 0, ciphertext(1000));
    const bad = await expectJson<ErrorBody>(
      await deviceRequest(t.http, alice, 'POST', `/v1/attachments/${id}/complete`, {}),
      400,
    );
    expect(bad.error.code).toBe('ATTACHMENT_INVALID');
    await putChunk(alice, id, 0, data);
    await expectJson(
      await deviceRequest(t.http, alice, 'POST', `/v1/attachments/${id}/complete`, {}),
      200,
    );
  });

  it('deletes expired attachments, ciphertext included, from the database file', async () => {
    const marker = new TextEncoder().encode('attachment-ciphertext-marker-0123456789');
    const { id } = await expectJson<{ id: string }>(
      await deviceRequest(t.http, alice, 'POST', '/v1/attachments', {
        size: marker.length,
        digest: toBase64Url(sha256(marker)),
      }),
      201,
    );
    await putChunk(alice, id, 0, marker);
    await t.relay.sweeper.sweep(); // checkpoint: the chunk is now in the main file
    expect(readFileSync(t.dbPath).indexOf(Buffer.from(marker))).toBeGreaterThanOrEqual(0);
    t.setNow(t.now() + 31 * 86_400_000);
    const swept = await t.relay.sweeper.sweep();
    expect(swept.attachments).toBe(1);
    expect(readFileSync(t.dbPath).indexOf(Buffer.from(marker))).toBe(-1);
    const rows = await t.relay.database.client.execute(
      'SELECT COUNT(*) AS n FROM attachment_chunks',
    );
    expect(rows.rows[0]?.n).toBe(0);
  });
});
