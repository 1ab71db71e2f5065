/**
 * The relay's configuration: the environment parsed once, at start, into a
 * typed, frozen object. Nothing else reads the environment (main.ts passes it
 * in), so tests build configs from plain objects.
 */

import { toHex } from '../shared/bytes.ts';
import {
  AUTH_TIMEOUT_MS,
  BACKUP_CHUNK_BYTES,
  BACKUP_DEFAULT_MAX_BYTES,
  BACKUP_INCOMPLETE_MS,
  BACKUP_MAX_BYTES,
  FRAME_ERROR_BUDGET,
  IDLE_TIMEOUT_MS,
  MESSAGE_RETENTION_MS,
  PASSKEY_CHALLENGE_TTL_MS,
  RATE_LIMITS,
  REST_BODY_MAX_BYTES,
  SESSION_TOKEN_TTL_MS,
} from '../shared/wire/limits.ts';
import { type AttachmentConfig, parseAttachmentConfig } from './attachments/config.ts';
import { ConfigError, type Env, int, optional, str } from './config-values.ts';

export { ConfigError, type Env } from './config-values.ts';

/** The project's extension id, pinned by the manifest `key` (extension/manifest-key.json). */
export const EXTENSION_ID = 'bmdomknieihcmbmhfmajogfncjkidlbh';
export const EXTENSION_ORIGIN = `chrome-extension://${EXTENSION_ID}`;

export interface RateLimit {
  readonly limit: number;
  readonly windowSeconds: number;
}

/** Every limit is "limit per window"; env values are written `limit/windowSeconds`, e.g. `600/60`. */
export interface RateLimitConfig {
  /** Every HTTP request, per client IP. */
  readonly httpPerIp: RateLimit;
  /** Device-signed REST requests, per device (wherever it connects from). */
  readonly httpPerDevice: RateLimit;
  /** Passkey ceremony starts, per client IP. */
  readonly passkeyPerIp: RateLimit;
  /** WebSocket upgrades, per client IP. */
  readonly wsConnectPerIp: RateLimit;
  /** Frames of any type, per authenticated device (unauthenticated: per socket). */
  readonly framesPerDevice: RateLimit;
  /** Device copies written by `send` frames, per sending device. */
  readonly copiesPerDevice: RateLimit;
  /** Transient copies pushed to one recipient socket (counted on that socket; the rest are dropped). */
  readonly transientPerRecipient: RateLimit;
  /** Prekey bundles handed out, per requesting account (against prekey exhaustion). */
  readonly bundlesPerRequester: RateLimit;
  /** One-time prekeys handed out per target device, across all requesters. */
  readonly oneTimePrekeysPerTarget: RateLimit;
  /** Attachment chunk PUTs and GETs and info reads, per client IP (instead of the HTTP budget). */
  readonly attachmentChunksPerIp: RateLimit;
  /** Bytes written to the queue by `send` frames, per sending device (a shared body once). */
  readonly sendBytesPerDevice: RateLimit;
  /** Stored sends per (sender account, recipient account): the relay cannot tell contacts apart. */
  readonly sendsPerRecipient: RateLimit;
  /** Backup requests of any route, per backup id (docs/relay.md, "Backups"). */
  readonly backupRequestsPerId: RateLimit;
  /** Snapshot uploads started, per client IP: what bounds new backup ids. */
  readonly backupUploadsPerIp: RateLimit;
}

/** Storage caps of the delivery queue (docs/relay.md, "Limits and abuse"). */
export interface QueueLimits {
  /** Queued copies per recipient device. */
  readonly maxPerDevice: number;
  /** Queued body bytes per recipient device. */
  readonly maxBytesPerDevice: number;
  /** Database bytes in use above which stored sends are refused (0: no watermark). */
  readonly maxDatabaseBytes: number;
}

