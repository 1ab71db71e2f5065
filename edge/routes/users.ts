/** /v1/users: the directory a device reads before sending (device-signed requests). */
import { Hono, type MiddlewareHandler } from 'hono';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import { isUserId } from '../../shared/wire/fields.ts';
import { normalizeHandle } from '../../shared/wire/handle.ts';
import type { AppEnv } from '../http/env.ts';
import { bundlesJson, directoryJson } from '../http/json.ts';
import { BundlesBody } from '../http/rest-bodies-interim.ts';
import { body } from '../http/validate.ts';
import type { DeviceService } from '../services/devices.ts';

export interface UserRoutesDeps {
  readonly devices: DeviceService;
  readonly maxBodyBytes: number;
  readonly device: MiddlewareHandler<AppEnv>;
}

function userIdParam(text: string): string {
  if (!isUserId(text))
    throw new ParleyError(ErrorCode.BAD_ARGUMENT, 'Invalid user id', {
      path: 'userId',
      reason: 'regex',
    });
  return text;
}

export function userRoutes(deps: UserRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('*', deps.device);

  app.get('/by-handle/:handle', async (c) => {
    return c.json(await deps.devices.lookupHandle(normalizeHandle(c.req.param('handle'))));
  });

  app.get('/:userId/devices', async (c) => {
    return c.json(directoryJson(await deps.devices.directory(userIdParam(c.req.param('userId')))));
  });

  /** POST because it consumes one-time prekeys. */
  app.post('/:userId/bundles', async (c) => {
    const { devices } = await body(c, BundlesBody, deps.maxBodyBytes);
    const requester = `${c.get('accountId')}/${c.get('deviceId')}`;
    const set = await deps.devices.bundles(requester, userIdParam(c.req.param('userId')), devices);
    return c.json(bundlesJson(set));
  });

  return app;
}
