/**
 * Sender Keys for group messages (Signal/WhatsApp style). Each member device
 * has, per group distribution id, a sending chain (chain id, iteration, chain
 * key) and an Ed25519 signing key. It hands both to every other member in a
 * distribution message over the pairwise sessions; afterwards one encryption
 * per group message serves all members, and every message is signed so
 * members holding the chain key still cannot forge each other's messages.
 *
 * Pure: values in, values out. Randomness and the clock come in as `deps`;
 * nothing is mutated, so a failed decryption leaves the caller's record as it
 * was (transactional by construction).
 *
 * Wire formats (all integers big-endian):
 *   distribution: 0x01 0x04 | distributionId 16 | chainId u32 | iteration u32 | chainKey 32 | signingKey 32
 *   message:      0x01 0x03 | distributionId 16 | chainId u32 | iteration u32 | AES-256-GCM ct | sig 64
 * The AEAD's AAD is the 26-byte header plus Encode(sender identity), so the
 * ciphertext is bound to its type, version, position and sender; the signature
 * covers everything before it (SignatureContext.SENDER_KEY_MESSAGE).
 */
import { type Bytes, concat, equalBytes, wipe } from '../bytes.ts';
import { ErrorCode, fail } from '../errors.ts';
import { openSmall, sealSmall } from './aead.ts';
import {
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SIGNATURE_BYTES,
  generateSigningKeyPair,
  type SigningKeyPair,
  signWithContext,
  verifyWithContext,
} from './ed25519.ts';
import { hkdf, kdfChain } from './kdf.ts';
import { Label, SignatureContext } from './labels.ts';
import { MAX_RECEIVER_CHAINS, MAX_SKIP } from './limits.ts';
import { MessageType, PROTOCOL_VERSION } from './message-format.ts';
import { pad, unpad } from './padding.ts';
import type { Random } from './random.ts';
import { isExpired, SkippedKeyStore, type StoredMessageKey } from './skipped-keys.ts';

export const SENDER_KEY_VERSION = PROTOCOL_VERSION;
/**
 * Type bytes, from the registry shared with the pairwise formats
 * (message-format.ts), so no payload is ever accepted as another type.
 */
export const SenderKeyMessageType = {
  GROUP_MESSAGE: MessageType.SENDER_KEY_MESSAGE,
  DISTRIBUTION: MessageType.SENDER_KEY_DISTRIBUTION,
} as const;

export const DISTRIBUTION_ID_BYTES = 16;
export const CHAIN_KEY_BYTES = 32;
/** Encode(identity) = 0x01 || X25519 key || Ed25519 key. */
export const SENDER_IDENTITY_BYTES = 65;

const HEADER_BYTES = 2 + DISTRIBUTION_ID_BYTES + 4 + 4;
export const DISTRIBUTION_MESSAGE_BYTES = HEADER_BYTES + CHAIN_KEY_BYTES + ED25519_PUBLIC_KEY_BYTES;
const GCM_TAG_BYTES = 16;
const MIN_GROUP_MESSAGE_BYTES = HEADER_BYTES + GCM_TAG_BYTES + ED25519_SIGNATURE_BYTES;
const MAX_ITERATION = 0xffff_fffe; // keeps "next iteration" a u32
const AES_KEY_BYTES = 32;
const NONCE_BYTES = 12;

export interface SenderKeyDeps {
  readonly random: Random;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
}

/** Our own sending chain for one distribution id. Holds a private key: store it encrypted. */
export interface SenderKeyState {
  readonly distributionId: Bytes;
  readonly chainId: number;
  /** Iteration of the next message we send. */
  readonly iteration: number;
  readonly chainKey: Bytes;
  readonly signingKey: SigningKeyPair;
}

/** A skipped key of a Sender Key chain. */
export interface SkippedMessageKey extends StoredMessageKey {
  readonly iteration: number;
}