export interface RelayConfig {
  readonly host: string;
  readonly port: number;
  readonly libsqlUrl: string;
  readonly libsqlAuthToken: string | undefined;
  /** WebAuthn relying party ids accepted in assertions (rpIdHash); the first is the default. */
  readonly rpIds: readonly string[];
  readonly rpName: string;
  /** Origins accepted in clientDataJSON. */
  readonly allowedOrigins: readonly string[];
  /** HMAC secret for session tokens; random per start unless TOKEN_SECRET is set. */
  readonly tokenSecret: Uint8Array;
  readonly tokenSecretIsEphemeral: boolean;
  readonly sessionTokenTtlSeconds: number;
  readonly challengeTtlSeconds: number;
  readonly retentionSeconds: number;
  readonly sweepIntervalSeconds: number;
  /** An account that registers no device within this long is deleted by the sweeper (its handle freed). */
  readonly unclaimedAccountSeconds: number;
  /**
   * File databases: how often the write-ahead log is checkpointed and truncated,
   * so acknowledged (deleted) ciphertext does not linger in old WAL page images.
   */
  readonly walCheckpointSeconds: number;
  /** A socket that sends nothing (not even a ping) for this long is closed. */
  readonly wsIdleTimeoutSeconds: number;
  /** Time allowed between upgrade and a valid auth frame. */
  readonly wsAuthTimeoutSeconds: number;
  /** Rejected frames tolerated per socket before it is closed with 1008. */
  readonly wsErrorBudget: number;
  /**
   * Sockets upgraded but not yet authenticated, per client IP and in total.
   * Deno buffers up to 64 MiB of one incoming message before the relay can
   * look at it, so these caps bound how much an anonymous client can make it hold.
   */
  readonly wsPreauthPerIp: number;
  readonly wsPreauthTotal: number;
  /** A socket whose send buffer stays above the back-pressure mark this long is closed (4003). */
  readonly wsSlowSocketSeconds: number;
  readonly maxBodyBytes: number;
  /** SQLite `synchronous` for file databases: NORMAL (default) survives process crashes; FULL also power loss. */
  readonly sqliteSynchronous: 'FULL' | 'NORMAL';
  /**
   * What serves HTTP and sockets: `deno` (Deno.serve, the default; the only one on Deno
   * Deploy) or `node` (node:http with the `ws` package, for self-hosting: it refuses a socket
   * message over FRAME_MAX_BYTES from its header, before buffering it; edge/http/node-server.ts).
   */
  readonly httpServer: 'deno' | 'node';
  readonly rateLimits: RateLimitConfig;
  readonly queueLimits: QueueLimits;
  /** Attachment limits, retention and where the ciphertext is stored (docs/relay.md, "Attachments"). */
  readonly attachments: AttachmentConfig;
  /** The largest backup snapshot stored (docs/relay.md, "Backups"). */
  readonly backupMaxBytes: number;
  /** A backup upload not completed this long after its start is refused and swept. */
  readonly backupIncompleteSeconds: number;
  readonly redisUrl: string | undefined;
  readonly upstashRestUrl: string | undefined;
  readonly upstashRestToken: string | undefined;
  /** Names this instance in logs and in cross-instance fan-out (must be unique per running instance). */
  readonly instanceId: string;
  /** With Redis/Upstash fan-out: every connected device re-reads its queue this often (lost-publish safety net). */
  readonly fanoutPollSeconds: number;
  /**
   * How many reverse proxies you control stand in front of the relay (TRUST_PROXY: a hop
   * count, `true` = 1, `false`/unset = 0). The client IP is the X-Forwarded-For entry the
   * outermost of them appended: the `trustProxyHops`-th from the right. Anything to the left
   * of it was written by the client and is never used.
   */
  readonly trustProxyHops: number;
  readonly logLevel: LogLevel;
  /** Seconds allowed for in-flight work on SIGINT/SIGTERM before sockets are cut. */
  readonly shutdownGraceSeconds: number;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

function list(env: Env, name: string, fallback: readonly string[]): readonly string[] {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new ConfigError(`${name}: expected a comma-separated list`);
  return items;
}

function rate(
  env: Env,
  name: string,
  fallback: { readonly limit: number; readonly windowMs: number },
): RateLimit {
  const raw = optional(env, name);
  if (raw === undefined)
    return {
      limit: fallback.limit,
      windowSeconds: Math.max(1, Math.round(fallback.windowMs / 1000)),
    };
  const match = /^(\d+)\/(\d+)$/.exec(raw);
  const limit = Number(match?.[1] ?? Number.NaN);
  const windowSeconds = Number(match?.[2] ?? Number.NaN);
  if (!(limit >= 1 && windowSeconds >= 1)) {
    throw new ConfigError(`${name}: expected "limit/windowSeconds" with both >= 1, got "${raw}"`);
  }
  return { limit, windowSeconds };
}

/**
 * NORMAL by default: in WAL mode a commit survives a process crash (kill -9)
 * either way; FULL also survives power loss of the machine, at an fsync per
 * commit (about 5 ms on this project's test machine, a 3x throughput cost).
 */
function sync(env: Env): 'FULL' | 'NORMAL' {
  const value = str(env, 'SQLITE_SYNCHRONOUS', 'NORMAL').toUpperCase();
  if (value !== 'FULL' && value !== 'NORMAL')
    throw new ConfigError('SQLITE_SYNCHRONOUS: expected FULL or NORMAL');
  return value;
}

function httpServer(env: Env): 'deno' | 'node' {
  const value = str(env, 'HTTP_SERVER', 'deno').toLowerCase();
  if (value !== 'deno' && value !== 'node')
    throw new ConfigError('HTTP_SERVER: expected deno or node');
  return value;
}

function decodeSecret(raw: string): Uint8Array {
  const bytes = new TextEncoder().encode(raw);
  if (bytes.length < 32) throw new ConfigError('TOKEN_SECRET: expected at least 32 bytes');
  return bytes;
}

/** TRUST_PROXY: `false`/`0` (default), `true` (one proxy), or a number of proxy hops. */
function proxyHops(env: Env): number {
  const raw = str(env, 'TRUST_PROXY', 'false').toLowerCase();
  if (raw === 'false') return 0;
  if (raw === 'true') return 1;
  if (!/^\d+$/.test(raw) || Number(raw) > 16)
    throw new ConfigError(`TRUST_PROXY: expected true, false or a hop count 0..16, got "${raw}"`);
  return Number(raw);
}

const MiB = 1024 * 1024;

/**
 * LIBSQL_URL decides the driver (edge/db/open.ts): a typo'd scheme would
 * otherwise surface as a driver error deep in the first query. Turso
 * (`libsql:`) always wants a token; a self-hosted sqld over http(s)/ws(s) may
 * run without one, so only `libsql:` makes LIBSQL_AUTH_TOKEN required.
 */
function libsqlUrl(env: Env): string {
  const url = str(env, 'LIBSQL_URL', 'file:./data/parley.db');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined || !['file', 'libsql', 'https', 'http', 'wss', 'ws'].includes(scheme))
    throw new ConfigError(
      `LIBSQL_URL: expected a file:, libsql:, https: or wss: URL, got "${scheme ?? url}"`,
    );
  if (scheme === 'libsql' && optional(env, 'LIBSQL_AUTH_TOKEN') === undefined)
    throw new ConfigError('LIBSQL_AUTH_TOKEN: required with a libsql: (Turso) LIBSQL_URL');
  return url;
}

