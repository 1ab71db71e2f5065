/**
 * Relay storage. The relay keeps public keys, passkey credentials and queued
 * ciphertext — never plaintext, never private keys. Times are Unix milliseconds.
 */
import {
  blob,
  foreignKey,
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core';

const bytes = (name: string) => blob(name, { mode: 'buffer' }).$type<Uint8Array>();

export const accounts = sqliteTable('accounts', {
  id: text('id').primaryKey(),
  /** Normalised handle (lower case), unique. */
  handle: text('handle').notNull().unique(),
  /** The WebAuthn user handle (random, opaque), base64url. */
  webauthnUserId: text('webauthn_user_id').notNull(),
  /** Identity key, set by the first device registration; every later device must present the same one. */
  identityDh: bytes('identity_dh'),
  identitySig: bytes('identity_sig'),
  identityBinding: bytes('identity_binding'),
  createdAt: integer('created_at').notNull(),
});

export const passkeys = sqliteTable(
  'passkeys',
  {
    /** Credential id, base64url. */
    id: text('id').primaryKey(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    publicKey: bytes('public_key').notNull(),
    counter: integer('counter').notNull(),
    transports: text('transports').notNull().default('[]'),
    backedUp: integer('backed_up', { mode: 'boolean' }).notNull().default(false),
    createdAt: integer('created_at').notNull(),
    lastUsedAt: integer('last_used_at'),
  },
  (t) => [index('passkeys_account').on(t.accountId)],
);

/** WebAuthn challenges: single use (deleted when consumed), expiring. */
export const challenges = sqliteTable(
  'challenges',
  {
    challenge: text('challenge').primaryKey(),
    purpose: text('purpose', { enum: ['register', 'add-passkey', 'login'] }).notNull(),
    /** For registration: the handle being claimed and the user handle offered to the authenticator. */
    handle: text('handle'),
    webauthnUserId: text('webauthn_user_id'),
    /** For add-passkey and login with a handle: the account the ceremony is for. */
    accountId: text('account_id'),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('challenges_expiry').on(t.expiresAt)],
);

export const devices = sqliteTable(
  'devices',
  {
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    deviceId: integer('device_id').notNull(),
    deviceKey: bytes('device_key').notNull(),
    certificate: bytes('certificate').notNull(),
    certificateCreatedAt: integer('certificate_created_at').notNull(),
    signedPrekeyId: integer('signed_prekey_id').notNull(),
    signedPrekey: bytes('signed_prekey').notNull(),
    signedPrekeySig: bytes('signed_prekey_sig').notNull(),
    kemPrekeyId: integer('kem_prekey_id').notNull(),
    kemPrekey: bytes('kem_prekey').notNull(),
    kemPrekeySig: bytes('kem_prekey_sig').notNull(),
    /** Optional label, shown only to the device's own account. */
    name: text('name'),
    createdAt: integer('created_at').notNull(),
    lastSeenAt: integer('last_seen_at'),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.deviceId] }),
    uniqueIndex('devices_key').on(t.deviceKey),
  ],
);

/**
 * The account's signed device lists (docs/protocol.md, "Device list"), the
 * newest DEVICE_LIST_CHAIN_KEPT versions, so a peer holding an older one can
 * follow the hash chain forward. The relay checks the identity signature,
 * that each version follows the held one, and the device cap; peers check
 * everything again and trust none of it.
 */
export const deviceLists = sqliteTable(
  'device_lists',
  {
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    /** The exact signed encoding (shared/crypto/device-list.ts). */
    list: bytes('list').notNull(),
    /** SHA-256 of `list`: the next version's prevHash. */
    hash: bytes('hash').notNull(),
    /** The listed device ids, comma-separated: the send path routes to these only. */
    deviceIds: text('device_ids').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.version] })],
);

/** Removed devices, remembered so a sender addressing one is told "stale" rather than "unknown". */
export const removedDevices = sqliteTable(
  'removed_devices',
  {
    accountId: text('account_id').notNull(),
    deviceId: integer('device_id').notNull(),
    removedAt: integer('removed_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.deviceId] })],
);

export const oneTimePrekeys = sqliteTable(
  'one_time_prekeys',
  {
    accountId: text('account_id').notNull(),
    deviceId: integer('device_id').notNull(),
    keyId: integer('key_id').notNull(),
    publicKey: bytes('public_key').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.deviceId, t.keyId] })],
);

