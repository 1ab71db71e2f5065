/**
 * Every size, count and time cap of Parley's wire format, in one place.
 * Schemas, the relay and the client all read these constants; docs/wire.md
 * explains each one. Changing a cap that shrinks what is accepted is a
 * protocol change: old clients may then send frames the relay rejects.
 */

const KiB = 1024;
const MiB = 1024 * KiB;
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// ---------------------------------------------------------------------------
// Identifiers

/** Relay-assigned user ids: canonical lowercase UUID text (8-4-4-4-12 hex). */
export const USER_ID_CHARS = 36;
/**
 * Device ids are chosen by the registering client (its certificate signs the
 * id, so it must be known before registration) and never reused by the relay.
 * They are signed as u32 and stored as SQL integers, hence 31 bits.
 */
export const DEVICE_ID_MIN = 1;
export const DEVICE_ID_MAX = 0x7fff_ffff;
/** Active devices per account (Signal allows 6; browsers and bots count too). */
export const MAX_DEVICES_PER_USER = 8;
/**
 * Devices in an account's signed device list (docs/protocol.md, "Device
 * list"): Signal's MAX_DEVICES. Peers encrypt only to listed devices, so this
 * is the effective cap for any account that has published a list.
 */
export const DEVICE_LIST_MAX_DEVICES = 6;
/** Signed device list versions the relay keeps and serves per account (the newest ones). */
export const DEVICE_LIST_CHAIN_KEPT = 32;
/** Largest encoded signed device list (six devices: 883 bytes with a 36-character user id). */
export const DEVICE_LIST_MAX_BYTES = 1024;
export const DEVICE_NAME_MAX_CHARS = 64;
/** Handles: 3-32 characters of [a-z0-9_.] after normalisation (handle.ts). */
export const HANDLE_MIN_CHARS = 3;
export const HANDLE_MAX_CHARS = 32;
/** Raw handle input longer than this is rejected before NFKC (which can expand text 18x). */
export const HANDLE_INPUT_MAX_CHARS = 128;
/** Client message ids: 16 random bytes, unique per sending device. */
export const MESSAGE_ID_BYTES = 16;
/** Prekey ids are signed as u32. */
export const PREKEY_ID_MAX = 0xffff_ffff;
/** Opaque relay-issued ids (passkey ceremonies, attachments): 16 random bytes, base64url. */
export const OPAQUE_ID_BYTES = 16;

// ---------------------------------------------------------------------------
// Time values (milliseconds since the Unix epoch, or durations in ms)

/** Largest timestamp a JS Date can represent; every timestamp field is 0..this. */
export const TIMESTAMP_MAX = 8_640_000_000_000_000;
/** Keepalive: the client pings at least this often (an MV3 worker sleeps after 30 s of silence). */
export const KEEPALIVE_INTERVAL_MS = 20 * SECOND;
/** The relay closes a socket that sent nothing for this long (three missed pings). */
export const IDLE_TIMEOUT_MS = 60 * SECOND;
/** The relay closes a socket that has not authenticated this long after its challenge. */
export const AUTH_TIMEOUT_MS = 10 * SECOND;
/** Undelivered messages and attachments are deleted after this. `expiresAt` may not exceed it. */
export const MESSAGE_RETENTION_MS = 30 * DAY;
export const ATTACHMENT_RETENTION_MS = 30 * DAY;
/** Passkey challenges are single use and expire after this. */
export const PASSKEY_CHALLENGE_TTL_MS = 5 * MINUTE;
/** Session tokens (from passkey login) only register and manage devices: keep them short. */
export const SESSION_TOKEN_TTL_MS = 15 * MINUTE;
/** A device-signed REST request is accepted only if its `ts` is this close to the relay clock. */
export const REQUEST_MAX_SKEW_MS = 5 * MINUTE;
/** Signed prekeys and ML-KEM prekeys are rotated this often. */
export const SIGNED_PREKEY_ROTATION_MS = 7 * DAY;
/** Upper bound of `retryAfterMs` in an error frame. */
export const RETRY_AFTER_MAX_MS = DAY;

// ---------------------------------------------------------------------------
// WebSocket frames