/** Both halves of the Upstash REST pair, or neither: one alone silently meant "no fan-out". */
function upstashPair(env: Env): void {
  const url = optional(env, 'UPSTASH_REDIS_REST_URL');
  const token = optional(env, 'UPSTASH_REDIS_REST_TOKEN');
  if (url !== undefined && token === undefined)
    throw new ConfigError('UPSTASH_REDIS_REST_TOKEN: required with UPSTASH_REDIS_REST_URL');
  if (url === undefined && token !== undefined)
    throw new ConfigError('UPSTASH_REDIS_REST_URL: required with UPSTASH_REDIS_REST_TOKEN');
}

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Development origins: a page served by the relay host itself, or by a dev server. */
function devOrigins(port: number): string[] {
  return [
    `http://localhost:${port}`,
    `http://127.0.0.1:${port}`,
    'http://localhost:3000',
    'http://localhost:5173',
  ];
}

/**
 * Builds the config from an environment map. `random` supplies the per-start
 * token secret and instance id when they are not configured.
 */
export function parseConfig(env: Env, random: (n: number) => Uint8Array): RelayConfig {
  const port = int(env, 'PORT', 8787, 0, 65535);
  const configuredSecret = optional(env, 'TOKEN_SECRET');
  const logLevel = str(env, 'LOG_LEVEL', 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError(`LOG_LEVEL: expected one of ${LOG_LEVELS.join(', ')}`);
  upstashPair(env);
  const instanceBytes = random(6);
  const redisUrl = optional(env, 'REDIS_URL');
  const upstashRestUrl = optional(env, 'UPSTASH_REDIS_REST_URL');
  // With shared fan-out, several instances serve the same users: a random secret per instance
  // would make a token issued by one fail on the next at random, so refuse to start instead.
  if (configuredSecret === undefined && (redisUrl !== undefined || upstashRestUrl !== undefined))
    throw new ConfigError(
      'TOKEN_SECRET: required when REDIS_URL or UPSTASH_REDIS_REST_URL is set (every instance must share it)',
    );
  const config: RelayConfig = {
    host: str(env, 'HOST', '127.0.0.1'),
    port,
    libsqlUrl: libsqlUrl(env),
    libsqlAuthToken: optional(env, 'LIBSQL_AUTH_TOKEN'),
    rpIds: list(env, 'RP_ID', [EXTENSION_ORIGIN, 'localhost']),
    rpName: str(env, 'RP_NAME', 'Parley'),
    allowedOrigins: list(env, 'ALLOWED_ORIGINS', [EXTENSION_ORIGIN, ...devOrigins(port)]),
    tokenSecret: configuredSecret === undefined ? random(32) : decodeSecret(configuredSecret),
    tokenSecretIsEphemeral: configuredSecret === undefined,
    sessionTokenTtlSeconds: int(
      env,
      'SESSION_TOKEN_TTL_SECONDS',
      SESSION_TOKEN_TTL_MS / 1000,
      30,
      86_400,
    ),
    challengeTtlSeconds: int(
      env,
      'CHALLENGE_TTL_SECONDS',
      PASSKEY_CHALLENGE_TTL_MS / 1000,
      5,
      3600,
    ),
    retentionSeconds:
      int(env, 'RETENTION_DAYS', MESSAGE_RETENTION_MS / 86_400_000, 1, 365) * 86_400,
    sweepIntervalSeconds: int(env, 'SWEEP_INTERVAL_SECONDS', 60, 1, 86_400),
    unclaimedAccountSeconds: int(env, 'UNCLAIMED_ACCOUNT_SECONDS', 6 * 3600, 1, 30 * 86_400),
    walCheckpointSeconds: int(env, 'WAL_CHECKPOINT_SECONDS', 10, 1, 3600),
    wsIdleTimeoutSeconds: int(env, 'WS_IDLE_TIMEOUT_SECONDS', IDLE_TIMEOUT_MS / 1000, 2, 3600),
    wsAuthTimeoutSeconds: int(env, 'WS_AUTH_TIMEOUT_SECONDS', AUTH_TIMEOUT_MS / 1000, 1, 600),
    wsErrorBudget: int(env, 'WS_ERROR_BUDGET', FRAME_ERROR_BUDGET, 1, 1000),
    wsPreauthPerIp: int(env, 'WS_PREAUTH_SOCKETS_PER_IP', 4, 1, 100_000),
    wsPreauthTotal: int(env, 'WS_PREAUTH_SOCKETS_TOTAL', 64, 1, 1_000_000),
    wsSlowSocketSeconds: int(env, 'WS_SLOW_SOCKET_SECONDS', 30, 1, 3600),
    maxBodyBytes: int(env, 'MAX_BODY_BYTES', REST_BODY_MAX_BYTES, 1024, 64 * 1024 * 1024),
    sqliteSynchronous: sync(env),
    httpServer: httpServer(env),
    rateLimits: {
      httpPerIp: rate(env, 'RATE_LIMIT_HTTP_PER_IP', RATE_LIMITS.httpPerIp),
      httpPerDevice: rate(env, 'RATE_LIMIT_HTTP_PER_DEVICE', RATE_LIMITS.httpPerIp),
      passkeyPerIp: rate(env, 'RATE_LIMIT_PASSKEY_PER_IP', RATE_LIMITS.passkeyPerIp),
      wsConnectPerIp: rate(env, 'RATE_LIMIT_WS_CONNECT_PER_IP', RATE_LIMITS.wsConnectPerIp),
      framesPerDevice: rate(env, 'RATE_LIMIT_FRAMES_PER_DEVICE', RATE_LIMITS.framesPerDevice),
      copiesPerDevice: rate(env, 'RATE_LIMIT_COPIES_PER_DEVICE', RATE_LIMITS.deviceCopiesPerDevice),
      transientPerRecipient: rate(
        env,
        'RATE_LIMIT_TRANSIENT_PER_RECIPIENT',
        RATE_LIMITS.transientPerRecipient,
      ),
      bundlesPerRequester: rate(
        env,
        'RATE_LIMIT_BUNDLES_PER_REQUESTER',
        RATE_LIMITS.bundlesPerDevice,
      ),
      oneTimePrekeysPerTarget: rate(env, 'RATE_LIMIT_ONE_TIME_PREKEYS_PER_TARGET', {
        limit: 50,
        windowMs: 3_600_000,
      }),
      attachmentChunksPerIp: rate(
        env,
        'RATE_LIMIT_ATTACHMENT_CHUNKS_PER_IP',
        RATE_LIMITS.attachmentChunksPerIp,
      ),
      sendBytesPerDevice: rate(env, 'RATE_LIMIT_SEND_BYTES_PER_DEVICE', {
        limit: 64 * MiB,
        windowMs: 600_000,
      }),
      sendsPerRecipient: rate(env, 'RATE_LIMIT_SENDS_PER_RECIPIENT', {
        limit: 600,
        windowMs: 600_000,
      }),
      backupRequestsPerId: rate(
        env,
        'RATE_LIMIT_BACKUP_REQUESTS_PER_ID',
        RATE_LIMITS.backupRequestsPerId,
      ),
      backupUploadsPerIp: rate(
        env,
        'RATE_LIMIT_BACKUP_UPLOADS_PER_IP',
        RATE_LIMITS.backupUploadsPerIp,
      ),
    },
    queueLimits: {
      maxPerDevice: int(env, 'QUEUE_MAX_PER_DEVICE', 10_000, 1, 10_000_000),
      maxBytesPerDevice: int(env, 'QUEUE_MAX_BYTES_PER_DEVICE', 64 * MiB, 64 * 1024, 2 ** 40),
      maxDatabaseBytes: int(env, 'DB_MAX_MB', 4096, 0, 2 ** 30) * MiB,
    },
    attachments: parseAttachmentConfig(env),
    backupMaxBytes: int(
      env,
      'BACKUP_MAX_BYTES',
      BACKUP_DEFAULT_MAX_BYTES,
      BACKUP_CHUNK_BYTES,
      BACKUP_MAX_BYTES,
    ),
    backupIncompleteSeconds: int(
      env,
      'BACKUP_INCOMPLETE_SECONDS',
      BACKUP_INCOMPLETE_MS / 1000,
      1,
      7 * 86_400,
    ),
    redisUrl,
    upstashRestUrl,
    upstashRestToken: optional(env, 'UPSTASH_REDIS_REST_TOKEN'),
    instanceId: str(env, 'INSTANCE_ID', toHex(instanceBytes)),
    fanoutPollSeconds: int(env, 'FANOUT_POLL_SECONDS', 30, 1, 3600),
    trustProxyHops: proxyHops(env),
    logLevel,
    shutdownGraceSeconds: int(env, 'SHUTDOWN_GRACE_SECONDS', 10, 0, 600),
  };
  return Object.freeze(config);
}

/** The WebAuthn RP id to announce for a request from `origin` (the default when unknown). */
export function rpIdForOrigin(config: RelayConfig, origin: string | undefined): string {
  const fallback = config.rpIds[0] ?? 'localhost';
  if (origin === undefined || !config.allowedOrigins.includes(origin)) return fallback;
  // Chromium hashes the whole extension origin as the RP id for chrome-extension pages.
  if (origin.startsWith('chrome-extension://'))
    return config.rpIds.includes(origin) ? origin : fallback;
  try {
    const host = new URL(origin).hostname;
    return config.rpIds.includes(host) ? host : fallback;
  } catch {
    return fallback;
  }
}
