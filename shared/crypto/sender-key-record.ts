/**
 * Stored Sender Key state (our sending chain, and what we know of each remote
 * sender's chains): versioned bytes for the encrypted vault. The message
 * formats are in sender-key-message.ts, the chains in sender-key-chain.ts;
 * this is only the at-rest form.
 */
import { type Bytes, equalBytes, fromBase64Url, wipe } from '../bytes.ts';
import { ErrorCode, fail, ParleyError } from '../errors.ts';
import { ByteReader, ByteWriter } from './byte-codec.ts';
import { ED25519_PUBLIC_KEY_BYTES, exportSigningPrivate, importSigningPrivate } from './ed25519.ts';
import { MAX_RECEIVER_CHAINS, MAX_STORED_SKIPPED_KEYS } from './limits.ts';
import {
  NO_SKIPPED_KEYS,
  type ReceiverChain,
  type SenderKeyRecord,
  type SenderKeyState,
  type SkippedMessageKey,
} from './sender-key-chain.ts';
import { CHAIN_KEY_BYTES, DISTRIBUTION_ID_BYTES } from './sender-key-message.ts';

/*
 * Stored state, format 1 (integers big-endian), written and read with the same
 * ByteWriter/ByteReader as session state (session-codec.ts):
 *   record: 0x01 0x01 | distributionId 16 | u8 chains, each:
 *           chainId u32 | iteration u32 | chainKey 32 | signingKey 32 | u16 n |
 *           n x (iteration u32 | messageKey 32 | storedAt f64)
 *   sender: 0x01 0x02 | distributionId 16 | chainId u32 | iteration u32 | chainKey 32 |
 *           signing public 32 | signing private 32
 * sender-key-record.compat.test.ts holds stored bytes that must keep decoding.
 */
const STATE_FORMAT_VERSION = 1;
const KIND_RECORD = 1;
const KIND_SENDER = 2;
const MESSAGE_KEY_BYTES = 32;
const SKIPPED_BYTES = 4 + MESSAGE_KEY_BYTES + 8;
const CHAIN_FIXED_BYTES = 4 + 4 + CHAIN_KEY_BYTES + ED25519_PUBLIC_KEY_BYTES + 2;
const SIGNING_PRIVATE_BYTES = 32;

function corrupt(reason: string): ParleyError {
  return new ParleyError(ErrorCode.STATE_CORRUPT, `Cannot decode sender key state: ${reason}`);
}

/** Checks version and kind; returns a reader positioned after them. */
function stateReader(bytes: Uint8Array, kind: number): ByteReader {
  if (!(bytes instanceof Uint8Array) || bytes.length < 2) throw corrupt('too short');
  if (bytes[0] !== STATE_FORMAT_VERSION) {
    fail(
      ErrorCode.STATE_VERSION,
      `Cannot decode sender key state: unsupported version (${bytes[0]})`,
      {
        version: bytes[0] as number,
      },
    );
  }
  if (bytes[1] !== kind) throw corrupt('wrong kind of state');
  const reader = new ByteReader(bytes, ErrorCode.STATE_CORRUPT, 'sender key state');
  reader.u8();
  reader.u8();
  return reader;
}

/** Versioned bytes; contains chain and message keys, so store them encrypted. */
export function serializeSenderKeyRecord(record: SenderKeyRecord): Bytes {
  let length = 2 + DISTRIBUTION_ID_BYTES + 1;
  for (const c of record.chains) length += CHAIN_FIXED_BYTES + c.skipped.size * SKIPPED_BYTES;
  const w = new ByteWriter(length)
    .u8(STATE_FORMAT_VERSION)
    .u8(KIND_RECORD)
    .bytes(record.distributionId)
    .u8(record.chains.length);
  for (const c of record.chains) {
    w.u32(c.chainId).u32(c.iteration).bytes(c.chainKey).bytes(c.signingPublicKey);
    w.u16(c.skipped.size);
    for (const k of c.skipped.values()) w.u32(k.iteration).bytes(k.messageKey).f64(k.storedAt);
  }
  return w.finish();
}

