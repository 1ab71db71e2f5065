/**
 * The attachment section of the relay config (docs/relay.md, "Attachments";
 * README configuration table): size limit, retention, per-account quotas and
 * the store. Parsed once at start; a half-configured object store is refused
 * with the variable to fix, never discovered at the first upload.
 */
import {
  ATTACHMENT_DEFAULT_MAX_BYTES,
  ATTACHMENT_MAX_BYTES,
  ATTACHMENT_RETENTION_MS,
  TRANSFER_TTL_MS,
} from '../../shared/wire/limits.ts';
import { ConfigError, type Env, int, optional, str } from '../config-values.ts';
import type { S3Settings } from './s3-store.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const DAY_MS = 86_400_000;

export interface AttachmentConfig {
  /** Largest ciphertext one upload may declare (413 above). */
  readonly maxBytes: number;
  /** Days an attachment is kept after its upload started. */
  readonly retentionDays: number;
  /** Bytes an account may declare in new uploads per day. */
  readonly bytesPerDay: number;
  /** Bytes of unexpired uploads an account may hold at once. */
  readonly outstandingBytes: number;
  /**
   * How long a transfer blob lives (docs/relay.md, "Transfer blobs"): 1 h.
   * `ATTACHMENT_TRANSFER_TTL_SECONDS` shortens it only so process tests can
   * watch one expire; it cannot be raised past the hour.
   */
  readonly transferTtlMs: number;
  readonly store: 'libsql' | 's3';
  /** Set exactly when `store` is `s3`. */
  readonly s3: S3Settings | undefined;
}

const S3_VARIABLES = [
  'S3_ENDPOINT',
  'S3_BUCKET',
  'S3_REGION',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
  'S3_PREFIX',
] as const;

function required(env: Env, name: string): string {
  const value = optional(env, name);
  if (value === undefined) throw new ConfigError(`${name}: required with ATTACHMENT_STORE=s3`);
  return value;
}

function endpoint(env: Env): string {
  const raw = required(env, 'S3_ENDPOINT');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`S3_ENDPOINT: expected an http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ConfigError(`S3_ENDPOINT: expected an http(s) URL, got "${url.protocol}"`);
  if (url.search !== '' || url.username !== '' || url.password !== '')
    throw new ConfigError('S3_ENDPOINT: expected a plain URL without query or credentials');
  return url.toString().replace(/\/+$/, '');
}

/** '' or `a/b/`: no leading slash, one trailing slash, no empty segments. */
function prefix(env: Env): string {
  const raw = str(env, 'S3_PREFIX', 'attachments').replace(/^\/+|\/+$/g, '');
  if (raw === '') return '';
  if (!/^[A-Za-z0-9._\-/]+$/.test(raw) || raw.includes('//'))
    throw new ConfigError(`S3_PREFIX: expected letters, digits, . _ - and /, got "${raw}"`);
  return `${raw}/`;
}

function s3Settings(env: Env): S3Settings {
  const bucket = required(env, 'S3_BUCKET');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    throw new ConfigError(`S3_BUCKET: not a valid bucket name: "${bucket}"`);
  return {
    endpoint: endpoint(env),
    bucket,
    region: str(env, 'S3_REGION', 'us-east-1'),
    accessKeyId: required(env, 'S3_ACCESS_KEY_ID'),
    secretAccessKey: required(env, 'S3_SECRET_ACCESS_KEY'),
    prefix: prefix(env),
    presignSeconds: int(env, 'S3_PRESIGN_SECONDS', 300, 10, 7 * 86_400),
  };
}

export function parseAttachmentConfig(env: Env): AttachmentConfig {
  const store = str(env, 'ATTACHMENT_STORE', 'libsql').toLowerCase();
  if (store !== 'libsql' && store !== 's3')
    throw new ConfigError(`ATTACHMENT_STORE: expected libsql or s3, got "${store}"`);
  if (store === 'libsql') {
    const stray = S3_VARIABLES.find((name) => optional(env, name) !== undefined);
    if (stray !== undefined)
      throw new ConfigError(
        `${stray}: set, but ATTACHMENT_STORE is not s3 (set ATTACHMENT_STORE=s3)`,
      );
  }
  return {
    maxBytes: int(
      env,
      'ATTACHMENT_MAX_BYTES',
      ATTACHMENT_DEFAULT_MAX_BYTES,
      1,
      ATTACHMENT_MAX_BYTES,
    ),
    retentionDays: int(env, 'ATTACHMENT_RETENTION_DAYS', ATTACHMENT_RETENTION_MS / DAY_MS, 1, 365),
    bytesPerDay: int(env, 'ATTACHMENT_BYTES_PER_DAY', 4 * GiB, 1, 2 ** 50),
    outstandingBytes: int(env, 'ATTACHMENT_OUTSTANDING_BYTES', 10 * GiB, 1, 2 ** 50),
    transferTtlMs:
      int(
        env,
        'ATTACHMENT_TRANSFER_TTL_SECONDS',
        TRANSFER_TTL_MS / 1000,
        1,
        TRANSFER_TTL_MS / 1000,
      ) * 1000,
    store,
    s3: store === 's3' ? s3Settings(env) : undefined,
  };
}
