/**
 * createApp(deps) -> Hono: every HTTP route of the relay, built from injected
 * services. Tests drive it in-process with `app.request()`; main.ts serves it.
 */

import type { MiddlewareHandler } from 'hono';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { ErrorCode, ParleyError } from '../shared/errors.ts';
import { ATTACHMENT_CHUNK_BYTES, BACKUP_CHUNK_BYTES } from '../shared/wire/limits.ts';
import type { PasskeyService } from './auth/passkeys.ts';
import type { ReplayGuard } from './auth/replay-cache.ts';
import type { SessionTokens } from './auth/session-token.ts';
import type { RelayConfig } from './config.ts';
import type { Database } from './db/open.ts';
import { requireDevice, requireEither, requireSession } from './http/auth.ts';
import { requireBackupSignature } from './http/backup-auth.ts';
import type { AppEnv } from './http/env.ts';
import { createErrorHandler, respondWithError } from './http/errors.ts';
import { type MountOptions, mountedRoutes } from './http/mount.ts';
import { requireUploadToken } from './http/upload-auth.ts';
import { rateLimit } from './limits/middleware.ts';
import type { RateLimiter } from './limits/rate-limiter.ts';
import type { Audit } from './observability/audit.ts';
import type { Logger } from './observability/log.ts';
import type { RelayMetrics } from './observability/metrics.ts';
import { attachmentRoutes } from './routes/attachments.ts';
import { authRoutes } from './routes/auth.ts';
import { backupRoutes } from './routes/backups.ts';
import { directoryRoutes } from './routes/devices.ts';
import { healthRoutes } from './routes/health.ts';
import { linkRoutes } from './routes/link.ts';
import { openApiRoutes } from './routes/openapi.ts';
import { recoveryWrapRoutes } from './routes/recovery-wraps.ts';
import { type UpgradeWebSocket, wsRoutes } from './routes/ws.ts';
import type { AttachmentService } from './services/attachments.ts';
import type { BackupService } from './services/backups.ts';
import type { DeviceService } from './services/devices.ts';
import type { LinkService } from './services/link.ts';
import type { RecoveryWrapService } from './services/recovery-wraps.ts';
import type { Hub } from './ws/hub.ts';

export interface Limiters {
  readonly httpPerIp: RateLimiter;
  readonly httpPerDevice: RateLimiter;
  readonly passkeyPerIp: RateLimiter;
  readonly wsConnectPerIp: RateLimiter;
  readonly attachmentChunksPerIp: RateLimiter;
  readonly backupRequestsPerId: RateLimiter;
  readonly backupUploadsPerIp: RateLimiter;
}

/**
 * Attachment chunk transfers and public info reads: a 500 MB file is 500
 * chunk requests, so they have their own per-IP budget instead of the
 * general HTTP one (docs/relay.md, "Attachments").
 */
const ATTACHMENT_TRANSFER_PATH = /^\/v1\/attachments\/[^/]+(\/chunks\/[^/]+)?$/;

function isAttachmentTransfer(method: string, path: string): boolean {
  if (!ATTACHMENT_TRANSFER_PATH.test(path)) return false;
  return method === 'GET' || method === 'HEAD' || (method === 'PUT' && path.includes('/chunks/'));
}

export interface AppDeps {
  readonly config: RelayConfig;
  readonly database: Database;
  readonly passkeys: PasskeyService;
  readonly devices: DeviceService;
  readonly attachments: AttachmentService;
  readonly link: LinkService;
  readonly backups: BackupService;
  readonly recoveryWraps: RecoveryWrapService;
  readonly tokens: SessionTokens;
  readonly replay: ReplayGuard;
  readonly hub: Hub;
  readonly limiters: Limiters;
  readonly audit: Audit;
  readonly log: Logger;
  readonly metrics: RelayMetrics;
  readonly now: () => number;
  readonly upgradeWebSocket?: UpgradeWebSocket | undefined;
}

/** The runtime passes the peer address as `env.remoteAddr` (see main.ts). */
export interface ServeEnv {
  readonly remoteAddr?: { readonly hostname?: string };
}

/**
 * The peer address, or behind `hops` trusted proxies the X-Forwarded-For entry
 * the outermost trusted proxy appended: each proxy appends the address it was
 * connected from, so only the right-most `hops` entries are trustworthy and
 * everything further left is whatever the client sent. A header with fewer
 * entries than hops did not pass through all the proxies: the peer address is
 * used (a request that bypassed the proxies is limited as the proxy itself).
 */
export function clientIp(
  forwardedFor: string | undefined,
  peer: string | undefined,
  hops: number,
): string {
  const direct = peer ?? 'unknown';
  if (hops <= 0 || forwardedFor === undefined) return direct;
  const entries = forwardedFor.split(',').map((s) => s.trim());
  const entry = entries.length >= hops ? entries[entries.length - hops] : undefined;
  return entry === undefined || entry === '' ? direct : entry;
}

/**
 * A restore's "is another device alive?" (GET /v1/devices) shares the backup budget, counted per
 * account: a session names the account, never a backup id (docs/wire.md, "Own devices").
 */