export function deserializeSenderKeyRecord(bytes: Uint8Array): SenderKeyRecord {
  const r = stateReader(bytes, KIND_RECORD);
  const distributionId = r.bytes(DISTRIBUTION_ID_BYTES);
  const chainCount = r.u8();
  if (chainCount < 1 || chainCount > MAX_RECEIVER_CHAINS) r.fail('bad chain count');
  const chains: ReceiverChain[] = [];
  for (let n = 0; n < chainCount; n++) {
    const chainId = r.u32();
    const iteration = r.u32();
    const chainKey = r.bytes(CHAIN_KEY_BYTES);
    const signingPublicKey = r.bytes(ED25519_PUBLIC_KEY_BYTES);
    const skippedCount = r.u16();
    if (skippedCount > MAX_STORED_SKIPPED_KEYS) r.fail('too many skipped keys');
    if (chains.some((c) => c.chainId === chainId)) r.fail('duplicate chain id');
    if (r.remaining < skippedCount * SKIPPED_BYTES) r.fail('truncated');
    const skipped: SkippedMessageKey[] = [];
    for (let k = 0; k < skippedCount; k++) {
      const skippedIteration = r.u32();
      const messageKey = r.bytes(MESSAGE_KEY_BYTES);
      const storedAt = r.f64();
      if (skippedIteration >= iteration || !Number.isSafeInteger(storedAt) || storedAt < 0)
        r.fail('bad skipped key');
      skipped.push({ iteration: skippedIteration, messageKey, storedAt });
    }
    const store = NO_SKIPPED_KEYS.of(skipped);
    if (store.size !== skippedCount) r.fail('duplicate skipped keys');
    chains.push({ chainId, iteration, chainKey, signingPublicKey, skipped: store });
  }
  r.end();
  return { distributionId, chains };
}

/** Versioned bytes including the signing private key: store them encrypted. */
export async function serializeSenderKeyState(state: SenderKeyState): Promise<Bytes> {
  const privateKey = await exportSigningPrivate(state.signingKey.privateKey);
  const out = new ByteWriter(
    2 +
      DISTRIBUTION_ID_BYTES +
      8 +
      CHAIN_KEY_BYTES +
      ED25519_PUBLIC_KEY_BYTES +
      SIGNING_PRIVATE_BYTES,
  )
    .u8(STATE_FORMAT_VERSION)
    .u8(KIND_SENDER)
    .bytes(state.distributionId)
    .u32(state.chainId)
    .u32(state.iteration)
    .bytes(state.chainKey)
    .bytes(state.signingKey.publicKey)
    .bytes(privateKey)
    .finish();
  wipe(privateKey);
  return out;
}

export async function deserializeSenderKeyState(bytes: Uint8Array): Promise<SenderKeyState> {
  const r = stateReader(bytes, KIND_SENDER);
  const distributionId = r.bytes(DISTRIBUTION_ID_BYTES);
  const chainId = r.u32();
  const iteration = r.u32();
  const chainKey = r.bytes(CHAIN_KEY_BYTES);
  const publicKey = r.bytes(ED25519_PUBLIC_KEY_BYTES);
  const rawPrivate = r.bytes(SIGNING_PRIVATE_BYTES);
  r.end();
  const privateKey = await importSigningPrivate(rawPrivate, true).catch(() => {
    throw corrupt('bad signing key');
  });
  wipe(rawPrivate);
  // The public half is derived, not trusted: a mismatched pair would sign
  // messages no member can verify.
  const jwk = await crypto.subtle.exportKey('jwk', privateKey);
  if (jwk.x === undefined || !equalBytes(fromBase64Url(jwk.x), publicKey))
    throw corrupt('signing key pair mismatch');
  return { distributionId, chainId, iteration, chainKey, signingKey: { publicKey, privateKey } };
}
