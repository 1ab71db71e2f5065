/** /v1/keys: a device's own prekeys (device-signed requests). */
import { Hono, type MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { RefillBody, RotateBody } from '../http/rest-bodies-interim.ts';
import { body } from '../http/validate.ts';
import type { DeviceService } from '../services/devices.ts';

export interface KeyRoutesDeps {
  readonly devices: DeviceService;
  readonly maxBodyBytes: number;
  readonly device: MiddlewareHandler<AppEnv>;
}

export function keyRoutes(deps: KeyRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('*', deps.device);

  app.get('/', async (c) => {
    return c.json({
      oneTimePreKeys: await deps.devices.prekeyCount(c.get('accountId'), c.get('deviceId')),
    });
  });

  app.post('/one-time', async (c) => {
    const { oneTimePreKeys } = await body(c, RefillBody, deps.maxBodyBytes);
    return c.json(await deps.devices.refill(c.get('accountId'), c.get('deviceId'), oneTimePreKeys));
  });

  app.put('/signed', async (c) => {
    const { signedPreKey, kemPreKey } = await body(c, RotateBody, deps.maxBodyBytes);
    await deps.devices.rotate(c.get('accountId'), c.get('deviceId'), signedPreKey, kemPreKey);
    return c.body(null, 204);
  });

  return app;
}
