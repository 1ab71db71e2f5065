/**
 * Audit trail for rejected authentication: every failed passkey ceremony,
 * device signature or socket challenge is written as one structured event and
 * counted, so brute force and replay attempts are visible to operators.
 * Events carry who and why (ids, codes, IP), never the presented secrets.
 */
import type { Logger } from './log.ts';
import type { RelayMetrics } from './metrics.ts';

export type AuthKind =
  | 'passkey-register'
  | 'passkey-login'
  | 'session-token'
  | 'device-request'
  | 'management-request'
  | 'ws-auth'
  | 'ws-unlock'
  | 'backup-request';

export interface AuthFailure {
  readonly kind: AuthKind;
  readonly code: string;
  readonly ip?: string | undefined;
  readonly accountId?: string | undefined;
  readonly deviceId?: number | undefined;
  readonly handle?: string | undefined;
}

export interface Audit {
  authFailure(event: AuthFailure): void;
}

export function createAudit(log: Logger, metrics: RelayMetrics): Audit {
  return {
    authFailure(event) {
      metrics.authFailures.inc({ kind: event.kind, code: event.code });
      metrics.rejections.inc({ code: event.code });
      log.warn('audit.auth_rejected', {
        audit: true,
        kind: event.kind,
        code: event.code,
        ip: event.ip,
        accountId: event.accountId,
        deviceId: event.deviceId,
        handle: event.handle,
      });
    },
  };
}
