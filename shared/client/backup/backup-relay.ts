/**
 * The relay's backup store as the client uses it (docs/wire.md, "Backups"):
 * every request signed by the backup auth key (shared/wire/backup-request.ts),
 * a snapshot uploaded from a byte stream in the relay's chunk size and
 * downloaded back as a stream, chunk by chunk. One small module over an
 * injectable `fetch`.
 *
 * Failures: a network error is RELAY_UNREACHABLE; an answer with the relay's
 * error body keeps the relay's code (NOT_FOUND when no backup exists under the
 * id); anything else the contract does not allow is RELAY_PROTOCOL.
 */
import type * as v from 'valibot';
import { type Bytes, toBase64Url } from '../../bytes.ts';
import type { SigningKeyPair } from '../../crypto/ed25519.ts';
import { ErrorCode, type ErrorDetails, isParleyError, ParleyError } from '../../errors.ts';
import { signBackupRequest } from '../../wire/backup-request.ts';
import {
  type SnapshotInfo,
  SnapshotInfoSchema,
  SnapshotListResponseSchema,
  SnapshotUploadResponseSchema,
} from '../../wire/rest-backups.ts';
import { parseRestBody } from '../../wire/rest-codec.ts';
import { ErrorResponseSchema } from '../../wire/rest-fields.ts';
import { buildPath, type RouteName, routes } from '../../wire/routes.ts';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface BackupRelayOptions {
  readonly relayUrl: string;
  readonly fetch: FetchLike;
  readonly backupId: Uint8Array;
  readonly auth: SigningKeyPair;
  /** The clock that stamps requests (ms since the epoch). */
  readonly now: () => number;
}

const ERROR_BODY_MAX_BYTES = 16 * 1024;
const EMPTY = new Uint8Array(0);

/** A non-2xx answer as a typed error: the relay's own code when its error body is there. */
async function relayErrorFrom(response: Response): Promise<ParleyError<string>> {
  const details: ErrorDetails = { status: response.status };
  const text = await response.text().catch(() => '');
  if (text.length <= ERROR_BODY_MAX_BYTES) {
    try {
      const parsed = parseRestBody(ErrorResponseSchema, text);
      return new ParleyError<string>(parsed.error.code, parsed.error.message, {
        ...(parsed.error.details as ErrorDetails | undefined),
        status: response.status,
      });
    } catch {
      // Not the relay's error body: judged by its status alone below.
    }
  }
  const code = response.status >= 500 ? ErrorCode.INTERNAL : ErrorCode.RELAY_PROTOCOL;
  return new ParleyError(code, `Relay answered HTTP ${response.status}`, details);
}

export class BackupRelay {
  readonly #options: BackupRelayOptions;
  readonly #id: string;
  // Ed25519 is deterministic: two identical requests in one millisecond would
  // carry one signature, and the relay refuses the second as a replay.
  #lastTs = 0;

  constructor(options: BackupRelayOptions) {
    this.#options = options;
    this.#id = toBase64Url(options.backupId);
  }

  async #send(
    name: RouteName,
    params: Record<string, string | number>,
    body: Uint8Array,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const spec = routes[name];
    const path = buildPath(spec.path, { backupId: this.#id, ...params });
    this.#lastTs = Math.max(this.#options.now(), this.#lastTs + 1);
    const authorization = await signBackupRequest(
      this.#options.auth,
      { method: spec.method, path, body },
      this.#lastTs,
    );
    const contentType = spec.request === 'bytes' ? 'application/octet-stream' : 'application/json';
    let response: Response;
    try {
      response = await this.#options.fetch(`${this.#options.relayUrl.replace(/\/+$/, '')}${path}`, {
        method: spec.method,
        headers: {
          ...headers,
          authorization,
          ...(body.length > 0 ? { 'content-type': contentType } : {}),
        },
        ...(body.length > 0 ? { body: new Blob([body as Bytes]) } : {}),
      });
    } catch (error) {
      if (isParleyError(error)) throw error;
      throw new ParleyError(ErrorCode.RELAY_UNREACHABLE, 'Relay could not be reached');
    }
    if (!response.ok) throw await relayErrorFrom(response);
    return response;
  }

  async #json<S extends v.GenericSchema>(response: Response, schema: S): Promise<v.InferOutput<S>> {
    try {
      return parseRestBody(schema, new Uint8Array(await response.arrayBuffer()));
    } catch {
      throw new ParleyError(ErrorCode.RELAY_PROTOCOL, 'Relay answer does not match the contract', {
        status: response.status,
      });
    }
  }

  /** Complete snapshots, highest seq first (the relay's claim: verify inside). An unknown id has none. */
  async list(): Promise<SnapshotInfo[]> {
    try {
      const response = await this.#send('backupList', {}, EMPTY);
      return (await this.#json(response, SnapshotListResponseSchema)).snapshots;
    } catch (error) {
      if (isParleyError(error, ErrorCode.NOT_FOUND)) return [];
      throw error;
    }
  }

  /** Uploads `source` as snapshot `seq` in the relay's chunk size, then completes it. */
  async upload(seq: number, source: AsyncIterable<Uint8Array>): Promise<SnapshotInfo> {
    const body = new TextEncoder().encode(JSON.stringify({ seq }));
    const started = await this.#json(
      await this.#send('backupStart', {}, body),
      SnapshotUploadResponseSchema,
    );
    const chunk = new Uint8Array(started.chunkBytes);
    let filled = 0;
    let index = 0;
    const flush = async (length: number) => {
      const put = await this.#send('backupChunkPut', { seq, index }, chunk.slice(0, length));
      await put.body?.cancel();
      index += 1;
      filled = 0;
    };
    for await (const piece of source) {
      for (let at = 0; at < piece.length; ) {
        const n = Math.min(piece.length - at, chunk.length - filled);
        chunk.set(piece.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled === chunk.length) await flush(filled);
      }
    }
    if (filled > 0 || index === 0) await flush(filled);
    const done = await this.#send('backupComplete', { seq }, new TextEncoder().encode('{}'));
    return this.#json(done, SnapshotInfoSchema);
  }

  /** Snapshot `seq` as a byte stream, one relay chunk at a time. */
  async *download(snapshot: Pick<SnapshotInfo, 'seq' | 'chunks'>): AsyncGenerator<Uint8Array> {
    for (let index = 0; index < snapshot.chunks; index++) {
      const response = await this.#send('backupChunkGet', { seq: snapshot.seq, index }, EMPTY);
      yield new Uint8Array(await response.arrayBuffer());
    }
  }

  /** Deletes every snapshot and the pinned key; the next upload pins the key again. */
  async deleteAll(): Promise<void> {
    const response = await this.#send('backupDelete', {}, EMPTY);
    await response.body?.cancel();
  }
}
