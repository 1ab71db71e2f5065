/**
 * Request bodies: read as JSON under the size cap, then parsed with the
 * shared valibot schema. Failures are BODY_INVALID with the field path and a
 * reason, never the offending value.
 */
import type { Context } from 'hono';
import * as v from 'valibot';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import { summarizeIssue } from '../../shared/wire/issues.ts';

export async function readJson(c: Context, maxBytes: number): Promise<unknown> {
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > maxBytes)
    throw new ParleyError(ErrorCode.BODY_TOO_LARGE, `Body exceeds ${maxBytes} bytes`, {
      max: maxBytes,
    });
  const buffer = new Uint8Array(await c.req.arrayBuffer());
  if (buffer.length > maxBytes)
    throw new ParleyError(ErrorCode.BODY_TOO_LARGE, `Body exceeds ${maxBytes} bytes`, {
      max: maxBytes,
    });
  if (buffer.length === 0) return {};
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buffer));
  } catch {
    throw new ParleyError(ErrorCode.BODY_INVALID, 'Body is not valid JSON', {
      path: '',
      reason: 'json',
    });
  }
}

export function parseBody<S extends v.GenericSchema>(schema: S, value: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, value, { abortEarly: true });
  if (result.success) return result.output;
  const { path, reason } = summarizeIssue(result.issues[0]);
  throw new ParleyError(
    ErrorCode.BODY_INVALID,
    `Invalid body field ${path === '' ? '(body)' : path} (${reason})`,
    {
      path,
      reason,
    },
  );
}

export async function body<S extends v.GenericSchema>(
  c: Context,
  schema: S,
  maxBytes: number,
): Promise<v.InferOutput<S>> {
  return parseBody(schema, await readJson(c, maxBytes));
}