/** The skipped keys of one Sender Key chain (same store and rules as pairwise sessions). */
export type SkippedMessageKeys = SkippedKeyStore<SkippedMessageKey>;
export const NO_SKIPPED_KEYS = SkippedKeyStore.empty<SkippedMessageKey>((k) => String(k.iteration));

/** One sending chain of a remote sender, as we know it. */
export interface ReceiverChain {
  readonly chainId: number;
  /** Iteration of the next message we expect; `chainKey` belongs to it. */
  readonly iteration: number;
  readonly chainKey: Bytes;
  readonly signingPublicKey: Bytes;
  /** Keys of messages not yet received, oldest first. */
  readonly skipped: SkippedMessageKeys;
}

/** Everything we know about one (distribution id, sender device): newest chain first. */
export interface SenderKeyRecord {
  readonly distributionId: Bytes;
  readonly chains: readonly ReceiverChain[];
}

export interface DistributionMessage {
  readonly distributionId: Bytes;
  readonly chainId: number;
  readonly iteration: number;
  readonly chainKey: Bytes;
  readonly signingPublicKey: Bytes;
}

export interface GroupMessageHeader {
  readonly distributionId: Bytes;
  readonly chainId: number;
  readonly iteration: number;
}

export interface GroupDecryptResult {
  readonly record: SenderKeyRecord;
  readonly plaintext: Bytes;
  readonly chainId: number;
  readonly iteration: number;
}

// ---------------------------------------------------------------- arguments

function checkDistributionId(id: Uint8Array): void {
  if (!(id instanceof Uint8Array) || id.length !== DISTRIBUTION_ID_BYTES) {
    fail(
      ErrorCode.BAD_ARGUMENT,
      `Sender key: distribution id must be ${DISTRIBUTION_ID_BYTES} bytes`,
    );
  }
}

function checkSenderIdentity(identity: Uint8Array): void {
  if (!(identity instanceof Uint8Array) || identity.length !== SENDER_IDENTITY_BYTES) {
    fail(
      ErrorCode.BAD_ARGUMENT,
      `Sender key: sender identity must be ${SENDER_IDENTITY_BYTES} bytes (Encode(IK))`,
    );
  }
}

// A caller's type error or a broken clock or random source is a bug, not an outcome
// (shared/errors.ts): TypeError / RangeError, as in noble.
function checkBytes(value: Uint8Array, what: string): void {
  if (!(value instanceof Uint8Array)) throw new TypeError(`Sender key: ${what} must be bytes`);
}

function readNow(deps: Pick<SenderKeyDeps, 'now'>): number {
  const now = deps.now();
  if (!Number.isSafeInteger(now) || now < 0)
    throw new RangeError('Sender key: clock returned an invalid time');
  return now;
}

// ---------------------------------------------------------------- encodings

function writeHeader(
  out: Uint8Array,
  type: number,
  distributionId: Uint8Array,
  chainId: number,
  iteration: number,
): void {
  out[0] = SENDER_KEY_VERSION;
  out[1] = type;
  out.set(distributionId, 2);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(2 + DISTRIBUTION_ID_BYTES, chainId);
  view.setUint32(2 + DISTRIBUTION_ID_BYTES + 4, iteration);
}

function readHeader(bytes: Uint8Array, expectedType: number, what: string): GroupMessageHeader {
  if (!(bytes instanceof Uint8Array) || bytes.length < 2) {
    fail(ErrorCode.MESSAGE_MALFORMED, `Cannot decode ${what}: too short`);
  }
  if (bytes[0] !== SENDER_KEY_VERSION) {
    fail(ErrorCode.MESSAGE_VERSION, `Cannot decode ${what}: unsupported version (${bytes[0]})`, {
      version: bytes[0] as number,
    });
  }
  if (bytes[1] !== expectedType) {
    fail(ErrorCode.MESSAGE_TYPE, `Cannot decode ${what}: wrong message type (${bytes[1]})`, {
      expected: expectedType,
      actual: bytes[1] as number,
    });
  }
  if (bytes.length < HEADER_BYTES)
    fail(ErrorCode.MESSAGE_MALFORMED, `Cannot decode ${what}: too short`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    distributionId: bytes.slice(2, 2 + DISTRIBUTION_ID_BYTES),
    chainId: view.getUint32(2 + DISTRIBUTION_ID_BYTES),
    iteration: view.getUint32(2 + DISTRIBUTION_ID_BYTES + 4),
  };
}

