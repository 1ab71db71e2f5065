/**
 * The S3-compatible BlobStore (R2, S3, MinIO): every chunk is its own object
 * `<prefix><id>/<index>`, and the relay never touches the bytes. A chunk PUT
 * or GET is answered with a presigned SigV4 URL (307); the PUT URL signs the
 * chunk's exact Content-Length, so the store itself refuses a chunk of the
 * wrong size. The relay talks to the store directly only to list what an
 * upload has stored (status, complete) and to delete objects (expiry,
 * deletion). Path-style URLs (`<endpoint>/<bucket>/<key>`), which R2, MinIO
 * and S3 all accept. SigV4 comes from aws4fetch: pure JavaScript on WebCrypto,
 * so this runs in an edge isolate too.
 */
import { AwsV4Signer } from 'aws4fetch';
import type { BlobStore, ByteRange, ChunkRef, Redirect } from './blob-store.ts';

export interface S3Settings {
  /** e.g. https://<account>.r2.cloudflarestorage.com, https://s3.eu-west-1.amazonaws.com */
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Key prefix, '' or ending in '/'. */
  readonly prefix: string;
  /** Lifetime of a presigned URL. */
  readonly presignSeconds: number;
}

/** Objects deleted in parallel during a sweep or a deletion. */
const DELETE_CONCURRENCY = 8;
/**
 * Attempts per relay-side request (all idempotent: list, delete). S3 asks
 * clients to retry 500 and 503 with backoff, and a store under parallel
 * deletes answers them now and then (s3rver did in CI).
 */
const ATTEMPTS = 4;
const BACKOFF_MS = 50;

function transient(status: number): boolean {
  return status === 429 || status >= 500;
}

export class S3StoreError extends Error {
  override readonly name = 'S3StoreError';
}

export class S3BlobStore implements BlobStore {
  readonly kind = 's3';
  readonly #s: S3Settings;
  readonly #fetch: typeof fetch;

  readonly #sleep: (ms: number) => Promise<void>;

  constructor(
    settings: S3Settings,
    fetchImpl: typeof fetch = fetch,
    sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.#s = settings;
    this.#fetch = fetchImpl;
    this.#sleep = sleep;
  }

  #url(key: string): URL {
    const base = this.#s.endpoint.replace(/\/+$/, '');
    if (key === '') return new URL(`${base}/${encodeURIComponent(this.#s.bucket)}`);
    const path = key.split('/').map(encodeURIComponent).join('/');
    return new URL(`${base}/${encodeURIComponent(this.#s.bucket)}/${path}`);
  }

  #key(id: string, index: number): string {
    return `${this.#s.prefix}${id}/${index}`;
  }

  async #sign(
    method: string,
    url: URL,
    options: { headers?: Record<string, string>; query?: boolean } = {},
  ): Promise<{ url: URL; headers: Headers }> {
    if (options.query === true)
      url.searchParams.set('X-Amz-Expires', String(this.#s.presignSeconds));
    const signed = await new AwsV4Signer({
      method,
      url: url.toString(),
      headers: options.headers ?? {},
      accessKeyId: this.#s.accessKeyId,
      secretAccessKey: this.#s.secretAccessKey,
      service: 's3',
      region: this.#s.region,
      signQuery: options.query === true,
      // Sign Content-Length too: the store then refuses a chunk of any other size.
      allHeaders: options.query === true,
    }).sign();
    return { url: signed.url, headers: signed.headers };
  }

  async put(chunk: ChunkRef): Promise<Redirect> {
    const { url } = await this.#sign('PUT', this.#url(this.#key(chunk.id, chunk.index)), {
      headers: { 'content-length': String(chunk.length) },
      query: true,
    });
    return { redirect: url.toString() };
  }

  /** The client's Range header travels with the redirected request; the store answers 206. */
  async get(chunk: ChunkRef, _range: ByteRange | undefined): Promise<Redirect> {
    const { url } = await this.#sign('GET', this.#url(this.#key(chunk.id, chunk.index)), {
      query: true,
    });
    return { redirect: url.toString() };
  }

  async received(id: string): Promise<ReadonlyMap<number, number>> {
    const prefix = `${this.#s.prefix}${id}/`;
    const out = new Map<number, number>();
    let token: string | undefined;
    do {
      const url = this.#url('');
      url.searchParams.set('list-type', '2');
      url.searchParams.set('prefix', prefix);
      if (token !== undefined) url.searchParams.set('continuation-token', token);
      const xml = await this.#request('GET', url, 'list');
      for (const [, key = '', size = ''] of xml.matchAll(
        /<Contents>[\s\S]*?<Key>([^<]*)<\/Key>[\s\S]*?<Size>(\d+)<\/Size>[\s\S]*?<\/Contents>/g,
      )) {
        const index = Number(unescapeXml(key).slice(prefix.length));
        if (Number.isSafeInteger(index)) out.set(index, Number(size));
      }
      const next = /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1];
      token = /<IsTruncated>true<\/IsTruncated>/.test(xml) && next ? unescapeXml(next) : undefined;
    } while (token !== undefined);
    return out;
  }

  async delete(ids: readonly string[], chunksOf: (id: string) => number): Promise<void> {
    const keys = ids.flatMap((id) =>
      Array.from({ length: chunksOf(id) }, (_, index) => this.#key(id, index)),
    );
    for (let at = 0; at < keys.length; at += DELETE_CONCURRENCY) {
      await Promise.all(
        keys
          .slice(at, at + DELETE_CONCURRENCY)
          .map((key) => this.#request('DELETE', this.#url(key), 'delete')),
      );
    }
  }

  /**
   * A header-signed request to the store, retried with exponential backoff on
   * 429/5xx and network errors; throws S3StoreError (status only: no secrets, no keys).
   */
  async #request(method: string, url: URL, what: string): Promise<string> {
    let failure = 'a network error';
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (attempt > 0) await this.#sleep(BACKOFF_MS * 2 ** (attempt - 1));
      const signed = await this.#sign(method, new URL(url));
      let response: Response;
      try {
        response = await this.#fetch(signed.url, { method, headers: signed.headers });
      } catch {
        failure = 'a network error';
        continue;
      }
      const text = await response.text();
      // Deleting an object that is not there is success in S3 (204); a 404 means the same here.
      if (response.ok || (method === 'DELETE' && response.status === 404)) return text;
      failure = `HTTP ${response.status}`;
      if (!transient(response.status)) break;
    }
    throw new S3StoreError(`Object store ${what} failed with ${failure}`);
  }
}

function unescapeXml(text: string): string {
  return text
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&apos;', "'")
    .replaceAll('&amp;', '&');
}
