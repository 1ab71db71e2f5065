/** /v1/attachments: encrypted attachment upload and download (device-signed). */
import { type Context, Hono } from 'hono';
import * as v from 'valibot';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import { ATTACHMENT_MAX_CHUNKS } from '../../shared/wire/limits.ts';
import { OpaqueIdSchema } from '../../shared/wire/rest-fields.ts';
import type { AppEnv } from '../http/env.ts';
import { type MountOptions, mountRoutes } from '../http/mount.ts';
import type { AttachmentService } from '../services/attachments.ts';

function idParam(c: Context<AppEnv>): string {
  const id = c.req.param('id') ?? '';
  if (!v.is(OpaqueIdSchema, id))
    throw new ParleyError(ErrorCode.BAD_ARGUMENT, 'Invalid attachment id', {
      path: 'id',
      reason: 'format',
    });
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

function caller(c: Context<AppEnv>) {
  const deviceId = c.get('deviceId');
  if (deviceId === undefined)
    throw new ParleyError(ErrorCode.AUTH_REQUIRED, 'A device signature is required');
  return { accountId: c.get('accountId'), deviceId };
}

export function attachmentRoutes(service: AttachmentService, mount: MountOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  mountRoutes(
    app,
    {
      attachmentCreate: (c, body) => service.create(caller(c), body),
      attachmentChunkPut: async (c, body) => {
        await service.putChunk(caller(c), idParam(c), indexParam(c), body);
        return null;
      },
      attachmentComplete: (c) => service.complete(caller(c), idParam(c)),
      attachmentInfo: (c) => service.info(idParam(c)),
      attachmentChunkGet: (c) => service.getChunk(idParam(c), indexParam(c)),
    },
    mount,
  );
  return app;
}