export function encodeDistributionMessage(message: DistributionMessage): Bytes {
  checkDistributionId(message.distributionId);
  if (
    message.chainKey.length !== CHAIN_KEY_BYTES ||
    message.signingPublicKey.length !== ED25519_PUBLIC_KEY_BYTES
  ) {
    throw new RangeError('Sender key: chain key and signing key must be 32 bytes');
  }
  const out = new Uint8Array(DISTRIBUTION_MESSAGE_BYTES);
  writeHeader(
    out,
    SenderKeyMessageType.DISTRIBUTION,
    message.distributionId,
    message.chainId,
    message.iteration,
  );
  out.set(message.chainKey, HEADER_BYTES);
  out.set(message.signingPublicKey, HEADER_BYTES + CHAIN_KEY_BYTES);
  return out;
}

export function decodeDistributionMessage(bytes: Uint8Array): DistributionMessage {
  const header = readHeader(bytes, SenderKeyMessageType.DISTRIBUTION, 'sender key distribution');
  if (bytes.length !== DISTRIBUTION_MESSAGE_BYTES) {
    fail(
      ErrorCode.MESSAGE_MALFORMED,
      `Cannot decode sender key distribution: expected ${DISTRIBUTION_MESSAGE_BYTES} bytes, got ${bytes.length}`,
    );
  }
  return {
    ...header,
    chainKey: bytes.slice(HEADER_BYTES, HEADER_BYTES + CHAIN_KEY_BYTES),
    signingPublicKey: bytes.slice(HEADER_BYTES + CHAIN_KEY_BYTES),
  };
}

/** Reads the routing fields of a group message (not authenticated until decrypted). */
export function parseGroupMessageHeader(bytes: Uint8Array): GroupMessageHeader {
  const header = readHeader(bytes, SenderKeyMessageType.GROUP_MESSAGE, 'group message');
  if (bytes.length < MIN_GROUP_MESSAGE_BYTES) {
    fail(
      ErrorCode.MESSAGE_MALFORMED,
      `Cannot decode group message: too short (${bytes.length} bytes)`,
    );
  }
  return header;
}

// ---------------------------------------------------------------- sending side

function randomChainId(random: Random, avoid?: number): number {
  for (;;) {
    const b = random(4);
    const id = new DataView(b.buffer, b.byteOffset, 4).getUint32(0);
    if (id !== avoid) return id;
  }
}

/** A fresh sending chain and signing key for `distributionId`, starting at iteration 0. */
export async function createSenderKey(
  deps: Pick<SenderKeyDeps, 'random'>,
  distributionId: Uint8Array,
): Promise<SenderKeyState> {
  checkDistributionId(distributionId);
  return freshState(deps.random, distributionId.slice(), undefined);
}

/**
 * Replaces our chain and signing key (after a member leaves, or periodically):
 * new chain id, new chain key, new signing key. Send the new distribution
 * message to the remaining members; they keep the old chain for late messages.
 */
export function rotateSenderKey(
  deps: Pick<SenderKeyDeps, 'random'>,
  state: SenderKeyState,
): Promise<SenderKeyState> {
  return freshState(deps.random, state.distributionId, state.chainId);
}

async function freshState(
  random: Random,
  distributionId: Bytes,
  previousChainId: number | undefined,
): Promise<SenderKeyState> {
  const chainKey = random(CHAIN_KEY_BYTES);
  if (chainKey.length !== CHAIN_KEY_BYTES)
    throw new RangeError('Sender key: random source returned too few bytes');
  return {
    distributionId,
    chainId: randomChainId(random, previousChainId),
    iteration: 0,
    chainKey,
    signingKey: await generateSigningKeyPair(true),
  };
}

