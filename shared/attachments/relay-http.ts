/**
 * The relay's attachment routes as the page uses them (docs/wire.md
 * "Attachments"): chunk PUT, upload status and complete with the upload's
 * bearer token, chunk GET with no authentication (the id is the capability).
 * One small module over an injectable `fetch`; chunk requests always follow
 * redirects, so the S3 backend's 307 to a presigned URL and the libSQL
 * backend's direct answer take the same code path.
 *
 * Failures: a network error is RELAY_UNREACHABLE; an answer with the relay's
 * error body keeps the relay's code; 404/410 on a download is
 * ATTACHMENT_EXPIRED; anything else the contract does not allow is
 * RELAY_PROTOCOL (INTERNAL for a bare 5xx, so it is retried).
 */
import * as v from 'valibot';
import type { Bytes } from '../bytes.ts';
import { ErrorCode, type ErrorDetails, ParleyError } from '../errors.ts';
import { ErrorResponseSchema } from '../wire/rest-fields.ts';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Where and how one upload or download talks to the relay. */
export interface AttachmentEndpoint {
  readonly relayUrl: string;
  /** Attachment id (base64url of 16 bytes). */
  readonly id: string;
  readonly fetch: FetchLike;
  readonly signal?: AbortSignal | undefined;
}

const StatusResponseSchema = v.object({
  received: v.array(v.pipe(v.number(), v.safeInteger(), v.minValue(0))),
});

const ERROR_BODY_MAX_BYTES = 16 * 1024;

/**
 * Chunk requests one transfer keeps in flight, uploads and downloads alike:
 * enough to overlap the round trips with each other and with the AEAD work,
 * and the bound on memory (a transfer holds at most this many relay chunks,
 * of chunkBytes, plus the one being encrypted or decrypted).
 */
export const CHUNKS_IN_FLIGHT = 4;

function url(endpoint: AttachmentEndpoint, suffix: string): string {
  const base = endpoint.relayUrl.replace(/\/+$/, '');
  return `${base}/v1/attachments/${encodeURIComponent(endpoint.id)}${suffix}`;
}

async function send(
  endpoint: AttachmentEndpoint,
  target: string,
  init: RequestInit,
): Promise<Response> {
  try {
    return await endpoint.fetch(target, {
      ...init,
      redirect: 'follow',
      signal: endpoint.signal ?? null,
    });
  } catch (e) {
    if (endpoint.signal?.aborted === true) throw endpoint.signal.reason;
    if (e instanceof ParleyError) throw e;
    throw new ParleyError(ErrorCode.RELAY_UNREACHABLE, 'Relay could not be reached');
  }
}

async function errorFrom(response: Response, download: boolean): Promise<ParleyError<string>> {
  const details: ErrorDetails = { status: response.status };
  if (download && (response.status === 404 || response.status === 410)) {
    await response.body?.cancel();
    return new ParleyError(
      ErrorCode.ATTACHMENT_EXPIRED,
      'The attachment is no longer on the relay',
      details,
    );
  }
  let text = '';
  try {
    text = await response.text();
  } catch {
    // The error answer broke off: judged by its status alone below.
  }
  if (text.length <= ERROR_BODY_MAX_BYTES) {
    try {
      const parsed = v.safeParse(ErrorResponseSchema, JSON.parse(text));
      if (parsed.success) {
        return new ParleyError<string>(parsed.output.error.code, parsed.output.error.message, {
          ...(parsed.output.error.details as ErrorDetails | undefined),
          status: response.status,
        });
      }
    } catch {
      // Not JSON: judged by its status alone below.
    }
  }
  const code = response.status >= 500 ? ErrorCode.INTERNAL : ErrorCode.RELAY_PROTOCOL;
  return new ParleyError(code, `Relay answered HTTP ${response.status}`, details);
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** PUT one ciphertext chunk (replaces it if the relay has it already). */
export async function putChunk(
  endpoint: AttachmentEndpoint,
  token: string,
  index: number,
  bytes: Uint8Array,
): Promise<void> {
  const response = await send(endpoint, url(endpoint, `/chunks/${index}`), {
    method: 'PUT',
    headers: { ...bearer(token), 'content-type': 'application/octet-stream' },
    // A Blob, not the bytes: fetch must send the body again after a 307 (the
    // S3 backend), and Node's fetch detaches a typed array's buffer on the
    // first send so the second fails; a Blob can be read any number of times.
    body: new Blob([bytes as Bytes]),
  });
  if (!response.ok) throw await errorFrom(response, false);
  await response.body?.cancel();
}

/** The chunk indexes the relay already holds for this upload. */
export async function uploadStatus(endpoint: AttachmentEndpoint, token: string): Promise<number[]> {
  const response = await send(endpoint, url(endpoint, '/status'), {
    method: 'GET',
    headers: bearer(token),
  });
  if (!response.ok) throw await errorFrom(response, false);
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new ParleyError(ErrorCode.RELAY_PROTOCOL, 'Upload status is not JSON', { status: 200 });
  }
  const parsed = v.safeParse(StatusResponseSchema, body);
  if (!parsed.success) {
    throw new ParleyError(ErrorCode.RELAY_PROTOCOL, 'Upload status has the wrong shape', {
      status: 200,
    });
  }
  return parsed.output.received;
}

/** Finish the upload: the relay checks every chunk is there with its exact length. */
export async function completeUpload(endpoint: AttachmentEndpoint, token: string): Promise<void> {
  const response = await send(endpoint, url(endpoint, '/complete'), {
    method: 'POST',
    headers: { ...bearer(token), 'content-type': 'application/json' },
    body: '{}',
  });
  if (!response.ok) throw await errorFrom(response, false);
  await response.body?.cancel();
}

/** GET one ciphertext chunk of a completed upload. */
export async function getChunk(endpoint: AttachmentEndpoint, index: number): Promise<Bytes> {
  const response = await send(endpoint, url(endpoint, `/chunks/${index}`), { method: 'GET' });
  if (!response.ok) throw await errorFrom(response, true);
  try {
    return new Uint8Array(await response.arrayBuffer());
  } catch {
    if (endpoint.signal?.aborted === true) throw endpoint.signal.reason;
    throw new ParleyError(ErrorCode.RELAY_UNREACHABLE, 'Relay connection broke during a chunk');
  }
}
