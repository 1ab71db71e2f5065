import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config-values.ts';
import { parseAttachmentConfig } from './config.ts';

const MiB = 1024 * 1024;
const S3 = {
  ATTACHMENT_STORE: 's3',
  S3_ENDPOINT: 'https://acct.r2.cloudflarestorage.com/',
  S3_BUCKET: 'parley-attachments',
  S3_ACCESS_KEY_ID: 'id',
  S3_SECRET_ACCESS_KEY: 'a-secret-value',
};

function configError(env: Record<string, string>): string {
  try {
    parseAttachmentConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('attachment config', () => {
  it('defaults to libSQL chunk rows, 103 MiB blobs (a 100 MiB file), 30 days', () => {
    expect(parseAttachmentConfig({})).toEqual({
      maxBytes: 103 * MiB,
      retentionDays: 30,
      transferTtlMs: 3_600_000,
      bytesPerDay: 4096 * MiB,
      outstandingBytes: 10240 * MiB,
      store: 'libsql',
      s3: undefined,
    });
  });

  it('lets tests shorten the transfer blob TTL, never lengthen it past the hour', () => {
    expect(parseAttachmentConfig({ ATTACHMENT_TRANSFER_TTL_SECONDS: '2' }).transferTtlMs).toBe(
      2000,
    );
    expect(() => parseAttachmentConfig({ ATTACHMENT_TRANSFER_TTL_SECONDS: '3601' })).toThrow(
      /ATTACHMENT_TRANSFER_TTL_SECONDS/,
    );
  });

  it('reads the S3 settings, normalising endpoint and prefix', () => {
    const config = parseAttachmentConfig({
      ...S3,
      S3_PREFIX: '/blobs/parley/',
      S3_PRESIGN_SECONDS: '60',
      ATTACHMENT_MAX_BYTES: String(600 * MiB),
    });
    expect(config.maxBytes).toBe(600 * MiB);
    expect(config.s3).toEqual({
      endpoint: 'https://acct.r2.cloudflarestorage.com',
      bucket: 'parley-attachments',
      region: 'us-east-1',
      accessKeyId: 'id',
      secretAccessKey: 'a-secret-value',
      prefix: 'blobs/parley/',
      presignSeconds: 60,
    });
    expect(parseAttachmentConfig({ ...S3, S3_PREFIX: '/' }).s3?.prefix).toBe('');
    expect(parseAttachmentConfig(S3).s3?.prefix).toBe('attachments/');
  });

  it('names the variable to fix, and never echoes a secret', () => {
    expect(configError({ ATTACHMENT_STORE: 'disk' })).toMatch(/^ATTACHMENT_STORE:/);
    expect(configError({ ATTACHMENT_MAX_BYTES: String(4096 * MiB) })).toMatch(
      /^ATTACHMENT_MAX_BYTES: expected 1\.\./,
    );
    expect(configError({ ATTACHMENT_RETENTION_DAYS: '0' })).toMatch(/^ATTACHMENT_RETENTION_DAYS/);
    for (const name of ['S3_ENDPOINT', 'S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY']) {
      const env: Record<string, string> = { ...S3 };
      delete env[name];
      expect(configError(env)).toBe(`${name}: required with ATTACHMENT_STORE=s3`);
    }
    expect(configError({ ...S3, S3_ENDPOINT: 'ftp://x' })).toMatch(/^S3_ENDPOINT/);
    expect(configError({ ...S3, S3_ENDPOINT: 'https://u:p@x' })).toMatch(/^S3_ENDPOINT/);
    expect(configError({ ...S3, S3_BUCKET: 'Bad_Bucket' })).toMatch(/^S3_BUCKET/);
    expect(configError({ ...S3, S3_PREFIX: 'a b' })).toMatch(/^S3_PREFIX/);
    // S3 settings without the switch are a mistake, not silently the database.
    expect(configError({ S3_BUCKET: 'parley' })).toMatch(/^S3_BUCKET: set, but ATTACHMENT_STORE/);
    const messages = [configError({ ...S3, S3_BUCKET: 'Bad_Bucket' })];
    for (const m of messages) expect(m).not.toContain('a-secret-value');
  });
});
