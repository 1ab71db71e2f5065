/**
 * Attachments against the REAL relay (a Deno process) on each store: libSQL
 * chunk rows in a file (behind Deno.serve, and behind HTTP_SERVER=node),
 * libSQL over Hrana (the Turso path), and an S3-compatible server (s3rver, a
 * child process) reached through presigned URLs. Plain `fetch` follows the relay's 307s as a page does. Expiry and
 * orphan cleanup need the relay's clock, so they are in
 * edge/routes/attachments.test.ts (in-process, same stores).
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTACHMENT_CHUNK_BYTES } from '../shared/wire/limits.ts';
import {
  chunkOf,
  completeUpload,
  createdUpload,
  createUpload,
  downloadAll,
  uploadAll,
  uploadStatus,
} from './testing/attachment-client.ts';
import { accountWithDevice, deviceRequest, expectJson, type TestDevice } from './testing/client.ts';
import { locationOf, partialPut } from './testing/partial-put.ts';
import { RelayProcess } from './testing/relay-process.ts';
import { type S3Server, startS3Server } from './testing/s3-server.ts';
import { startTestDatabase, type TestDatabase } from './testing/test-database.ts';

const EXTENSION_ORIGIN = 'chrome-extension://bmdomknieihcmbmhfmajogfncjkidlbh';
const MAX_BYTES = 3 * ATTACHMENT_CHUNK_BYTES;

function random(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536)
    crypto.getRandomValues(out.subarray(i, Math.min(size, i + 65536)));
  return out;
}

/** `node`: the file database behind HTTP_SERVER=node (node:http) instead of Deno.serve. */
type Setup = 'file' | 'hrana' | 's3' | 'node';

