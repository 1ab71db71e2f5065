/**
 * Domain separation: one HKDF info label (or signature context) per purpose, so
 * a key derived or a signature made for one purpose is never valid for another
 * (the lesson of the Matrix 2022 attacks). Changing any of these breaks
 * compatibility with existing sessions and backups: treat them as frozen.
 */
export const Label = {
  // Key agreement (Signal requires an application-specific info string of >= 8 bytes)
  X3DH: 'Parley_X3DH_X25519_SHA-256_v1',
  PQXDH: 'Parley_PQXDH_X25519_SHA-256_ML-KEM-768_v1',
  // Double Ratchet
  ROOT: 'Parley/v1/ratchet/root',
  MESSAGE_KEYS: 'Parley/v1/ratchet/message-keys',
  // Groups (Sender Keys)
  GROUP_MESSAGE_KEYS: 'Parley/v1/group/message-keys',
  /** Group ids: SHA-256(label, creator id, creator key, nonce), groups/state.ts. */
  GROUP_ID: 'Parley/v1/group/id',
  // Attachments, backup, vault, device linking
  ATTACHMENT: 'Parley/v1/attachment',
  /**
   * The stream key of PRLA v2 blobs (1 MiB segments): its own label, so a v1
   * and a v2 encryption under one file key never share a key and nonce
   * (docs/protocol.md "Attachments").
   */
  ATTACHMENT_V2: 'Parley/v1/attachment/prla-v2',
  /** The salt and nonce prefix of an attachment's header, derived from its file key (docs/protocol.md "Attachments"). */
  ATTACHMENT_HEADER: 'Parley/v1/attachment/header',
  /** Prefix of the piece-list digest of an attachment blob (docs/protocol.md "Attachments"). */
  ATTACHMENT_DIGEST: 'Parley/v1/attachment/digest',
  BACKUP: 'Parley/v1/backup',
  /**
   * The encrypted archive (docs/protocol.md "Archive"): from its 32-byte root
   * key, the key-check key kc and (with the header's salt) the archive key AK;
   * from AK, the body's streaming-AEAD key and its stream header. The first two
   * are the strings of the backup design (PARLEY-v1:…), kept as written there.
   */
  ARCHIVE_KEY_CHECK: 'PARLEY-v1:key-check',
  ARCHIVE: 'PARLEY-v1:archive',
  ARCHIVE_STREAM: 'Parley/v1/archive/stream',
  ARCHIVE_STREAM_HEADER: 'Parley/v1/archive/stream-header',
  VAULT: 'Parley/v1/vault',
  DEVICE_LINK: 'Parley/v1/device-link',
  /**
   * The linking channel (docs/protocol.md, "Linking a device"): the channel
   * key K, its transcript's prefix, and the keys and check code derived from K.
   */
  LINK_CHANNEL: 'PARLEY-LINK-v1',
  LINK_NEW_TO_EXISTING: 'PARLEY-LINK-v1 new-to-existing',
  LINK_EXISTING_TO_NEW: 'PARLEY-LINK-v1 existing-to-new',
  LINK_CONFIRM_NEW: 'PARLEY-LINK-v1 confirm-new',
  LINK_CONFIRM_EXISTING: 'PARLEY-LINK-v1 confirm-existing',
  LINK_CHECK: 'PARLEY-LINK-v1 check',
  /**
   * Backups (docs/protocol.md, "Backups"): the backup key BK from the
   * recovery key, and from BK the relay address of the backups and the seed
   * of the key that authorizes them there.
   */
  BACKUP_KEY: 'PARLEY-v1:backup-key',
  BACKUP_ID: 'PARLEY-v1:backup-id',
  BACKUP_AUTH: 'PARLEY-v1:backup-auth',
  /**
   * The recovery key wrapped by the passkey PRF (docs/protocol.md, "Backups"):
   * the fixed PRF input (its SHA-256 is the salt given to the authenticator;
   * the vault's PRF salt is random per vault, so the two outputs differ), and
   * the HKDF info and AAD prefix of the wrapping key.
   */
  PASSKEY_WRAP_PRF_SALT: 'PARLEY-v1:passkey-wrap-prf-salt',
  PASSKEY_WRAP: 'PARLEY-v1:passkey-wrap',
  // Safety numbers (scannable form)
  FINGERPRINT: 'Parley/v1/fingerprint',
} as const;

/** Contexts prepended to everything an Ed25519 key signs. */
export const SignatureContext = {
  IDENTITY_BINDING: 'Parley/v1/sig/identity-binding',
  SIGNED_PREKEY: 'Parley/v1/sig/signed-prekey',
  /** The last-resort ML-KEM prekey (reused until rotated). */
  KEM_PREKEY: 'Parley/v1/sig/kem-prekey',
  /**
   * One-time ML-KEM prekeys: a context of their own, so a relay cannot pass a
   * last-resort key off as one-time or the reverse (docs/protocol.md, prekeys).
   */
  ONE_TIME_KEM_PREKEY: 'Parley/v1/sig/one-time-kem-prekey',
  DEVICE_CERTIFICATE: 'Parley/v1/sig/device-certificate',
  DEVICE_AUTH: 'Parley/v1/sig/device-auth',
  /** The account's signed device list (device-list.ts; docs/protocol.md, "Device list"). */
  DEVICE_LIST: 'Parley/v1/sig/device-list',
  /** A device's own key binding it to the account identity and its device id (device-list.ts). */
  DEVICE_BINDING: 'Parley/v1/sig/device-binding',
  /** The identity key's proof, on an authenticated socket, that the vault is unlocked (device-auth.ts). */
  SOCKET_UNLOCK: 'Parley/v1/sig/socket-unlock',
  /** Device-signed REST requests (shared/wire/device-request.ts). */
  DEVICE_REQUEST: 'Parley/v1/sig/device-request',
  /** Identity-signed REST requests that manage the account (device-request.ts; docs/wire.md, "Authentication"). */
  MANAGEMENT_REQUEST: 'Parley/v1/sig/management-request',
  /** Requests to the relay's backup store, signed by the backup auth key (docs/wire.md, "Backups"). */
  BACKUP_REQUEST: 'Parley/v1/sig/backup-request',
  SENDER_KEY_MESSAGE: 'Parley/v1/sig/sender-key-message',
  GROUP_STATE: 'Parley/v1/sig/group-state',
  /** An archive's header, signed by the account identity (shared/archive/header.ts). */
  ARCHIVE_HEADER: 'Parley/v1/sig/archive-header',
} as const;
