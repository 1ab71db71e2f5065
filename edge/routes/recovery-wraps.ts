/** /v1/recovery-wraps (docs/wire.md, "Recovery key wrapped by the passkey"). */
import { type Context, Hono } from 'hono';
import * as v from 'valibot';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import { CredentialIdSchema } from '../../shared/wire/rest-recovery-wraps.ts';
import type { AppEnv } from '../http/env.ts';
import { type MountOptions, mountRoutes } from '../http/mount.ts';
import type { RecoveryWrapService } from '../services/recovery-wraps.ts';

function credentialParam(c: Context<AppEnv>): string {
  const text = c.req.param('credential') ?? '';
  if (!v.is(CredentialIdSchema, text))
    throw new ParleyError(ErrorCode.BAD_ARGUMENT, 'Invalid path parameter credential', {
      path: 'credential',
      reason: 'format',
    });
  return text;
}

export function recoveryWrapRoutes(
  service: RecoveryWrapService,
  mount: MountOptions,
): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  mountRoutes(
    app,
    {
      recoveryWrapPut: async (c, body) => {
        await service.put(c.get('accountId'), credentialParam(c), body.wrapped);
        return null;
      },
      recoveryWrapGet: (c) => service.get(c.get('accountId'), credentialParam(c)),
      recoveryWrapDelete: async (c) => {
        await service.delete(c.get('accountId'), credentialParam(c));
        return null;
      },
      recoveryWrapsDelete: async (c) => {
        await service.delete(c.get('accountId'));
        return null;
      },
    },
    mount,
  );
  return app;
}
