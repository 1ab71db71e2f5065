/**
 * Attachment routes against an in-process relay with its injectable clock,
 * on both stores: libSQL chunk rows and a real S3-compatible server (s3rver,
 * a child process; chunk PUT/GET follow the relay's 307 to presigned URLs).
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ATTACHMENT_CHUNK_BYTES } from '../../shared/wire/limits.ts';
import {
  chunkOf,
  completeUpload,
  createdUpload,
  createUpload,
  downloadAll,
  getChunk,
  putChunk,
  uploadAll,
  uploadStatus,
} from '../testing/attachment-client.ts';
import {
  accountWithDevice,
  deviceRequest,
  expectJson,
  type TestDevice,
} from '../testing/client.ts';
import { type InProcessRelay, startInProcess } from '../testing/in-process.ts';
import { type S3Server, startS3Server } from '../testing/s3-server.ts';

type ErrorBody = { error: { code: string; details?: Record<string, unknown> } };
const DAY = 86_400_000;

function random(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536)
    crypto.getRandomValues(out.subarray(i, Math.min(size, i + 65536)));
  return out;
}

/** Stands in for the client's encryption: AES-GCM under a key the relay never sees. */
async function seal(plaintext: Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, plaintext as Uint8Array<ArrayBuffer>),
  );
  const out = new Uint8Array(12 + sealed.length);
  out.set(iv);
  out.set(sealed, 12);
  return out;
}