/** What the group layer sends to each member over the pairwise sessions. */
export function createDistributionMessage(state: SenderKeyState): Bytes {
  return encodeDistributionMessage({
    distributionId: state.distributionId,
    chainId: state.chainId,
    iteration: state.iteration,
    chainKey: state.chainKey,
    signingPublicKey: state.signingKey.publicKey,
  });
}

function cipherKeys(messageKey: Uint8Array): { key: Bytes; nonce: Bytes; material: Bytes } {
  const material = hkdf(
    messageKey,
    undefined,
    Label.GROUP_MESSAGE_KEYS,
    AES_KEY_BYTES + NONCE_BYTES,
  );
  return {
    key: material.subarray(0, AES_KEY_BYTES),
    nonce: material.subarray(AES_KEY_BYTES),
    material,
  };
}

/**
 * Encrypts one group message. `senderIdentity` is our own Encode(IK); members
 * decrypt with the identity the group layer attributes the message to.
 */
export async function encryptGroupMessage(
  state: SenderKeyState,
  plaintext: Uint8Array,
  senderIdentity: Uint8Array,
): Promise<{ state: SenderKeyState; message: Bytes }> {
  checkBytes(plaintext, 'plaintext');
  checkSenderIdentity(senderIdentity);
  if (state.iteration > MAX_ITERATION) {
    fail(ErrorCode.BAD_ARGUMENT, 'Sender key: chain exhausted, rotate the sender key');
  }
  const step = kdfChain(state.chainKey);
  const padded = pad(plaintext);
  const { key, nonce, material } = cipherKeys(step.messageKey);
  const body = new Uint8Array(HEADER_BYTES + padded.length + GCM_TAG_BYTES);
  writeHeader(
    body,
    SenderKeyMessageType.GROUP_MESSAGE,
    state.distributionId,
    state.chainId,
    state.iteration,
  );
  const header = body.subarray(0, HEADER_BYTES);
  body.set(sealSmall(key, nonce, padded, concat(header, senderIdentity)), HEADER_BYTES);
  wipe(material, step.messageKey, padded);
  const signature = await signWithContext(
    state.signingKey.privateKey,
    SignatureContext.SENDER_KEY_MESSAGE,
    body,
  );
  return {
    state: { ...state, iteration: state.iteration + 1, chainKey: step.chainKey },
    message: concat(body, signature),
  };
}

// ---------------------------------------------------------------- receiving side

/**
 * Adds the chain announced by a distribution message. A repeated message for
 * a chain we already have keeps our state (a replayed distribution must not
 * rewind the chain and re-open old messages); the same chain id with another
 * signing key replaces it. At most MAX_RECEIVER_CHAINS chains are kept.
 */
export function processDistributionMessage(
  record: SenderKeyRecord | undefined,
  distribution: Uint8Array,
): SenderKeyRecord {
  const message = decodeDistributionMessage(distribution);
  if (record !== undefined && !equalBytes(record.distributionId, message.distributionId)) {
    fail(
      ErrorCode.BAD_ARGUMENT,
      'Sender key: distribution message belongs to another distribution id',
    );
  }
  const existing = record?.chains.find(
    (c) =>
      c.chainId === message.chainId && equalBytes(c.signingPublicKey, message.signingPublicKey),
  );
  const chain: ReceiverChain = existing ?? {
    chainId: message.chainId,
    iteration: message.iteration,
    chainKey: message.chainKey,
    signingPublicKey: message.signingPublicKey,
    skipped: NO_SKIPPED_KEYS,
  };
  const others = (record?.chains ?? []).filter((c) => c.chainId !== message.chainId);
  return {
    distributionId: message.distributionId,
    chains: [chain, ...others].slice(0, MAX_RECEIVER_CHAINS),
  };
}

interface KeySearch {
  readonly messageKey: Bytes;
  readonly chain: ReceiverChain;
}

