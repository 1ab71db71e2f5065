/** The BlobStore the config names (ATTACHMENT_STORE): libSQL chunk rows or an S3-compatible store. */
import type { Db } from '../db/open.ts';
import type { BlobStore } from './blob-store.ts';
import type { AttachmentConfig } from './config.ts';
import { LibsqlBlobStore } from './libsql-store.ts';
import { S3BlobStore } from './s3-store.ts';

export function openBlobStore(config: AttachmentConfig, db: Db): BlobStore {
  if (config.store === 's3' && config.s3 !== undefined) return new S3BlobStore(config.s3);
  return new LibsqlBlobStore(db);
}
