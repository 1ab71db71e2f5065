/**
 * `upload` routes (attachment chunk PUT, status, complete): `Authorization:
 * Bearer <uploadToken>` from the create response. Only the token's shape is
 * checked here; whether it belongs to the attachment is the service's
 * question, answered 404 on a mismatch so an id's existence never leaks.
 */
import type { MiddlewareHandler } from 'hono';
import * as v from 'valibot';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import { UploadTokenSchema } from '../../shared/wire/rest-attachments.ts';
import type { AppEnv } from './env.ts';

export function requireUploadToken(): MiddlewareHandler<AppEnv> {
  return async function uploadTokenAuth(c, next) {
    const header = c.req.header('authorization');
    if (header === undefined || !header.startsWith('Bearer '))
      throw new ParleyError(ErrorCode.AUTH_REQUIRED, 'An upload token is required');
    const token = header.slice('Bearer '.length).trim();
    if (!v.is(UploadTokenSchema, token))
      throw new ParleyError(ErrorCode.AUTH_FAILED, 'Upload token is malformed', {
        reason: 'token',
      });
    c.set('uploadToken', token);
    await next();
  };
}