/** Finds or derives the message key for `iteration`, returning the chain as it would be afterwards. */
function messageKeyFor(chain: ReceiverChain, iteration: number, now: number): KeySearch {
  if (iteration < chain.iteration) {
    const found = chain.skipped.get({ iteration });
    if (found === undefined) {
      fail(
        ErrorCode.DUPLICATE_MESSAGE,
        'Group message already received (or its key was discarded)',
        {
          iteration,
        },
      );
    }
    if (isExpired(found, now)) {
      fail(ErrorCode.MESSAGE_KEY_EXPIRED, 'Group message arrived after its skipped key expired', {
        iteration,
      });
    }
    return {
      messageKey: found.messageKey,
      chain: { ...chain, skipped: chain.skipped.without({ iteration }) },
    };
  }
  const gap = iteration - chain.iteration;
  if (gap > MAX_SKIP) {
    fail(ErrorCode.TOO_MANY_SKIPPED, `Group message skips too many keys (${gap} > ${MAX_SKIP})`, {
      gap,
      max: MAX_SKIP,
    });
  }
  const fresh: SkippedMessageKey[] = [];
  let chainKey: Bytes = chain.chainKey;
  for (let i = chain.iteration; i < iteration; i++) {
    const step = kdfChain(chainKey);
    fresh.push({ iteration: i, messageKey: step.messageKey, storedAt: now });
    chainKey = step.chainKey;
  }
  const step = kdfChain(chainKey);
  return {
    messageKey: step.messageKey,
    chain: {
      ...chain,
      iteration: iteration + 1,
      chainKey: step.chainKey,
      skipped: chain.skipped.withoutExpired(now).withAdded(fresh),
    },
  };
}

/**
 * Verifies and decrypts a group message from the sender whose record this is.
 * `senderIdentity` is that sender's Encode(IK) as the group layer knows it.
 * On any failure it throws and the given record stays valid and unchanged.
 */
export async function decryptGroupMessage(
  deps: Pick<SenderKeyDeps, 'now'>,
  record: SenderKeyRecord,
  message: Uint8Array,
  senderIdentity: Uint8Array,
): Promise<GroupDecryptResult> {
  checkSenderIdentity(senderIdentity);
  const header = parseGroupMessageHeader(message);
  if (!equalBytes(header.distributionId, record.distributionId)) {
    fail(ErrorCode.SENDER_KEY_MISSING, 'No sender key for this distribution id');
  }
  const chainIndex = record.chains.findIndex((c) => c.chainId === header.chainId);
  const chain = record.chains[chainIndex];
  if (chain === undefined) {
    fail(
      ErrorCode.SENDER_KEY_MISSING,
      'No sender key for this chain (ask the sender to redistribute)',
      {
        chainId: header.chainId,
      },
    );
  }
  const signedLength = message.length - ED25519_SIGNATURE_BYTES;
  const body = message.subarray(0, signedLength);
  await verifyWithContext(
    chain.signingPublicKey,
    message.subarray(signedLength),
    'Group message',
    SignatureContext.SENDER_KEY_MESSAGE,
    body,
  );
  if (header.iteration > MAX_ITERATION) {
    fail(ErrorCode.MESSAGE_MALFORMED, 'Cannot decode group message: iteration out of range');
  }
  const found = messageKeyFor(chain, header.iteration, readNow(deps));
  const { key, nonce, material } = cipherKeys(found.messageKey);
  const aad = concat(body.subarray(0, HEADER_BYTES), senderIdentity);
  let padded: Bytes;
  try {
    padded = openSmall(key, nonce, body.subarray(HEADER_BYTES), aad);
  } finally {
    wipe(material);
  }
  const plaintext = unpad(padded);
  wipe(padded);
  const chains = record.chains.slice();
  chains[chainIndex] = found.chain;
  return {
    record: { distributionId: record.distributionId, chains },
    plaintext,
    chainId: header.chainId,
    iteration: header.iteration,
  };
}
