/**
 * Every WebSocket frame on `/v1/ws`, both directions: strict valibot schemas
 * (unknown fields rejected, every length capped, every integer range-checked)
 * and the TypeScript types inferred from them. `t` names the frame type.
 * docs/wire.md describes the semantics; codec.ts decodes and encodes.
 */
import * as v from 'valibot';
import { ED25519_SIGNATURE_BYTES } from '../crypto/ed25519.ts';
import {
  BodySchema,
  bytesSchema,
  DeviceIdSchema,
  ErrorCodeSchema,
  ErrorMessageSchema,
  MessageIdSchema,
  QueueIdSchema,
  TimestampSchema,
  Uint32Schema,
  UserIdSchema,
  uintSchema,
  uniqueBy,
} from './fields.ts';
import {
  ACK_MAX_QIDS,
  CHALLENGE_NONCE_BYTES,
  MAX_DEVICES_PER_USER,
  RETRY_AFTER_MAX_MS,
  SEND_MAX_RECIPIENT_USERS,
  TRANSIENT_BODY_MAX_BYTES,
} from './limits.ts';

// ---------------------------------------------------------------------------
// Client -> relay

/** Answers `challenge`: Ed25519 by the device key over deviceAuthPayload(nonce, user, device). */
export const AuthFrameSchema = v.strictObject({
  t: v.literal('auth'),
  user: UserIdSchema,
  device: DeviceIdSchema,
  signature: bytesSchema(ED25519_SIGNATURE_BYTES),
});

/**
 * Sent after `auth` (right after it, or later on the open socket) by a client
 * whose vault is unlocked: Ed25519 by the account's identity key over
 * socketUnlockPayload(nonce, user, device), the same challenge nonce. Until
 * it verifies, the socket may receive, ack and ping but not `send`.
 */
export const UnlockFrameSchema = v.strictObject({
  t: v.literal('unlock'),
  signature: bytesSchema(ED25519_SIGNATURE_BYTES),
});

/** One recipient device; `body` may be omitted when the frame carries a shared body. */
export const SendDeviceSchema = v.strictObject({
  device: DeviceIdSchema,
  body: v.exactOptional(BodySchema),
});

/**
 * One addressed account. An empty `devices` names the account without
 * knowing any of its devices (a sender's own account with no other device it
 * knows of): the relay checks it all the same and answers `mismatch` with
 * every routed device `missing` (docs/wire.md, "Send, store, deliver, ack").
 */
export const SendRecipientSchema = v.strictObject({
  user: UserIdSchema,
  devices: v.pipe(
    v.array(SendDeviceSchema),
    v.maxLength(MAX_DEVICES_PER_USER),
    uniqueBy((d: v.InferOutput<typeof SendDeviceSchema>) => d.device),
  ),
});

const SendFrameObjectSchema = v.strictObject({
  t: v.literal('send'),
  id: MessageIdSchema,
  to: v.pipe(
    v.array(SendRecipientSchema),
    v.minLength(1),
    v.maxLength(SEND_MAX_RECIPIENT_USERS),
    uniqueBy((r: v.InferOutput<typeof SendRecipientSchema>) => r.user),
  ),
  /** Shared ciphertext for every device entry without its own body (Sender Keys fan-out). */
  body: v.exactOptional(BodySchema),
  expiresAt: v.exactOptional(TimestampSchema),
  /** Deliver only to connected devices, never store (typing indicators). */
  transient: v.exactOptional(v.boolean()),
});

type SendFrameFields = v.InferOutput<typeof SendFrameObjectSchema>;

/** Every body of a transient send (shared and per device) within TRANSIENT_BODY_MAX_BYTES. */
function transientBodiesFit(frame: SendFrameFields): boolean {
  if (frame.body !== undefined && frame.body.byteLength > TRANSIENT_BODY_MAX_BYTES) return false;
  for (const recipient of frame.to) {
    for (const device of recipient.devices) {
      if (device.body !== undefined && device.body.byteLength > TRANSIENT_BODY_MAX_BYTES)
        return false;
    }
  }
  return true;
}

/**
 * Cross-field rules of `send`: every device gets a body (its own, or the
 * frame's shared `body`), and a transient frame (never stored) has no expiry.
 */