/**
 * One-time ML-KEM prekeys (docs/protocol.md, prekeys): handed out at most once
 * each, like one_time_prekeys; the device's last-resort ML-KEM prekey stays in
 * `devices` and is served when none is left.
 */
export const oneTimeKemPrekeys = sqliteTable(
  'one_time_kem_prekeys',
  {
    accountId: text('account_id').notNull(),
    deviceId: integer('device_id').notNull(),
    keyId: integer('key_id').notNull(),
    publicKey: bytes('public_key').notNull(),
    signature: bytes('signature').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.deviceId, t.keyId] })],
);

/**
 * The delivery queue: one row per recipient device. `seq` orders delivery;
 * the unique index makes a resent frame (same sender device and client id)
 * idempotent instead of a duplicate.
 */
export const queue = sqliteTable(
  'queue',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    recipientAccount: text('recipient_account').notNull(),
    recipientDevice: integer('recipient_device').notNull(),
    senderAccount: text('sender_account').notNull(),
    senderDevice: integer('sender_device').notNull(),
    /** The sender's 16-byte message id (unique per sending device). */
    clientMessageId: bytes('client_message_id').notNull(),
    /** The copy's own body; empty when it references a shared body (`bodyId`). */
    ciphertext: bytes('ciphertext').notNull(),
    /**
     * A body shared by several copies of one send, stored once in `queue_bodies`
     * (triggers in migration 0001 delete it with its last reference).
     */
    bodyId: integer('body_id'),
    /** Body length in bytes (inline or shared): what the copy counts against its device's cap. */
    size: integer('size').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    /** The earlier of the sender's expiresAt and createdAt + retention: never served at or after it. */
    expiresAt: integer('expires_at').notNull(),
    /** The sender's own expiresAt, passed on to the recipient (null when the sender set none). */
    senderExpiresAt: integer('sender_expires_at'),
  },
  (t) => [
    index('queue_recipient').on(t.recipientAccount, t.recipientDevice, t.seq),
    index('queue_expiry').on(t.expiresAt),
    index('queue_body').on(t.bodyId),
    uniqueIndex('queue_dedupe').on(
      t.recipientAccount,
      t.recipientDevice,
      t.senderAccount,
      t.senderDevice,
      t.clientMessageId,
    ),
  ],
);

/** Bodies shared by several queued copies of one send (a group message): stored once. */
export const queueBodies = sqliteTable('queue_bodies', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  data: bytes('data').notNull(),
});

/**
 * What is queued per recipient device (rows and body bytes), kept by triggers
 * on `queue` (migration 0001), so a send can check the per-device caps
 * without counting the queue.
 */
export const queueUsage = sqliteTable(
  'queue_usage',
  {
    recipientAccount: text('recipient_account').notNull(),
    recipientDevice: integer('recipient_device').notNull(),
    count: integer('count').notNull(),
    bytes: integer('bytes').notNull(),
  },
  (t) => [primaryKey({ columns: [t.recipientAccount, t.recipientDevice] })],
);

/** Blocks: the relay drops sends from `blocked` to `accountId` (the sender still hears `stored`). */
export const blocks = sqliteTable(
  'blocks',
  {
    accountId: text('account_id').notNull(),
    blocked: text('blocked').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.blocked] })],
);

/**
 * Encrypted attachments: who uploaded how many bytes, until when. The
 * ciphertext lives in the BlobStore (edge/attachments/): chunk rows below, or
 * objects in an S3-compatible store. Readable by anyone holding the
 * (unguessable) id once complete; deleted at expiry, or 24 h after creation if
 * never completed. The upload token is kept only as its SHA-256. Transfer
 * blobs (linking history) use the same rows with a 1 h expiry.
 */