describe.each(['file', 'hrana', 's3', 'node'] as const)(
  'attachments on a real relay (%s)',
  (setup: Setup) => {
    let database: TestDatabase;
    let s3: S3Server | undefined;
    let relay: RelayProcess;
    let alice: TestDevice;
    let bob: TestDevice;
    const uploaded: Uint8Array[] = [];

    beforeAll(async () => {
      database = await startTestDatabase(setup === 'hrana' ? 'hrana' : 'file');
      if (setup === 's3') s3 = await startS3Server();
      relay = await RelayProcess.start({
        ...database.relayOptions,
        env: {
          ...(s3?.env ?? {}),
          ATTACHMENT_MAX_BYTES: String(MAX_BYTES),
          WAL_CHECKPOINT_SECONDS: '1',
        },
      });
      alice = await accountWithDevice(relay.http, 'alice', { oneTimePreKeys: 0 });
      bob = await accountWithDevice(relay.http, 'bob', { oneTimePreKeys: 0 });
    });
    afterAll(async () => {
      await relay.dispose();
      await s3?.stop();
      await database.dispose();
    });

    /** The database file and WAL, and with S3 the object store's files. */
    function stored(): Buffer[] {
      const db = [database.path, `${database.path}-wal`]
        .filter((p) => existsSync(p))
        .map((p) => readFileSync(p));
      return [...db, ...(s3?.files() ?? [])];
    }

    it('refuses a declared size over ATTACHMENT_MAX_BYTES with 413, and a chunk of the wrong length', async () => {
      const res = await createUpload(relay.http, alice, MAX_BYTES + 1);
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
        'ATTACHMENT_TOO_LARGE',
      );
      const up = await createdUpload(relay.http, alice, 1000);
      // The relay checks Content-Length before it stores or redirects.
      const short = await relay.http(`/v1/attachments/${up.id}/chunks/0`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${up.uploadToken}` },
        body: new Uint8Array(999),
      });
      expect(short.status).toBe(400);
    });

    it('resumes after the connection dies mid-chunk: status, then the chunk again', async () => {
      const data = random(2 * ATTACHMENT_CHUNK_BYTES + 77);
      uploaded.push(data);
      const up = await createdUpload(relay.http, alice, data.length);
      const bearer = { authorization: `Bearer ${up.uploadToken}` };
      const chunkUrl = `${relay.url}/v1/attachments/${up.id}/chunks/1`;
      await uploadAll(relay.http, { ...up, chunks: 1 }, data).catch(() => {}); // chunk 0 only
      const half = ATTACHMENT_CHUNK_BYTES / 2;
      const answer = await partialPut(chunkUrl, bearer, chunkOf(data, up, 1), half);
      if (setup === 's3') {
        // The relay answered 307 without reading the body; the store sees the dropped upload.
        const location = locationOf(answer);
        expect(location).toBeDefined();
        await partialPut(location ?? '', {}, chunkOf(data, up, 1), half);
      }
      const status = await expectJson<{ received: number[] }>(
        await uploadStatus(relay.http, up),
        200,
      );
      expect(status.received).toEqual([0]);
      expect((await completeUpload(relay.http, up)).status).toBe(400);
      await uploadAll(relay.http, up, data);
      expect(Buffer.from(await downloadAll(relay.http, up.id)).equals(Buffer.from(data))).toBe(
        true,
      );
    });

    it('serves Range reads to anyone with the id, and 404 for a random id', async () => {
      const data = random(ATTACHMENT_CHUNK_BYTES + 500);
      uploaded.push(data);
      const up = await createdUpload(relay.http, alice, data.length);
      await uploadAll(relay.http, up, data);
      const part = await fetch(`${relay.url}/v1/attachments/${up.id}/chunks/1`, {
        headers: { range: 'bytes=100-299' },
      });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-range')).toBe('bytes 100-299/500');
      const bytes = new Uint8Array(await part.arrayBuffer());
      expect(
        Buffer.from(bytes).equals(
          Buffer.from(data.subarray(ATTACHMENT_CHUNK_BYTES + 100, ATTACHMENT_CHUNK_BYTES + 300)),
        ),
      ).toBe(true);
      const bad = await relay.http(`/v1/attachments/${up.id}/chunks/1`, {
        headers: { range: 'bytes=500-' },
      });
      expect(bad.status).toBe(416);
      expect(bad.headers.get('content-range')).toBe('bytes */500');
      const randomId = Buffer.from(random(16)).toString('base64url');
      expect((await relay.http(`/v1/attachments/${randomId}`)).status).toBe(404);
      expect((await relay.http(`/v1/attachments/${randomId}/chunks/0`)).status).toBe(404);
    });

    it("lets only the uploader's account delete, and deletes the bytes", async () => {
      const data = random(4096);
      const up = await createdUpload(relay.http, alice, data.length);
      await uploadAll(relay.http, up, data);
      const byBob = await deviceRequest(relay.http, bob, 'DELETE', `/v1/attachments/${up.id}`);
      expect(byBob.status).toBe(404);
      expect((await relay.http(`/v1/attachments/${up.id}`)).status).toBe(200);
      const byAlice = await deviceRequest(relay.http, alice, 'DELETE', `/v1/attachments/${up.id}`);
      expect(byAlice.status).toBe(204);
      expect((await relay.http(`/v1/attachments/${up.id}/chunks/0`)).status).toBe(404);
      if (s3 !== undefined) expect(s3.objectKeys().filter((k) => k.includes(up.id))).toEqual([]);
      const metrics = await (await relay.http('/metrics')).text();
      expect(metrics).toContain('parley_attachments_deleted_total{reason="deleted"} 1');
      expect(metrics).toMatch(/parley_attachment_uploads_total\{event="completed"\} [1-9]/);
    });

    it('answers CORS for extension pages: Authorization and Range allowed, Content-Range exposed', async () => {
      const preflight = await relay.http('/v1/attachments/x/chunks/0', {
        method: 'OPTIONS',
        headers: {
          origin: EXTENSION_ORIGIN,
          'access-control-request-method': 'PUT',
          'access-control-request-headers': 'authorization,range,content-type',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe(EXTENSION_ORIGIN);
      const allowed = preflight.headers.get('access-control-allow-headers') ?? '';
      for (const h of ['authorization', 'range', 'content-type']) expect(allowed).toContain(h);
      const data = random(100);
      const up = await createdUpload(relay.http, alice, data.length);
      await uploadAll(relay.http, up, data);
      if (setup !== 's3') {
        const read = await relay.http(`/v1/attachments/${up.id}/chunks/0`, {
          headers: { origin: EXTENSION_ORIGIN, range: 'bytes=0-9' },
        });
        expect(read.headers.get('access-control-allow-origin')).toBe(EXTENSION_ORIGIN);
        expect(read.headers.get('access-control-expose-headers')).toContain('content-range');
      }
    });

    it('keeps only the uploaded ciphertext: no upload token, no plaintext metadata', async () => {
      // The relay never receives names or types: create carries only a size. What it stores
      // is the uploaded bytes themselves (present before expiry) and the token's hash, never
      // the token.
      const data = random(5000);
      uploaded.push(data);
      const up = await createdUpload(relay.http, alice, data.length);
      await uploadAll(relay.http, up, data);
      await new Promise((r) => setTimeout(r, 2500)); // the WAL checkpoint moves rows into the file
      const files = stored();
      const has = (needle: Uint8Array) => files.some((b) => b.indexOf(Buffer.from(needle)) >= 0);
      for (const chunk of uploaded) expect(has(chunk.subarray(0, 64))).toBe(true);
      expect(has(new TextEncoder().encode(up.uploadToken))).toBe(false);
    }, 30_000);
  },
);

describe('the S3 store in an edge sandbox: Hrana database, no native code, network only to the store', () => {
  it('uploads, downloads and deletes through presigned URLs', async () => {
    const database = await startTestDatabase('hrana');
    const s3 = await startS3Server();
    const relay = await RelayProcess.start({
      libsqlUrl: database.relayOptions.libsqlUrl ?? '',
      edgeSandbox: { allowNet: [database.endpoint ?? '', s3.host] },
      env: { ...s3.env, S3_PREFIX: 'edge' },
    });
    try {
      const alice = await accountWithDevice(relay.http, 'alice', { oneTimePreKeys: 0 });
      const data = random(ATTACHMENT_CHUNK_BYTES + 3);
      const up = await createdUpload(relay.http, alice, data.length);
      await uploadAll(relay.http, up, data);
      expect(s3.objectKeys().sort()).toEqual([`edge/${up.id}/0`, `edge/${up.id}/1`]);
      expect(Buffer.from(await downloadAll(relay.http, up.id)).equals(Buffer.from(data))).toBe(
        true,
      );
      const gone = await deviceRequest(relay.http, alice, 'DELETE', `/v1/attachments/${up.id}`);
      expect(gone.status).toBe(204);
      expect(s3.objectKeys()).toEqual([]);
    } finally {
      await relay.dispose();
      await s3.stop();
      await database.dispose();
    }
  });
});