const sendRules = v.rawCheck<SendFrameFields>(({ dataset, addIssue }) => {
  if (!dataset.typed) return;
  const frame = dataset.value;
  if (frame.transient === true && frame.expiresAt !== undefined) {
    addIssue({
      message: 'transient frames cannot expire',
      expected: 'not_with_transient',
      path: [
        { type: 'object', origin: 'value', input: frame, key: 'expiresAt', value: frame.expiresAt },
      ],
    });
    return;
  }
  if (frame.transient === true && !transientBodiesFit(frame)) {
    addIssue({
      message: `transient bodies are at most ${TRANSIENT_BODY_MAX_BYTES} bytes`,
      expected: 'transient_body_size',
      path: [{ type: 'object', origin: 'value', input: frame, key: 'to', value: frame.to }],
    });
    return;
  }
  if (frame.body !== undefined) return;
  for (let i = 0; i < frame.to.length; i++) {
    const recipient = frame.to[i] as SendFrameFields['to'][number];
    for (let j = 0; j < recipient.devices.length; j++) {
      const device = recipient.devices[j] as SendFrameFields['to'][number]['devices'][number];
      if (device.body === undefined) {
        addIssue({
          message: 'device without body',
          expected: 'missing_field',
          path: [
            { type: 'object', origin: 'value', input: frame, key: 'to', value: frame.to },
            { type: 'array', origin: 'value', input: frame.to, key: i, value: recipient },
            {
              type: 'object',
              origin: 'value',
              input: recipient,
              key: 'devices',
              value: recipient.devices,
            },
            { type: 'array', origin: 'value', input: recipient.devices, key: j, value: device },
            { type: 'object', origin: 'value', input: device, key: 'body', value: undefined },
          ],
        });
        return;
      }
    }
  }
});

/**
 * One client message to many devices. The relay stores a copy per device
 * (all or nothing) and answers `stored`, or `mismatch` if the device lists
 * are stale. `id` is unique per sending device; resending the same id is
 * idempotent.
 */
export const SendFrameSchema = v.pipe(SendFrameObjectSchema, sendRules);

/** The recipient has decrypted and persisted these deliveries: the relay may delete them. */
export const AckFrameSchema = v.strictObject({
  t: v.literal('ack'),
  qids: v.pipe(v.array(QueueIdSchema), v.minLength(1), v.maxLength(ACK_MAX_QIDS)),
});

/** Keepalive, at least every KEEPALIVE_INTERVAL_MS; the relay echoes `n` in `pong`. */
export const PingFrameSchema = v.strictObject({
  t: v.literal('ping'),
  n: Uint32Schema,
});

// ---------------------------------------------------------------------------
// Relay -> client

/** First frame on every socket. */
export const ChallengeFrameSchema = v.strictObject({
  t: v.literal('challenge'),
  nonce: bytesSchema(CHALLENGE_NONCE_BYTES),
  serverTime: TimestampSchema,
});

/** Authentication succeeded; queued deliveries follow, then `drained`. */
export const ReadyFrameSchema = v.strictObject({
  t: v.literal('ready'),
  user: UserIdSchema,
  device: DeviceIdSchema,
  /** Messages waiting in this device's queue. */
  queued: uintSchema(Number.MAX_SAFE_INTEGER),
  /** One-time prekeys the relay still holds for this device (refill below 20). */
  oneTimePreKeys: Uint32Schema,
  /** One-time ML-KEM prekeys it still holds (refill below 10); absent from older relays. */
  oneTimeKemPreKeys: v.optional(Uint32Schema),
});

/** Every copy of send `id` is durably queued (or, for transient, handed to live sockets). */
export const StoredFrameSchema = v.strictObject({
  t: v.literal('stored'),
  id: MessageIdSchema,
  serverTime: TimestampSchema,
});

const deviceIdList = v.pipe(
  v.array(DeviceIdSchema),
  v.maxLength(MAX_DEVICES_PER_USER),
  uniqueBy((d: number) => d),
);

export const MismatchUserSchema = v.pipe(
  v.strictObject({
    user: UserIdSchema,
    /** Registered devices the frame did not address: fetch their bundles and add them. */
    missing: deviceIdList,
    /** Addressed devices the account never had (or the sender itself): drop them. */
    extra: deviceIdList,
    /** Addressed devices that were removed: drop them and their sessions. */
    stale: deviceIdList,
  }),
  v.check((u) => u.missing.length + u.extra.length + u.stale.length > 0),
);