export const attachments = sqliteTable(
  'attachments',
  {
    id: text('id').primaryKey(),
    ownerAccount: text('owner_account').notNull(),
    ownerDevice: integer('owner_device').notNull(),
    size: integer('size').notNull(),
    tokenHash: bytes('token_hash').notNull(),
    complete: integer('complete', { mode: 'boolean' }).notNull().default(false),
    /** `attachment`, or `transfer`: a linking history blob, kept 1 h (docs/relay.md, "Transfer blobs"). */
    purpose: text('purpose', { enum: ['attachment', 'transfer'] })
      .notNull()
      .default('attachment'),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [
    index('attachments_expiry').on(t.expiresAt),
    index('attachments_owner').on(t.ownerAccount, t.expiresAt),
    index('attachments_incomplete').on(t.complete, t.createdAt),
  ],
);

export const attachmentChunks = sqliteTable(
  'attachment_chunks',
  {
    attachmentId: text('attachment_id')
      .notNull()
      .references(() => attachments.id, { onDelete: 'cascade' }),
    index: integer('idx').notNull(),
    data: bytes('data').notNull(),
  },
  (t) => [primaryKey({ columns: [t.attachmentId, t.index] })],
);

/**
 * Device-linking rendezvous (docs/protocol.md, "Linking a device"): an
 * anonymous, short-lived mailbox between a new device and an existing one.
 * The relay sees only the locator and opaque messages; rows go on completion,
 * on the third failed confirmation, or at expiry (the sweeper).
 */
export const linkRendezvous = sqliteTable(
  'link_rendezvous',
  {
    /** 16 random bytes, base64url: the mailbox address. */
    id: text('id').primaryKey(),
    /** The 4-character locator typed as part of the code; unique among live rendezvous. */
    locator: text('locator').notNull(),
    /** Failed key confirmations reported so far (the third deletes the rendezvous). */
    strikes: integer('strikes').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [
    uniqueIndex('link_rendezvous_locator').on(t.locator),
    index('link_rendezvous_expiry').on(t.expiresAt),
  ],
);

/** Messages of a rendezvous, numbered per side from 1. */
export const linkMessages = sqliteTable(
  'link_messages',
  {
    rendezvousId: text('rendezvous_id')
      .notNull()
      .references(() => linkRendezvous.id, { onDelete: 'cascade' }),
    /** Who wrote it: the new device or the existing one. */
    side: text('side', { enum: ['new', 'existing'] }).notNull(),
    seq: integer('seq').notNull(),
    body: bytes('body').notNull(),
  },
  (t) => [primaryKey({ columns: [t.rendezvousId, t.side, t.seq] })],
);

/**
 * Encrypted backups (docs/relay.md, "Backups"): addressed by a backup id the
 * relay cannot link to any account, owned by whoever holds the auth key
 * pinned at the first upload. No account column on purpose.
 */
export const backups = sqliteTable('backups', {
  /** 16 bytes derived from the backup key, base64url. */
  id: text('id').primaryKey(),
  /** The Ed25519 auth public key pinned by the first upload (trust on first use). */
  authKey: bytes('auth_key').notNull(),
  createdAt: integer('created_at').notNull(),
});

/** Snapshots of a backup: at most two complete ones and one unfinished upload. */
export const backupSnapshots = sqliteTable(
  'backup_snapshots',
  {
    backupId: text('backup_id')
      .notNull()
      .references(() => backups.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    complete: integer('complete', { mode: 'boolean' }).notNull().default(false),
    size: integer('size').notNull().default(0),
    chunks: integer('chunks').notNull().default(0),
    startedAt: integer('started_at').notNull(),
    storedAt: integer('stored_at'),
  },
  (t) => [
    primaryKey({ columns: [t.backupId, t.seq] }),
    // The sweeper's search for uploads never completed (edge/expiry/sweeper.ts).
    index('backup_snapshots_unfinished').on(t.complete, t.startedAt),
  ],
);

/** The snapshots' ciphertext, chunk by chunk (chunk rows, like the libSQL attachment store). */
export const backupChunks = sqliteTable(
  'backup_chunks',
  {
    backupId: text('backup_id').notNull(),
    seq: integer('seq').notNull(),
    index: integer('idx').notNull(),
    data: bytes('data').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.backupId, t.seq, t.index] }),
    foreignKey({
      columns: [t.backupId, t.seq],
      foreignColumns: [backupSnapshots.backupId, backupSnapshots.seq],
    }).onDelete('cascade'),
  ],
);

/**
 * The recovery key wrapped by a passkey's PRF (docs/relay.md, "Recovery key
 * wrapped by the passkey"): 61 opaque bytes per account and credential. The
 * relay never has the PRF output or the recovery key; the wrap goes with its
 * passkey and with the account.
 */
export const recoveryWraps = sqliteTable(
  'recovery_wraps',
  {
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    credentialId: text('credential_id')
      .notNull()
      .references(() => passkeys.id, { onDelete: 'cascade' }),
    wrapped: bytes('wrapped').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.credentialId] })],
);
