/**
 * requireBackupSignature: a request to the backup store signed by a backup
 * auth key (shared/wire/backup-request.ts). This middleware proves only that
 * the key in the header signed this exact request, recently and once; the
 * backup service then checks that the key is the one pinned to the backup id
 * in the path (or pins it on the first upload). No account is involved:
 * nothing here links a backup to who made it (docs/relay.md, "Backups").
 * Every rejection is audited.
 */
import type { MiddlewareHandler } from 'hono';
import { toBase64Url } from '../../shared/bytes.ts';
import { ErrorCode, isParleyError, ParleyError } from '../../shared/errors.ts';
import {
  type BackupRequestAuth,
  parseBackupAuthorization,
  verifyBackupRequest,
} from '../../shared/wire/backup-request.ts';
import { checkRequestTime } from '../../shared/wire/device-request.ts';
import type { ReplayGuard } from '../auth/replay-cache.ts';
import type { Audit } from '../observability/audit.ts';
import { requestBody } from './body-limit.ts';
import { AuthFailure } from './codes.ts';
import type { AppEnv } from './env.ts';

export interface BackupAuthDeps {
  readonly replay: ReplayGuard;
  readonly audit: Audit;
  readonly now: () => number;
  /** Cap for a body not yet read by the route (raw chunk uploads). */
  readonly maxBodyBytes: number;
}

export function requireBackupSignature(deps: BackupAuthDeps): MiddlewareHandler<AppEnv> {
  return async function backupAuth(c, next) {
    const header = c.req.header('authorization');
    if (header === undefined)
      throw new ParleyError(ErrorCode.AUTH_REQUIRED, 'A backup key signature is required');
    const ip = c.get('ip');
    const reject = (code: string, reason: string, message: string): never => {
      deps.audit.authFailure({ kind: 'backup-request', code: `${code}:${reason}`, ip });
      throw new ParleyError(code, message, code === ErrorCode.AUTH_FAILED ? { reason } : undefined);
    };
    let parsed: BackupRequestAuth;
    try {
      parsed = parseBackupAuthorization(header);
    } catch (error) {
      if (isParleyError(error)) reject(error.code, 'header', error.message);
      throw error;
    }
    const now = deps.now();
    try {
      checkRequestTime(parsed.ts, now);
    } catch (error) {
      if (isParleyError(error)) reject(error.code, 'clock', error.message);
      throw error;
    }
    const body = await requestBody(c, deps.maxBodyBytes);
    const url = new URL(c.req.url);
    const ok = await verifyBackupRequest(parsed, {
      method: c.req.method,
      path: url.pathname + url.search,
      body,
    });
    if (!ok) reject(ErrorCode.AUTH_FAILED, AuthFailure.SIGNATURE, 'Signature does not verify');
    if (!(await deps.replay.claim(toBase64Url(parsed.signature), now)))
      reject(ErrorCode.REQUEST_REPLAYED, 'replay', 'Request was already used');
    c.set('backupKey', parsed.key);
    await next();
  };
}