/** Largest client frame after authentication; sized for one group send (see below). */
export const FRAME_MAX_BYTES = 1 * MiB;
/** Largest frame the relay reads before `auth` succeeded (an auth frame is ~140 bytes). */
export const PREAUTH_FRAME_MAX_BYTES = 1 * KiB;
/** Largest relay-to-client frame: one `deliver` of a maximal body plus envelope. */
export const SERVER_FRAME_MAX_BYTES = 128 * KiB;
/**
 * Largest ciphertext for one device (or the shared body of a send). Long
 * texts beyond this travel as attachments, as in Signal.
 */
export const MESSAGE_BODY_MAX_BYTES = 64 * KiB;
/**
 * Largest body of a transient send (typing, presence), shared or per device.
 * Such a body is one pairwise ciphertext of a tiny content; the worst case is
 * a pre-key message on a fresh session (~1.5 KiB: 1,303 bytes of X3DH/ML-KEM
 * header, the ratchet header, one padded block). Anything bigger is not a
 * typing signal, and the relay pushes transient copies without storing or
 * pacing them, so the cap keeps that path cheap.
 */
export const TRANSIENT_BODY_MAX_BYTES = 2 * KiB;
/**
 * Longest message text, in UTF-16 code units (JS string length; what a
 * textarea counts). At 3 UTF-8 bytes per unit it still fits the 60 KiB content
 * cap. The client core refuses longer text and the composer refuses to send it
 * (it never truncates); longer texts will travel as attachments, as in Signal.
 */
export const MESSAGE_TEXT_MAX_CHARS = 16_384;
/** Group size cap (docs/protocol.md, "Groups"); a send addresses at most this many users (members + own user). */
export const GROUP_MAX_MEMBERS = 256;
/** A group name: 1..64 characters (docs/protocol.md, group state). */
export const GROUP_NAME_MAX_CHARS = 64;
/** The disappearing-message timer values a conversation may have, in ms (0 = off). */
export const TIMER_OPTIONS_MS = [0, 30 * SECOND, 5 * MINUTE, HOUR, DAY, 7 * DAY] as const;
export const SEND_MAX_RECIPIENT_USERS = GROUP_MAX_MEMBERS;
/**
 * Budget check (docs/wire.md): 256 users x 8 devices = 2048 per-device copies
 * of ~420-byte bodies fit in FRAME_MAX_BYTES. Larger group sends use the
 * shared `body` of a send frame (one Sender Keys ciphertext fanned out by the
 * relay) or are split into several frames with distinct ids.
 */
export const SEND_MAX_DEVICE_COPIES = SEND_MAX_RECIPIENT_USERS * MAX_DEVICES_PER_USER;
/** Queue ids acknowledged in one `ack` frame. */
export const ACK_MAX_QIDS = 512;
export const CHALLENGE_NONCE_BYTES = 32;
export const ERROR_CODE_MAX_CHARS = 64;
export const ERROR_MESSAGE_MAX_CHARS = 256;
/** Bad frames one socket may send before the relay closes it with 1008. */
export const FRAME_ERROR_BUDGET = 5;

/**
 * Parley's CBOR profile (cbor.ts): coarse structural bounds checked before
 * cbor-x runs. The schemas then apply the precise per-field caps.
 */
export const CBOR_MAX_DEPTH = 8;
export const CBOR_MAX_ARRAY_ITEMS = 4096;
export const CBOR_MAX_MAP_ENTRIES = 32;
/** Field names are short words; longer keys are never valid and would only cost time. */
export const CBOR_MAX_KEY_BYTES = 32;

// ---------------------------------------------------------------------------
// REST

/** Largest JSON request body (device registration with 100 prekeys is ~12 KiB; WebAuthn attestation a few KiB). */
export const REST_BODY_MAX_BYTES = 64 * KiB;
/** Largest JSON response a client reads (a bundle list of 8 devices is ~20 KiB). */
export const REST_RESPONSE_MAX_BYTES = 256 * KiB;
/** Largest `Authorization` header value the relay parses. */
export const AUTH_HEADER_MAX_CHARS = 512;
export const SESSION_TOKEN_MAX_CHARS = 4096;

/** One-time prekeys: uploaded at most 100 at a time, refilled below 20, at most 200 held per device. */
export const ONE_TIME_PREKEYS_MAX_UPLOAD = 100;
export const ONE_TIME_PREKEYS_TARGET = 100;
export const ONE_TIME_PREKEYS_REFILL_BELOW = 20;
export const ONE_TIME_PREKEYS_MAX_STORED = 200;

