/**
 * /v1/backups (docs/wire.md, "Backups"): every route is signed by a backup
 * auth key (requireBackupSignature); the service checks the key against the
 * one pinned to the backup id in the path.
 */
import { type Context, Hono } from 'hono';
import * as v from 'valibot';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import { BACKUP_MAX_CHUNKS } from '../../shared/wire/limits.ts';
import { BackupIdSchema, SnapshotSeqSchema } from '../../shared/wire/rest-backups.ts';
import { parseRange, rangeResponse } from '../attachments/range.ts';
import type { AppEnv } from '../http/env.ts';
import { type MountOptions, mountRoutes } from '../http/mount.ts';
import type { BackupCaller, BackupService } from '../services/backups.ts';

function caller(c: Context<AppEnv>): BackupCaller {
  const key = c.get('backupKey');
  if (key === undefined)
    throw new ParleyError(ErrorCode.AUTH_REQUIRED, 'A backup key signature is required');
  const backupId = c.req.param('backupId') ?? '';
  // A malformed id is as absent as an unknown one.
  if (!v.is(BackupIdSchema, backupId))
    throw new ParleyError(ErrorCode.NOT_FOUND, 'No such backup', { what: 'backup' });
  return { backupId, key };
}

function seqParam(c: Context<AppEnv>): number {
  const text = c.req.param('seq') ?? '';
  const seq = /^[1-9]\d{0,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!v.is(SnapshotSeqSchema, seq))
    throw new ParleyError(ErrorCode.NOT_FOUND, 'No such snapshot', { what: 'snapshot' });
  return seq;
}

function indexParam(c: Context<AppEnv>): number {
  const text = c.req.param('index') ?? '';
  const index = /^\d{1,7}$/.test(text) ? Number(text) : Number.NaN;
  if (!(index >= 0 && index < BACKUP_MAX_CHUNKS))
    throw new ParleyError(ErrorCode.BODY_INVALID, 'Chunk index out of range', { path: 'index' });
  return index;
}

async function chunkGet(c: Context<AppEnv>, service: BackupService): Promise<Response> {
  const header = c.req.header('range');
  const { data, length, range } = await service.getChunk(
    caller(c),
    seqParam(c),
    indexParam(c),
    (n) => parseRange(header, n),
  );
  return rangeResponse(data, length, range);
}

export function backupRoutes(service: BackupService, mount: MountOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  mountRoutes(
    app,
    {
      backupStart: (c, body) => service.start(caller(c), body.seq),
      backupChunkPut: async (c, read) => {
        await service.putChunk(caller(c), seqParam(c), indexParam(c), read);
        return null;
      },
      backupComplete: (c) => service.complete(caller(c), seqParam(c)),
      backupList: (c) => service.list(caller(c)),
      backupChunkGet: (c) => chunkGet(c, service),
      backupDelete: async (c) => {
        await service.deleteAll(caller(c));
        return null;
      },
    },
    mount,
  );
  return app;
}