function perAccountBackupBudget(limiter: RateLimiter): MiddlewareHandler<AppEnv> {
  return rateLimit(limiter, (c) => `account:${c.get('accountId')}`, 'backup');
}

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const { config, metrics, log } = deps;
  const app = new Hono<AppEnv>();
  app.onError(createErrorHandler(log, metrics));
  app.notFound((c) =>
    respondWithError(c, new ParleyError(ErrorCode.NOT_FOUND, 'No such route'), metrics),
  );

  app.use('*', async function observe(c, next) {
    c.set(
      'ip',
      clientIp(
        c.req.header('x-forwarded-for'),
        (c.env as ServeEnv | undefined)?.remoteAddr?.hostname,
        config.trustProxyHops,
      ),
    );
    await next();
    metrics.httpRequests.inc({ route: c.req.routePath, status: String(c.res.status) });
  });

  app.route('/', healthRoutes(deps.database, deps.hub, metrics));

  // REST only: CORS headers and the per-IP budget must not touch the WebSocket upgrade.
  const perIp = rateLimit(deps.limiters.httpPerIp, (c) => c.get('ip'), 'http');
  // Extension pages fetch attachment chunks directly: Range goes out, Content-Range comes back.
  const restCors = cors({
    origin: [...config.allowedOrigins],
    allowHeaders: ['authorization', 'content-type', 'range'],
    exposeHeaders: ['content-range', 'content-length', 'accept-ranges', 'retry-after'],
    maxAge: 600,
  });
  app.use('/v1/*', async function restOnly(c, next) {
    if (c.req.path === '/v1/ws') return next();
    if (isAttachmentTransfer(c.req.method, c.req.path)) return restCors(c, next);
    return restCors(c, async () => {
      await perIp(c, next);
    });
  });
  const attachmentTransfers = rateLimit(
    deps.limiters.attachmentChunksPerIp,
    (c) => c.get('ip'),
    'attachment',
  );

  const session = requireSession(deps.tokens, deps.audit);
  const device = requireDevice({
    deviceKey: (a, d) => deps.devices.deviceKey(a, d),
    replay: deps.replay,
    audit: deps.audit,
    now: deps.now,
    maxBodyBytes: config.maxBodyBytes,
  });
  // Same header shape, but the identity key must have signed (docs/wire.md, "Authentication").
  const manager = requireDevice(
    {
      deviceKey: (a, d) => deps.devices.managementKey(a, d),
      replay: deps.replay,
      audit: deps.audit,
      now: deps.now,
      maxBodyBytes: config.maxBodyBytes,
    },
    'management',
  );
  const ceremonyLimit = rateLimit(deps.limiters.passkeyPerIp, (c) => c.get('ip'), 'passkey');
  // Runs after requireDevice has established who is asking.
  const perDevice = rateLimit(
    deps.limiters.httpPerDevice,
    (c) => `${c.get('accountId')}/${c.get('deviceId')}`,
    'device',
  );
  const deviceThenLimit: MiddlewareHandler<AppEnv> = async function deviceWithLimit(c, next) {
    await device(c, async () => {
      await perDevice(c, next);
    });
  };
  const managerThenLimit: MiddlewareHandler<AppEnv> = async function managerWithLimit(c, next) {
    await manager(c, async () => {
      await perDevice(c, next);
    });
  };
  // Backups name no account: the signature proves the key (the service checks it is the pinned
  // one), then the limit counts per backup id, as device requests count per device.
  const backupAuth = requireBackupSignature({
    replay: deps.replay,
    audit: deps.audit,
    now: deps.now,
    maxBodyBytes: BACKUP_CHUNK_BYTES,
  });
  const perBackup = rateLimit(
    deps.limiters.backupRequestsPerId,
    (c) => c.req.param('backupId') ?? '',
    'backup',
  );
  const backupUploads = rateLimit(
    deps.limiters.backupUploadsPerIp,
    (c) => c.get('ip'),
    'backup-upload',
  );
  const mount: MountOptions = {
    auth: {
      none: [],
      session: [session],
      device: [deviceThenLimit],
      either: [requireEither(session, deviceThenLimit)],
      management: [managerThenLimit],
      'session-or-management': [requireEither(session, managerThenLimit)],
      upload: [requireUploadToken()],
      backup: [backupAuth, perBackup],
    },
    extra: {
      registerOptions: [ceremonyLimit],
      loginOptions: [ceremonyLimit],
      passkeyOptions: [ceremonyLimit],
      attachmentChunkPut: [attachmentTransfers],
      attachmentChunkGet: [attachmentTransfers],
      attachmentInfo: [attachmentTransfers],
      // Anonymous rendezvous: opening one, finding one by locator and striking
      // share the ceremony budget, so locators cannot be scanned quickly.
      linkCreate: [ceremonyLimit],
      linkFind: [ceremonyLimit],
      linkStrike: [ceremonyLimit],
      backupStart: [backupUploads],
      ownDevices: [perAccountBackupBudget(deps.limiters.backupRequestsPerId)],
    },
    maxBodyBytes: config.maxBodyBytes,
    maxRawBodyBytes: ATTACHMENT_CHUNK_BYTES,
  };
  app.route('/', authRoutes(deps.passkeys, mount));
  app.route('/', directoryRoutes(deps.devices, mount));
  app.route('/', attachmentRoutes(deps.attachments, mount));
  app.route('/', linkRoutes(deps.link, mount));
  app.route('/', backupRoutes(deps.backups, mount));
  app.route('/', recoveryWrapRoutes(deps.recoveryWraps, mount));
  app.route('/', openApiRoutes(mountedRoutes));
  app.route(
    '/v1/ws',
    wsRoutes({
      hub: deps.hub,
      upgrade: deps.upgradeWebSocket,
      connectLimiter: deps.limiters.wsConnectPerIp,
    }),
  );
  return app;
}