/**
 * One-time ML-KEM prekeys (docs/protocol.md, prekeys): ~1.7 KB of JSON each,
 * so an upload carries at most 30 (about 51 KB, inside REST_BODY_MAX_BYTES
 * with a full one-time prekey refill and both rotated prekeys beside it);
 * refilled to 30 below 10, at most 60 held per device.
 */
export const ONE_TIME_KEM_PREKEYS_MAX_UPLOAD = 30;
export const ONE_TIME_KEM_PREKEYS_TARGET = 30;
export const ONE_TIME_KEM_PREKEYS_REFILL_BELOW = 10;
export const ONE_TIME_KEM_PREKEYS_MAX_STORED = 60;

/** Users one account may block (docs/wire.md, "Bodies"). */
export const BLOCK_LIST_MAX = 1000;

/** WebAuthn response fields (base64url text); @simplewebauthn/server checks the contents. */
export const WEBAUTHN_CREDENTIAL_ID_MAX_CHARS = 1366; // credential ids are at most 1023 bytes
export const WEBAUTHN_CLIENT_DATA_MAX_CHARS = 8 * KiB;
export const WEBAUTHN_ATTESTATION_MAX_CHARS = 48 * KiB;
export const WEBAUTHN_AUTHENTICATOR_DATA_MAX_CHARS = 8 * KiB;
export const WEBAUTHN_SIGNATURE_MAX_CHARS = 1 * KiB;
export const WEBAUTHN_USER_HANDLE_MAX_CHARS = 86; // 64 bytes
export const WEBAUTHN_CHALLENGE_MAX_CHARS = 128;

/**
 * Attachments: opaque ciphertext, uploaded and downloaded in 1 MiB chunks
 * (resumable; no request body above 1 MiB, which every edge platform accepts).
 * ATTACHMENT_MAX_BYTES is the protocol ceiling (schemas, chunk indexes): a
 * relay accepts blobs up to its configured limit (ATTACHMENT_DEFAULT_MAX_BYTES
 * unless configured; docs/relay.md, "Attachments").
 */
export const ATTACHMENT_MAX_BYTES = 2048 * MiB;
/** The largest file the extension offers to send. */
export const ATTACHMENT_FILE_MAX_BYTES = 100 * MiB;
/**
 * The relay's default blob limit: room for the blob of a file of
 * ATTACHMENT_FILE_MAX_BYTES, whose padding bucket and AEAD tags make it about
 * 2.4 % larger (107,337,417 B in PRLA v2; a test holds the two together), so
 * a 100 MiB file is accepted by a relay left at its default.
 */
export const ATTACHMENT_DEFAULT_MAX_BYTES = 103 * MiB;
export const ATTACHMENT_CHUNK_BYTES = 1 * MiB;
/** Random bytes of an upload token (the relay keeps only its SHA-256). */
export const ATTACHMENT_UPLOAD_TOKEN_BYTES = 32;
/** An upload not completed this long after it was created is deleted with its chunks. */
export const ATTACHMENT_INCOMPLETE_MS = 24 * HOUR;
/**
 * A history-transfer blob (docs/relay.md, "Transfer blobs"): kept this long
 * at most (Signal's value), and created only for an account that gained a
 * device within the same window.
 */
export const TRANSFER_TTL_MS = HOUR;
export const TRANSFER_NEW_DEVICE_WINDOW_MS = HOUR;
export const ATTACHMENT_MAX_CHUNKS = ATTACHMENT_MAX_BYTES / ATTACHMENT_CHUNK_BYTES;

// ---------------------------------------------------------------------------
// Backups (docs/wire.md, "Backups"): encrypted snapshots addressed by a
// backup id the relay cannot link to an account, uploaded in 1 MiB chunks.

