/**
 * Builds a whole relay from a config: database (migrated), services, hub,
 * sweeper and the Hono app. main.ts adds only the runtime (Deno.serve,
 * signals, the WebSocket upgrade); tests call this with a temp database.
 */

import type { Hono } from 'hono';
import type { Bytes } from '../shared/bytes.ts';
import { systemRandom } from '../shared/crypto/random.ts';
import { REQUEST_MAX_SKEW_MS } from '../shared/wire/limits.ts';
import { createApp } from './app.ts';
import type { BlobStore } from './attachments/blob-store.ts';
import { openBlobStore } from './attachments/open.ts';
import { PasskeyService } from './auth/passkeys.ts';
import { createSessionTokens } from './auth/session-token.ts';
import type { RateLimit, RelayConfig } from './config.ts';
import { storedBytes } from './db/attachments.ts';
import { listRoutedDeviceIds } from './db/device-lists.ts';
import { type Database, filePathOf, openDatabase } from './db/open.ts';
import { queueDepth } from './db/queue.ts';
import { openQueueStore, type QueueStore } from './db/queue-store.ts';
import { Sweeper } from './expiry/sweeper.ts';
import type { Fanout } from './fanout/fanout.ts';
import { openFanout } from './fanout/open.ts';
import type { AppEnv } from './http/env.ts';
import type { RateLimiter } from './limits/rate-limiter.ts';
import { openLimiterStore } from './limits/store.ts';
import { createAudit } from './observability/audit.ts';
import type { Logger } from './observability/log.ts';
import { RelayMetrics } from './observability/metrics.ts';
import type { UpgradeWebSocket } from './routes/ws.ts';
import { AttachmentService, type AttachmentServiceDeps } from './services/attachments.ts';
import { BackupService } from './services/backups.ts';
import { DeviceListCache } from './services/device-list-cache.ts';
import { DeviceService } from './services/devices.ts';
import { LinkService } from './services/link.ts';
import { MessageService } from './services/messages.ts';
import { RecoveryWrapService } from './services/recovery-wraps.ts';
import { SendQuota } from './services/send-quota.ts';
import { Hub } from './ws/hub.ts';
import { encodeDeliver } from './ws/server-frames.ts';

export interface RelayOptions {
  readonly config: RelayConfig;
  readonly log: Logger;
  readonly now?: () => number;
  readonly random?: (n: number) => Bytes;
  readonly fanout?: Fanout;
  readonly upgradeWebSocket?: UpgradeWebSocket;
}

export interface Relay {
  readonly app: Hono<AppEnv>;
  readonly hub: Hub;
  readonly sweeper: Sweeper;
  readonly database: Database;
  readonly metrics: RelayMetrics;
  readonly devices: DeviceService;
  readonly messages: MessageService;
  readonly queue: QueueStore;
  readonly fanout: Fanout;
  /** Where attachment ciphertext lives: libsql (chunk rows) or s3. */
  readonly blobs: BlobStore;
  /** Where rate-limit buckets live: memory, redis or upstash. */
  readonly limiterStore: string;
  /** How instances signal each other: memory (single instance), redis or upstash. */
  readonly fanoutKind: string;
  /** Stops the hub (draining sockets), then closes fan-out and the database. */
  close(graceMs?: number): Promise<void>;
}

/** The attachment store the config names, the service on top, and the bytes-stored gauge. */
function createAttachments(
  config: RelayConfig,
  database: Database,
  metrics: RelayMetrics,
  deps: Pick<AttachmentServiceDeps, 'now' | 'random' | 'dailyBytes' | 'checkStorage'>,
): { blobs: BlobStore; attachments: AttachmentService } {
  metrics.attachmentBytesStored.collectWith(() => storedBytes(database.db));
  const blobs = openBlobStore(config.attachments, database.db);
  const attachments = new AttachmentService({
    ...deps,
    db: database.db,
    store: blobs,
    config: config.attachments,
    metrics,
  });
  return { blobs, attachments };
}

/** The limiters the HTTP routes and the WebSocket upgrade charge (docs/relay.md, "Limits"). */
function httpLimiters(
  limiter: (name: string, limit: RateLimit) => RateLimiter,
  limits: RelayConfig['rateLimits'],
) {
  return {
    httpPerIp: limiter('http', limits.httpPerIp),
    httpPerDevice: limiter('http-device', limits.httpPerDevice),
    passkeyPerIp: limiter('passkey', limits.passkeyPerIp),
    wsConnectPerIp: limiter('ws-connect', limits.wsConnectPerIp),
    attachmentChunksPerIp: limiter('attachment-chunks', limits.attachmentChunksPerIp),
    backupRequestsPerId: limiter('backup-requests', limits.backupRequestsPerId),
    backupUploadsPerIp: limiter('backup-uploads', limits.backupUploadsPerIp),
  };
}