/** Nothing of send `id` was stored: fix these device lists and resend (same id). */
export const MismatchFrameSchema = v.strictObject({
  t: v.literal('mismatch'),
  id: MessageIdSchema,
  users: v.pipe(
    v.array(MismatchUserSchema),
    v.minLength(1),
    v.maxLength(SEND_MAX_RECIPIENT_USERS),
    uniqueBy((u: v.InferOutput<typeof MismatchUserSchema>) => u.user),
  ),
});

/** One queued (or, without `qid`, transient) message. */
export const DeliverFrameSchema = v.strictObject({
  t: v.literal('deliver'),
  /** Present for stored messages: ack it after decrypting and persisting. Absent: transient, do not ack. */
  qid: v.exactOptional(QueueIdSchema),
  id: MessageIdSchema,
  from: UserIdSchema,
  fromDevice: DeviceIdSchema,
  body: BodySchema,
  /** Relay time at which the message was accepted. */
  sentAt: TimestampSchema,
  expiresAt: v.exactOptional(TimestampSchema),
});

/** The backlog has been sent; deliveries from now on are live. */
export const DrainedFrameSchema = v.strictObject({
  t: v.literal('drained'),
});

export const PongFrameSchema = v.strictObject({
  t: v.literal('pong'),
  n: Uint32Schema,
});

/** A rejected frame or a relay-side failure; `ref` names the send it concerns. */
export const ErrorFrameSchema = v.strictObject({
  t: v.literal('error'),
  code: ErrorCodeSchema,
  message: ErrorMessageSchema,
  ref: v.exactOptional(MessageIdSchema),
  retryAfterMs: v.exactOptional(uintSchema(RETRY_AFTER_MAX_MS)),
});

// ---------------------------------------------------------------------------
// Lookup tables and types

export const clientFrameSchemas = {
  auth: AuthFrameSchema,
  unlock: UnlockFrameSchema,
  send: SendFrameSchema,
  ack: AckFrameSchema,
  ping: PingFrameSchema,
} as const;

export const serverFrameSchemas = {
  challenge: ChallengeFrameSchema,
  ready: ReadyFrameSchema,
  stored: StoredFrameSchema,
  mismatch: MismatchFrameSchema,
  deliver: DeliverFrameSchema,
  drained: DrainedFrameSchema,
  pong: PongFrameSchema,
  error: ErrorFrameSchema,
} as const;

export type AuthFrame = v.InferOutput<typeof AuthFrameSchema>;
export type UnlockFrame = v.InferOutput<typeof UnlockFrameSchema>;
export type SendFrame = v.InferOutput<typeof SendFrameSchema>;
export type SendRecipient = v.InferOutput<typeof SendRecipientSchema>;
export type SendDevice = v.InferOutput<typeof SendDeviceSchema>;
export type AckFrame = v.InferOutput<typeof AckFrameSchema>;
export type PingFrame = v.InferOutput<typeof PingFrameSchema>;
export type ChallengeFrame = v.InferOutput<typeof ChallengeFrameSchema>;
export type ReadyFrame = v.InferOutput<typeof ReadyFrameSchema>;
export type StoredFrame = v.InferOutput<typeof StoredFrameSchema>;
export type MismatchFrame = v.InferOutput<typeof MismatchFrameSchema>;
export type MismatchUser = v.InferOutput<typeof MismatchUserSchema>;
export type DeliverFrame = v.InferOutput<typeof DeliverFrameSchema>;
export type DrainedFrame = v.InferOutput<typeof DrainedFrameSchema>;
export type PongFrame = v.InferOutput<typeof PongFrameSchema>;
export type ErrorFrame = v.InferOutput<typeof ErrorFrameSchema>;

export type ClientFrameType = keyof typeof clientFrameSchemas;
export type ServerFrameType = keyof typeof serverFrameSchemas;
export type ClientFrame = v.InferOutput<(typeof clientFrameSchemas)[ClientFrameType]>;
export type ServerFrame = v.InferOutput<(typeof serverFrameSchemas)[ServerFrameType]>;
export type ClientFrameOf<T extends ClientFrameType> = Extract<ClientFrame, { t: T }>;
export type ServerFrameOf<T extends ServerFrameType> = Extract<ServerFrame, { t: T }>;