describe.each(['libsql', 's3'] as const)('attachments on the %s store', (store) => {
  let s3: S3Server | undefined;
  let t: InProcessRelay;
  let prefix: string;
  let alice: TestDevice;
  let bob: TestDevice;

  beforeAll(async () => {
    if (store === 's3') s3 = await startS3Server();
  });
  afterAll(async () => {
    await s3?.stop();
  });
  beforeEach(async () => {
    prefix = `run-${Math.random().toString(36).slice(2)}`;
    t = await startInProcess({
      ...(s3 === undefined ? {} : { ...s3.env, S3_PREFIX: prefix }),
      ATTACHMENT_MAX_BYTES: String(4 * ATTACHMENT_CHUNK_BYTES),
      ATTACHMENT_OUTSTANDING_BYTES: String(6 * ATTACHMENT_CHUNK_BYTES),
      ATTACHMENT_BYTES_PER_DAY: String(8 * ATTACHMENT_CHUNK_BYTES),
    });
    alice = await accountWithDevice(t.http, 'alice', { oneTimePreKeys: 0 });
    bob = await accountWithDevice(t.http, 'bob', { oneTimePreKeys: 0 });
  });
  afterEach(async () => {
    await t.close();
  });

  /** Every byte the relay keeps: the database file with its WAL, and the object store's files. */
  function storedBytes(): Buffer[] {
    const files = [t.dbPath, `${t.dbPath}-wal`]
      .filter((p) => existsSync(p))
      .map((p) => readFileSync(p));
    return [...files, ...(s3?.files() ?? [])];
  }
  const stores = (needle: Uint8Array) =>
    storedBytes().some((b) => b.indexOf(Buffer.from(needle)) >= 0);

  it('uploads chunks with the token, completes, and serves them to anyone holding the id', async () => {
    const data = random(2 * ATTACHMENT_CHUNK_BYTES + 1234);
    const up = await createdUpload(t.http, alice, data.length);
    expect(up).toMatchObject({ chunks: 3, chunkBytes: ATTACHMENT_CHUNK_BYTES });
    expect(up.uploadToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const early = await expectJson<ErrorBody>(await completeUpload(t.http, up), 400);
    expect(early.error.code).toBe('ATTACHMENT_INVALID');
    // The relay refuses it (libSQL), or the object store does, or at least status and complete
    // never count it (s3rver does not enforce the signed Content-Length; S3 and R2 do).
    const wrongLength = await putChunk(t.http, up, 2, chunkOf(data, up, 0));
    if (store === 'libsql') expect(wrongLength.status).toBe(400);
    expect(
      (await expectJson<{ received: number[] }>(await uploadStatus(t.http, up), 200)).received,
    ).toEqual([]);
    const wrongToken = await putChunk(
      t.http,
      { ...up, uploadToken: up.uploadToken.replace(/^./, (ch) => (ch === 'A' ? 'B' : 'A')) },
      0,
      chunkOf(data, up, 0),
    );
    expect(wrongToken.status).toBe(404);
    const noToken = await t.http(`/v1/attachments/${up.id}/status`);
    expect(noToken.status).toBe(401);

    expect((await putChunk(t.http, up, 1, chunkOf(data, up, 1))).status).toBe(
      store === 's3' ? 200 : 204,
    );
    const status = await expectJson<{ received: number[] }>(await uploadStatus(t.http, up), 200);
    expect(status.received).toEqual([1]);
    // Not downloadable before complete, not even its info.
    expect((await t.http(`/v1/attachments/${up.id}`)).status).toBe(404);
    expect((await getChunk(t.http, up.id, 1)).status).toBe(404);

    await uploadAll(t.http, up, data);
    const again = await expectJson<ErrorBody>(
      await putChunk(t.http, up, 0, chunkOf(data, up, 0)),
      400,
    );
    expect(again.error.code).toBe('ATTACHMENT_INVALID');
    const info = await expectJson<{ size: number; complete: boolean }>(
      await t.http(`/v1/attachments/${up.id}`),
      200,
    );
    expect(info).toMatchObject({ size: data.length, complete: true });
    expect(Buffer.from(await downloadAll(t.http, up.id)).equals(Buffer.from(data))).toBe(true);
    const metrics = await t.relay.metrics.render();
    expect(metrics).toContain('parley_attachment_uploads_total{event="completed"} 1');
    expect(metrics).toContain(`parley_attachment_bytes_stored ${data.length}`);
  });

  it('resumes: a re-PUT replaces a chunk, status lists what is stored', async () => {
    const data = random(ATTACHMENT_CHUNK_BYTES + 10);
    const up = await createdUpload(t.http, alice, data.length);
    await putChunk(t.http, up, 0, random(ATTACHMENT_CHUNK_BYTES));
    expect(
      (await expectJson<{ received: number[] }>(await uploadStatus(t.http, up), 200)).received,
    ).toEqual([0]);
    await putChunk(t.http, up, 0, chunkOf(data, up, 0));
    await uploadAll(t.http, up, data);
    expect(Buffer.from(await downloadAll(t.http, up.id)).equals(Buffer.from(data))).toBe(true);
  });

  it('serves Range reads with 206 and Content-Range, and refuses bad ranges with 416', async () => {
    const data = random(1000);
    const up = await createdUpload(t.http, alice, data.length);
    await uploadAll(t.http, up, data);
    const part = await getChunk(t.http, up.id, 0, 'bytes=100-199');
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 100-199/1000');
    expect(Buffer.from(await part.arrayBuffer()).equals(Buffer.from(data.subarray(100, 200)))).toBe(
      true,
    );
    // s3rver answers a suffix range from the start (S3 and R2 do not): checked on libSQL only.
    if (store === 'libsql') {
      const tail = await getChunk(t.http, up.id, 0, 'bytes=-10');
      expect(tail.status).toBe(206);
      expect(Buffer.from(await tail.arrayBuffer()).equals(Buffer.from(data.subarray(990)))).toBe(
        true,
      );
    }
    const open = await getChunk(t.http, up.id, 0, 'bytes=995-');
    expect(Buffer.from(await open.arrayBuffer()).equals(Buffer.from(data.subarray(995)))).toBe(
      true,
    );
    for (const bad of ['bytes=1000-', 'bytes=5-2', 'bytes=0-1,5-6', 'items=0-1']) {
      const res = await getChunk(t.http, up.id, 0, bad);
      expect([bad, res.status]).toEqual([bad, 416]);
      expect(res.headers.get('content-range')).toBe('bytes */1000');
    }
  });

  it('answers 404 for a random or malformed id', async () => {
    const random16 = Buffer.from(random(16)).toString('base64url');
    for (const path of [
      `/v1/attachments/${random16}`,
      `/v1/attachments/${random16}/chunks/0`,
      '/v1/attachments/nope/chunks/0',
    ])
      expect([path, (await t.http(path)).status]).toEqual([path, 404]);
  });

  it('refuses sizes over the limit (413) and uploads over the quotas', async () => {
    const tooLarge = await expectJson<ErrorBody>(
      await createUpload(t.http, alice, 4 * ATTACHMENT_CHUNK_BYTES + 1),
      413,
    );
    expect(tooLarge.error).toMatchObject({
      code: 'ATTACHMENT_TOO_LARGE',
      details: { max: 4 * ATTACHMENT_CHUNK_BYTES },
    });
    const big = await createdUpload(t.http, alice, 4 * ATTACHMENT_CHUNK_BYTES);
    const outstanding = await expectJson<ErrorBody>(
      await createUpload(t.http, alice, 3 * ATTACHMENT_CHUNK_BYTES),
      507,
    );
    expect(outstanding.error.code).toBe('ATTACHMENT_QUOTA');
    // Bob's quota is his own.
    await createdUpload(t.http, bob, 4 * ATTACHMENT_CHUNK_BYTES);
    // Once Alice's upload is gone the outstanding quota frees, but the day's bytes stay spent.
    expect((await deviceRequest(t.http, alice, 'DELETE', `/v1/attachments/${big.id}`)).status).toBe(
      204,
    );
    await createdUpload(t.http, alice, 2 * ATTACHMENT_CHUNK_BYTES);
    await createdUpload(t.http, alice, 2 * ATTACHMENT_CHUNK_BYTES);
    const daily = await expectJson<ErrorBody>(
      await createUpload(t.http, alice, ATTACHMENT_CHUNK_BYTES),
      429,
    );
    expect(daily.error.code).toBe('RATE_LIMITED');
  });

  it("deletes only for the uploader's account; others get 404", async () => {
    const data = random(3000);
    const up = await createdUpload(t.http, alice, data.length);
    await uploadAll(t.http, up, data);
    const byBob = await deviceRequest(t.http, bob, 'DELETE', `/v1/attachments/${up.id}`);
    expect(byBob.status).toBe(404);
    expect((await getChunk(t.http, up.id, 0)).status).toBe(200);
    expect((await deviceRequest(t.http, alice, 'DELETE', `/v1/attachments/${up.id}`)).status).toBe(
      204,
    );
    expect((await getChunk(t.http, up.id, 0)).status).toBe(404);
    await t.relay.sweeper.checkpoint(); // the WAL's old page images go too
    expect(stores(data.subarray(0, 64))).toBe(false);
    expect(await t.relay.metrics.render()).toContain(
      'parley_attachments_deleted_total{reason="deleted"} 1',
    );
  });

  it('deletes the bytes at expiry and orphaned uploads after 24 h; plaintext is never stored', async () => {
    const canary = new TextEncoder().encode(
      `attachment plaintext canary ${Math.random()} `.repeat(40),
    );
    const sealed = await seal(canary);
    const done = await createdUpload(t.http, alice, sealed.length);
    await uploadAll(t.http, done, sealed);
    const orphanBytes = random(ATTACHMENT_CHUNK_BYTES + 5);
    const orphan = await createdUpload(t.http, alice, orphanBytes.length);
    await putChunk(t.http, orphan, 0, chunkOf(orphanBytes, orphan, 0));
    await t.relay.sweeper.sweep(); // checkpoint: chunk rows are in the main database file now
    expect(stores(sealed.subarray(100, 164))).toBe(true);
    expect(stores(orphanBytes.subarray(0, 64))).toBe(true);
    expect(stores(canary.subarray(0, 40))).toBe(false);

    t.setNow(t.now() + DAY + 1000);
    expect((await uploadStatus(t.http, orphan)).status).toBe(404);
    expect((await t.relay.sweeper.sweep()).attachments).toBe(1);
    expect(stores(orphanBytes.subarray(0, 64))).toBe(false);
    expect(Buffer.from(await downloadAll(t.http, done.id)).equals(Buffer.from(sealed))).toBe(true);

    t.setNow(t.now() + 30 * DAY);
    expect((await t.http(`/v1/attachments/${done.id}`)).status).toBe(404);
    expect((await t.relay.sweeper.sweep()).attachments).toBe(1);
    expect(stores(sealed.subarray(100, 164))).toBe(false);
    const rows = await t.relay.database.client.execute(
      'SELECT COUNT(*) AS n FROM attachment_chunks',
    );
    expect(rows.rows[0]?.n).toBe(0);
    if (s3 !== undefined) expect(s3.objectKeys().filter((k) => k.startsWith(prefix))).toEqual([]);
    const metrics = await t.relay.metrics.render();
    expect(metrics).toContain('parley_attachments_deleted_total{reason="incomplete"} 1');
    expect(metrics).toContain('parley_attachments_deleted_total{reason="expired"} 1');
  });
});

describe('an unreachable object store', () => {
  it('fails the attachment part of a sweep alone; the rows stay for the next sweep', async () => {
    const t = await startInProcess({
      ATTACHMENT_STORE: 's3',
      S3_ENDPOINT: 'http://127.0.0.1:9', // nothing listens on port 9
      S3_BUCKET: 'parley-test',
      S3_ACCESS_KEY_ID: 'id',
      S3_SECRET_ACCESS_KEY: 'secret',
    });
    try {
      const alice = await accountWithDevice(t.http, 'alice', { oneTimePreKeys: 0 });
      await createdUpload(t.http, alice, 10); // never completed: an orphan after 24 h
      t.setNow(t.now() + DAY + 1000);
      const swept = await t.relay.sweeper.sweep();
      expect(swept.attachments).toBe(0);
      expect(t.log.lines.some((l) => l.includes('attachments.sweep_failed'))).toBe(true);
      expect(t.log.lines.some((l) => l.includes('expiry.sweep_failed'))).toBe(false);
      const rows = await t.relay.database.client.execute('SELECT COUNT(*) AS n FROM attachments');
      expect(rows.rows[0]?.n).toBe(1);
    } finally {
      await t.close();
    }
  });
});

describe('attachment transfers per IP', () => {
  it('have their own budget: past it, chunk and info reads are 429 with Retry-After', async () => {
    const t = await startInProcess({ RATE_LIMIT_ATTACHMENT_CHUNKS_PER_IP: '4/60' });
    try {
      const alice = await accountWithDevice(t.http, 'alice', { oneTimePreKeys: 0 });
      const data = random(10);
      const up = await createdUpload(t.http, alice, data.length);
      await uploadAll(t.http, up, data); // one chunk PUT
      expect((await t.http(`/v1/attachments/${up.id}`)).status).toBe(200);
      expect((await getChunk(t.http, up.id, 0)).status).toBe(200);
      expect((await getChunk(t.http, up.id, 0)).status).toBe(200);
      const limited = await getChunk(t.http, up.id, 0);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).not.toBeNull();
      // The general REST budget is untouched: the upload's status still answers.
      expect((await uploadStatus(t.http, up)).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe('attachment routes in /openapi.json', () => {
  it('lists the public, upload-token and device routes with their extra statuses', async () => {
    const t = await startInProcess();
    try {
      const doc = await expectJson<{
        paths: Record<
          string,
          Record<string, { security?: unknown; responses: Record<string, unknown> }>
        >;
      }>(await t.http('/openapi.json'), 200);
      const chunk = doc.paths['/v1/attachments/{id}/chunks/{index}'];
      expect(chunk?.get?.security).toBeUndefined();
      expect(Object.keys(chunk?.get?.responses ?? {})).toEqual(
        expect.arrayContaining(['200', '206', '307', '416']),
      );
      expect(chunk?.put?.security).toEqual([{ upload: [] }]);
      expect(doc.paths['/v1/attachments/{id}']?.delete?.security).toEqual([{ device: [] }]);
    } finally {
      await t.close();
    }
  });
});