export async function createRelay(options: RelayOptions): Promise<Relay> {
  const { config, log } = options;
  const now = options.now ?? (() => Date.now());
  const random = options.random ?? systemRandom;
  const database = await openDatabase({
    url: config.libsqlUrl,
    authToken: config.libsqlAuthToken,
    synchronous: config.sqliteSynchronous,
  });
  const metrics = new RelayMetrics();
  metrics.queueDepth.collectWith(() => queueDepth(database.db));
  const audit = createAudit(log, metrics);
  const opened =
    options.fanout === undefined
      ? await openFanout(config, log)
      : { fanout: options.fanout, kind: 'custom' };
  const fanout = opened.fanout;
  const limiterStore = await openLimiterStore(config, log, now);
  const limiter = (name: string, limit: RateLimit) => limiterStore.create(name, limit);
  const limits = config.rateLimits;
  const tokens = createSessionTokens(config.tokenSecret, config.sessionTokenTtlSeconds, now);
  const queue = openQueueStore(database.db, {
    filePath: filePathOf(config.libsqlUrl),
    synchronous: config.sqliteSynchronous,
  });
  const deviceLists = new DeviceListCache({
    load: (accountId) => listRoutedDeviceIds(database.db, accountId),
    now,
  });
  fanout.onDeviceListChanged((accountId) => deviceLists.invalidate(accountId));
  const devices = new DeviceService({
    db: database.db,
    fanout,
    bundleLimiter: limiter('bundles', limits.bundlesPerRequester),
    prekeyBudget: limiter('prekeys-per-target', limits.oneTimePrekeysPerTarget),
    now,
    onOneTimePrekeyMissing: (reason) => metrics.prekeysMissing.inc({ reason }),
    onDeviceListChanged: (accountId) => {
      deviceLists.invalidate(accountId);
      fanout.deviceListChanged(accountId).catch((error: unknown) =>
        log.warn('fanout.broadcast_failed', {
          error: error instanceof Error ? error.name : 'unknown',
        }),
      );
    },
  });
  const quota = new SendQuota({
    queue,
    now,
    bytesPerDevice: limiter('send-bytes', limits.sendBytesPerDevice),
    sendsPerRecipient: limiter('sends-per-recipient', limits.sendsPerRecipient),
    chargeInOrder: limiterStore.chargeInOrder,
    maxQueuedPerDevice: config.queueLimits.maxPerDevice,
    maxQueuedBytesPerDevice: config.queueLimits.maxBytesPerDevice,
    maxDatabaseBytes: config.queueLimits.maxDatabaseBytes,
  });
  const messages = new MessageService({
    db: database.db,
    queue,
    deviceLists,
    fanout,
    now,
    retentionMs: config.retentionSeconds * 1000,
    quota,
    encodeTransient: (d) => encodeDeliver(d),
  });
  const hub = new Hub({
    config,
    messages,
    devices,
    fanout,
    audit,
    log,
    metrics,
    now,
    random,
    frameLimiter: limiter('frames', limits.framesPerDevice),
    copyLimiter: limiter('copies', limits.copiesPerDevice),
    chargeInOrder: limiterStore.chargeInOrder,
  });
  const { blobs, attachments } = createAttachments(config, database, metrics, {
    now,
    random,
    dailyBytes: limiter('attachment-bytes', {
      limit: config.attachments.bytesPerDay,
      windowSeconds: 86_400,
    }),
    checkStorage: () => quota.checkStorage(),
  });
  const passkeys = new PasskeyService({ db: database.db, config, tokens, audit, now, random });
  const sweeper = new Sweeper({
    database,
    queue,
    log,
    metrics,
    now,
    blobs,
    unclaimedAccountMs: config.unclaimedAccountSeconds * 1000,
    backupIncompleteMs: config.backupIncompleteSeconds * 1000,
  });
  const app = createApp({
    config,
    database,
    passkeys,
    devices,
    attachments,
    link: new LinkService({ db: database.db, now, random }),
    backups: new BackupService({
      db: database.db,
      now,
      maxBytes: config.backupMaxBytes,
      incompleteMs: config.backupIncompleteSeconds * 1000,
    }),
    recoveryWraps: new RecoveryWrapService({ db: database.db, now }),
    tokens,
    replay: limiterStore.replayGuard(2 * REQUEST_MAX_SKEW_MS),
    hub,
    limiters: httpLimiters(limiter, limits),
    audit,
    log,
    metrics,
    now,
    upgradeWebSocket: options.upgradeWebSocket,
  });
  let closed = false;
  return {
    app,
    hub,
    sweeper,
    database,
    metrics,
    devices,
    messages,
    queue,
    fanout,
    blobs,
    limiterStore: limiterStore.kind,
    fanoutKind: opened.kind,
    async close(graceMs = config.shutdownGraceSeconds * 1000) {
      if (closed) return;
      closed = true;
      await hub.shutdown(graceMs);
      await fanout.close();
      await limiterStore.close();
      queue.close();
      database.close();
    },
  };
}
