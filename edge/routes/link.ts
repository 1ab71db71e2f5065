/** /v1/link: the anonymous linking rendezvous (services/link.ts). */
import { type Context, Hono } from 'hono';
import * as v from 'valibot';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import { LINK_MESSAGES_PER_SIDE } from '../../shared/wire/limits.ts';
import {
  isLocator,
  type LinkSide,
  LinkSideSchema,
  RendezvousIdSchema,
} from '../../shared/wire/rest-link.ts';
import type { AppEnv } from '../http/env.ts';
import { type MountOptions, mountRoutes } from '../http/mount.ts';
import type { LinkService } from '../services/link.ts';

function badParam(name: string): ParleyError {
  return new ParleyError(ErrorCode.BAD_ARGUMENT, `Invalid path parameter ${name}`, {
    path: name,
    reason: 'format',
  });
}

function ridParam(c: Context<AppEnv>): string {
  const rid = c.req.param('rid') ?? '';
  if (!v.is(RendezvousIdSchema, rid)) throw badParam('rid');
  return rid;
}

function sideParam(c: Context<AppEnv>): LinkSide {
  const side = c.req.param('side') ?? '';
  if (!v.is(LinkSideSchema, side)) throw badParam('side');
  return side;
}

function afterParam(c: Context<AppEnv>): number {
  const text = c.req.param('after') ?? '';
  const after = /^\d{1,3}$/.test(text) ? Number(text) : Number.NaN;
  if (!(after >= 0 && after <= LINK_MESSAGES_PER_SIDE)) throw badParam('after');
  return after;
}

export function linkRoutes(service: LinkService, mount: MountOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  mountRoutes(
    app,
    {
      linkCreate: () => service.create(),
      linkFind: (c) => {
        const locator = c.req.param('locator') ?? '';
        if (!isLocator(locator)) throw badParam('locator');
        return service.find(locator);
      },
      linkPost: (c, body) => service.post(ridParam(c), sideParam(c), body.body),
      linkRead: (c) => service.read(ridParam(c), sideParam(c), afterParam(c)),
      linkStrike: (c) => service.strike(ridParam(c)),
      linkClose: async (c) => {
        await service.close(ridParam(c));
        return null;
      },
    },
    mount,
  );
  return app;
}
