/** /v1/devices, /v1/users, /v1/prekeys, /v1/handles, /v1/blocks: the device directory. */
import { type Context, Hono } from 'hono';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import { isDeviceId, isUserId } from '../../shared/wire/fields.ts';
import { isCanonicalHandle } from '../../shared/wire/handle.ts';
import type { AppEnv } from '../http/env.ts';
import { type MountOptions, mountRoutes } from '../http/mount.ts';
import type { DeviceService } from '../services/devices.ts';

function badParam(name: string): ParleyError {
  return new ParleyError(ErrorCode.BAD_ARGUMENT, `Invalid path parameter ${name}`, {
    path: name,
    reason: 'format',
  });
}

export function deviceParam(c: Context<AppEnv>, name = 'device'): number {
  const text = c.req.param(name) ?? '';
  const id = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!isDeviceId(id)) throw badParam(name);
  return id;
}

export function userParam(c: Context<AppEnv>, name = 'user'): string {
  const text = c.req.param(name) ?? '';
  if (!isUserId(text)) throw badParam(name);
  return text;
}

/**
 * The calling account, for per-requester limits: charged per account, not per
 * device, so registering more devices does not multiply the budget.
 */
function requester(c: Context<AppEnv>): string {
  return String(c.get('accountId'));
}

function callerDevice(c: Context<AppEnv>): number {
  const id = c.get('deviceId');
  if (id === undefined)
    throw new ParleyError(ErrorCode.AUTH_REQUIRED, 'A device signature is required');
  return id;
}

export function directoryRoutes(devices: DeviceService, mount: MountOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  mountRoutes(
    app,
    {
      ownDevices: (c) => devices.ownDevices(c.get('accountId')),
      registerDevice: (c, body) => devices.register(c.get('accountId'), body),
      removeDevice: async (c) => {
        await devices.removeUnlisted(c.get('accountId'), deviceParam(c));
        return null;
      },
      resetIdentity: (c, body) =>
        devices.resetIdentity(c.get('accountId'), body.registration, body.list),
      renameDevice: async (c, body) => {
        await devices.rename(c.get('accountId'), callerDevice(c), body.name);
        return null;
      },
      publishDeviceList: (c, body) => devices.publishDeviceList(c.get('accountId'), body.list),
      deviceList: (c, _body) => devices.deviceList(userParam(c), c.get('accountId')),
      bundles: (c) => devices.bundles(requester(c), userParam(c)),
      bundle: (c) => devices.bundles(requester(c), userParam(c), deviceParam(c)),
      prekeyStatus: (c) => devices.prekeyStatus(c.get('accountId'), callerDevice(c)),
      prekeyUpload: (c, body) => devices.uploadPrekeys(c.get('accountId'), callerDevice(c), body),
      lookupHandle: (c) => {
        const handle = c.req.param('handle') ?? '';
        if (!isCanonicalHandle(handle))
          throw new ParleyError(ErrorCode.HANDLE_INVALID, 'Handle is not canonical', {
            reason: 'format',
          });
        return devices.lookupHandle(handle);
      },
      blockList: (c) => devices.blockList(c.get('accountId')),
      block: async (c) => {
        await devices.block(c.get('accountId'), userParam(c));
        return null;
      },
      unblock: async (c) => {
        await devices.unblock(c.get('accountId'), userParam(c));
        return null;
      },
    },
    mount,
  );
  return app;
}
