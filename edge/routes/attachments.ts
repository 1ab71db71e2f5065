/**
 * /v1/attachments (docs/wire.md, "Attachments"): create and delete are
 * device-signed; chunk PUT, status and complete carry the upload token;
 * info and chunk GET are public (the id is the capability) and rate-limited
 * per IP. With an object store, chunk PUT and GET answer 307 to a presigned URL.
 */
import { type Context, Hono } from 'hono';
import * as v from 'valibot';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import { ATTACHMENT_MAX_CHUNKS } from '../../shared/wire/limits.ts';
import { OpaqueIdSchema } from '../../shared/wire/rest-fields.ts';
import { isRedirect } from '../attachments/blob-store.ts';
import { parseRange, rangeResponse } from '../attachments/range.ts';
import type { AppEnv } from '../http/env.ts';
import { type MountOptions, mountRoutes } from '../http/mount.ts';
import type { AttachmentService, Caller } from '../services/attachments.ts';

function idParam(c: Context<AppEnv>): string {
  const id = c.req.param('id') ?? '';
  // A malformed id is as absent as a random one.
  if (!v.is(OpaqueIdSchema, id))
    throw new ParleyError(ErrorCode.NOT_FOUND, 'No such attachment', { what: 'attachment' });
  return id;
}

function indexParam(c: Context<AppEnv>): number {
  const text = c.req.param('index') ?? '';
  const index = /^\d{1,6}$/.test(text) ? Number(text) : Number.NaN;
  if (!(index >= 0 && index < ATTACHMENT_MAX_CHUNKS)) {
    throw new ParleyError(ErrorCode.ATTACHMENT_INVALID, 'Chunk index out of range', {
      path: 'index',
    });
  }
  return index;
}

function caller(c: Context<AppEnv>): Caller {
  const deviceId = c.get('deviceId');
  if (deviceId === undefined)
    throw new ParleyError(ErrorCode.AUTH_REQUIRED, 'A device signature is required');
  return { accountId: c.get('accountId'), deviceId };
}

function uploadToken(c: Context<AppEnv>): string {
  const token = c.get('uploadToken');
  if (token === undefined)
    throw new ParleyError(ErrorCode.AUTH_REQUIRED, 'An upload token is required');
  return token;
}

function declaredLength(c: Context<AppEnv>): number | undefined {
  const raw = c.req.header('content-length');
  return raw !== undefined && /^\d{1,15}$/.test(raw) ? Number(raw) : undefined;
}

/** 307 keeps method and body: fetch re-sends the chunk to the presigned URL. */
function redirect(url: string): Response {
  return new Response(null, {
    status: 307,
    headers: { location: url, 'cache-control': 'no-store' },
  });
}

async function chunkGet(c: Context<AppEnv>, service: AttachmentService): Promise<Response> {
  const header = c.req.header('range');
  const { data, length, range } = await service.getChunk(idParam(c), indexParam(c), (n) =>
    parseRange(header, n),
  );
  if (isRedirect(data)) return redirect(data.redirect);
  return rangeResponse(data, length, range);
}

export function attachmentRoutes(service: AttachmentService, mount: MountOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  mountRoutes(
    app,
    {
      attachmentCreate: (c, body) => service.create(caller(c), body),
      attachmentChunkPut: async (c, read) => {
        const target = await service.putChunk(
          idParam(c),
          uploadToken(c),
          indexParam(c),
          read,
          declaredLength(c),
        );
        return target === undefined ? null : redirect(target.redirect);
      },
      attachmentStatus: (c) => service.status(idParam(c), uploadToken(c)),
      attachmentComplete: (c) => service.complete(idParam(c), uploadToken(c)),
      attachmentInfo: (c) => service.info(idParam(c)),
      attachmentChunkGet: (c) => chunkGet(c, service),
      attachmentDelete: async (c) => {
        await service.delete(caller(c), idParam(c));
        return null;
      },
    },
    mount,
  );
  return app;
}
