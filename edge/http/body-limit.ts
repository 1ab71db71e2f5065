/**
 * Request bodies, read once and capped while they stream. A declared
 * Content-Length above the cap is refused before a byte is read; a chunked
 * body (or one whose length the client did not declare) is counted chunk by
 * chunk and the read is cancelled as soon as the count passes the cap, so an
 * oversized upload costs the relay at most the cap plus one chunk, never the
 * whole body. The bytes are kept on the context: the signature check
 * (requireDevice) and the route's schema read the same copy.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Bytes } from '../../shared/bytes.ts';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import type { AppEnv } from './env.ts';

function tooLarge(maxBytes: number): ParleyError {
  return new ParleyError(ErrorCode.BODY_TOO_LARGE, `Body exceeds ${maxBytes} bytes`, {
    max: maxBytes,
  });
}

/** Reads `request`'s body, throwing BODY_TOO_LARGE the moment it passes `maxBytes`. */
export async function readCappedBody(request: Request, maxBytes: number): Promise<Bytes> {
  const stream = request.body;
  if (stream === null) return new Uint8Array(0);
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) {
    await stream.cancel().catch(() => {});
    throw tooLarge(maxBytes);
  }
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge(maxBytes);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  if (chunks.length === 1 && chunks[0]?.buffer instanceof ArrayBuffer) return chunks[0] as Bytes;
  const body = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}

/** The request body, read (capped) on first use and shared by later middleware and the handler. */
export async function requestBody(c: Context<AppEnv>, maxBytes: number): Promise<Bytes> {
  const cached = c.get('body');
  if (cached !== undefined) return cached;
  const body = await readCappedBody(c.req.raw, maxBytes);
  c.set('body', body);
  return body;
}

/** Reads the body before anything else runs (auth included), with the route's cap. */
export function bodyLimit(maxBytes: number): MiddlewareHandler<AppEnv> {
  return async function limitBody(c, next) {
    await requestBody(c, maxBytes);
    await next();
  };
}
