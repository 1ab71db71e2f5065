/**
 * Sender Keys for group messages (Signal/WhatsApp style). Each member device
 * has, per group distribution id, a sending chain (chain id, iteration, chain
 * key) and an Ed25519 signing key. It hands both to every other member in a
 * distribution message over the pairwise sessions; afterwards one encryption
 * per group message serves all members, and every message is signed so
 * members holding the chain key still cannot forge each other's messages.
 *
 * This module encrypts and decrypts group messages. The pieces it joins:
 *   sender-key-message.ts  the wire formats (distribution message, message header)
 *   sender-key-chain.ts    sending and receiving chains, distribution handling
 *   sender-key-record.ts   the chains at rest (versioned bytes for the vault)
 *
 * Pure: values in, values out. Randomness and the clock come in as `deps`;
 * nothing is mutated, so a failed decryption leaves the caller's record as it
 * was (transactional by construction).
 */
import { type Bytes, concat, equalBytes, wipe } from '../bytes.ts';
import { ErrorCode, fail } from '../errors.ts';
import { AES_KEY_BYTES, GCM_NONCE_BYTES, GCM_TAG_BYTES, openSmall, sealSmall } from './aead.ts';
import { ED25519_SIGNATURE_BYTES, signWithContext, verifyWithContext } from './ed25519.ts';
import { hkdf, kdfChain } from './kdf.ts';
import { Label, SignatureContext } from './labels.ts';
import { pad, unpad } from './padding.ts';
import {
  messageKeyFor,
  type SenderKeyDeps,
  type SenderKeyRecord,
  type SenderKeyState,
} from './sender-key-chain.ts';
import {
  MAX_ITERATION,
  parseGroupMessageHeader,
  SENDER_KEY_HEADER_BYTES,
  SenderKeyMessageType,
  writeSenderKeyHeader,
} from './sender-key-message.ts';

/** Encode(identity) = 0x01 || X25519 key || Ed25519 key. */
export const SENDER_IDENTITY_BYTES = 65;

export interface GroupDecryptResult {
  readonly record: SenderKeyRecord;
  readonly plaintext: Bytes;
  readonly chainId: number;
  readonly iteration: number;
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

function cipherKeys(messageKey: Uint8Array): { key: Bytes; nonce: Bytes; material: Bytes } {
  const material = hkdf(
    messageKey,
    undefined,
    Label.GROUP_MESSAGE_KEYS,
    AES_KEY_BYTES + GCM_NONCE_BYTES,
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
  const body = new Uint8Array(SENDER_KEY_HEADER_BYTES + padded.length + GCM_TAG_BYTES);
  writeSenderKeyHeader(
    body,
    SenderKeyMessageType.GROUP_MESSAGE,
    state.distributionId,
    state.chainId,
    state.iteration,
  );
  const header = body.subarray(0, SENDER_KEY_HEADER_BYTES);
  body.set(sealSmall(key, nonce, padded, concat(header, senderIdentity)), SENDER_KEY_HEADER_BYTES);
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
  const aad = concat(body.subarray(0, SENDER_KEY_HEADER_BYTES), senderIdentity);
  let padded: Bytes;
  try {
    padded = openSmall(key, nonce, body.subarray(SENDER_KEY_HEADER_BYTES), aad);
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
