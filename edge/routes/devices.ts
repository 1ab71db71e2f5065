/** /v1/devices: register and remove devices of the session's account. */
import { Hono, type MiddlewareHandler } from 'hono';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import { isDeviceId } from '../../shared/wire/fields.ts';
import type { AppEnv } from '../http/env.ts';
import { RegisterDeviceBody } from '../http/rest-bodies-interim.ts';
import { body } from '../http/validate.ts';
import type { DeviceService } from '../services/devices.ts';

export interface DeviceRoutesDeps {
  readonly devices: DeviceService;
  readonly maxBodyBytes: number;
  readonly session: MiddlewareHandler<AppEnv>;
}

export function deviceIdParam(text: string): number {
  const id = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!isDeviceId(id))
    throw new ParleyError(ErrorCode.BAD_ARGUMENT, 'Invalid device id', {
      path: 'deviceId',
      reason: 'range',
    });
  return id;
}

export function deviceRoutes(deps: DeviceRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('*', deps.session);

  app.post('/', async (c) => {
    const reg = await body(c, RegisterDeviceBody, deps.maxBodyBytes);
    const result = await deps.devices.register(c.get('accountId'), reg);
    return c.json({ userId: c.get('accountId'), ...result }, 201);
  });

  app.delete('/:deviceId', async (c) => {
    await deps.devices.remove(c.get('accountId'), deviceIdParam(c.req.param('deviceId')));
    return c.body(null, 204);
  });

  return app;
}