/** Chunk size of a snapshot upload: every chunk but the last is exactly this long. */
export const BACKUP_CHUNK_BYTES = ATTACHMENT_CHUNK_BYTES;
/** Largest snapshot a relay stores unless configured (BACKUP_MAX_BYTES). */
export const BACKUP_DEFAULT_MAX_BYTES = 100 * MiB;
/** Protocol ceiling of one snapshot (schemas, chunk indexes). */
export const BACKUP_MAX_BYTES = 1024 * MiB;
export const BACKUP_MAX_CHUNKS = BACKUP_MAX_BYTES / BACKUP_CHUNK_BYTES;
/** Complete snapshots kept per backup id: completing another deletes the oldest. */
export const BACKUP_SNAPSHOTS_KEPT = 2;
/**
 * A snapshot upload not completed this long after it started is refused and
 * swept with its chunks (the client died mid-upload), as
 * ATTACHMENT_INCOMPLETE_MS for attachments; the relay's default for
 * BACKUP_INCOMPLETE_SECONDS.
 */
export const BACKUP_INCOMPLETE_MS = 24 * HOUR;
/** Bytes of a backup id (docs/protocol.md, "Backups"). */
export const BACKUP_ID_BYTES = 16;
/** Snapshot sequence numbers: 1 .. 2^53 - 1. */
export const BACKUP_SEQ_MAX = Number.MAX_SAFE_INTEGER;
/** The recovery key wrapped by a passkey's PRF: version, nonce, key, tag (shared/backup/passkey-wrap.ts). */
export const RECOVERY_WRAP_BYTES = 61;

// ---------------------------------------------------------------------------
// Rate limits: defaults for the relay (configurable there). Counted per key
// in a fixed or sliding window; exceeding answers 429 + Retry-After on HTTP
// and an `error` frame with RATE_LIMITED and retryAfterMs on the socket.

export interface RateLimit {
  readonly limit: number;
  readonly windowMs: number;
}

export const RATE_LIMITS = {
  /** Every HTTP request, per client IP. */
  httpPerIp: { limit: 600, windowMs: MINUTE },
  /** Passkey ceremony starts (register/login options), per client IP. */
  passkeyPerIp: { limit: 30, windowMs: MINUTE },
  /** WebSocket upgrades, per client IP. */
  wsConnectPerIp: { limit: 120, windowMs: MINUTE },
  /** Frames of any type, per authenticated device. */
  framesPerDevice: { limit: 100, windowMs: SECOND },
  /** Transient copies (typing, presence) pushed to one recipient socket; the rest are dropped. */
  transientPerRecipient: { limit: 100, windowMs: 10 * SECOND },
  /** Device copies written by `send` frames, per sending device. */
  deviceCopiesPerDevice: { limit: 20_000, windowMs: MINUTE },
  /** Prekey bundles handed out (one per device entry), per requesting device: against prekey exhaustion. */
  bundlesPerDevice: { limit: 1000, windowMs: HOUR },
  /** Attachment bytes announced (created uploads), per account. */
  attachmentBytesPerAccount: { limit: 4 * 1024 * MiB, windowMs: DAY },
  /** Attachment chunk PUTs and GETs and info reads, per client IP: 1 MiB chunks, ~100 MiB/s. */
  attachmentChunksPerIp: { limit: 6000, windowMs: MINUTE },
  /** Backup requests (any route), per backup id: a 100 MiB snapshot is ~100 chunk PUTs. */
  backupRequestsPerId: { limit: 1000, windowMs: HOUR },
  /** Snapshot uploads started, per client IP: each new backup id can hold up to 3 snapshots. */
  backupUploadsPerIp: { limit: 20, windowMs: HOUR },
} as const satisfies Record<string, RateLimit>;

// ---------------------------------------------------------------------------
// Device linking (docs/protocol.md, "Linking a device")

/** A linking rendezvous lives this long (MSC4388's example expiry). */
export const LINK_RENDEZVOUS_TTL_MS = 5 * MINUTE;
/** One mailbox message: key exchange and confirmation are small; the payload carries the identity. */
export const LINK_MESSAGE_MAX_BYTES = 16 * KiB;
/** Messages each side may post to one rendezvous (retries of a mistyped code included). */
export const LINK_MESSAGES_PER_SIDE = 16;
/** Failed key confirmations that kill a rendezvous (and its code). */
export const LINK_MAX_STRIKES = 3;
/** Characters of the locator, the part of the code the relay sees. */
export const LINK_LOCATOR_CHARS = 4;
/**
 * The alphabet of linking codes: whatsmeow's pairing-code base32 (no 0, O, I,
 * U), so a code read aloud or typed has no look-alike characters.
 */
export const LINK_CODE_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTVWXYZ';
