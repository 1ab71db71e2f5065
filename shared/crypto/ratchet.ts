/**
 * The Double Ratchet (Signal specification, revision 4, without header
 * encryption) as pure functions over an immutable state:
 *   (state, input) -> (new state, output)
 * Nothing here mutates a state it was given, so a failed decryption (bad tag,
 * replay, too large a jump) leaves the caller holding the unchanged state: the
 * transactional behaviour libsignal gets by cloning.
 *
 * Symmetric steps are synchronous (@noble: HMAC, HKDF, AES-GCM). Only a DH
 * ratchet step is asynchronous (WebCrypto X25519), and its independent parts
 * run concurrently: key generation alongside the first DH, the second DH in the
 * thread pool while the message is decrypted on the main thread.
 */
import { type Bytes, copy, equalBytes } from '../bytes.ts';
import { ErrorCode, fail, ParleyError } from '../errors.ts';
import { openSmall, sealSmall } from './aead.ts';
import { hkdf, kdfChain } from './kdf.ts';
import { Label } from './labels.ts';
import type { RatchetHeader } from './message-format.ts';
import { SKIPPED_KEY_MAX_AGE_MS, type SkippedKey, SkippedKeys } from './skipped-keys.ts';
import { type DhKeyPair, dh, importDhPublic, validateX25519Public } from './x25519.ts';

/** Most message keys one message may make us derive and store on one chain. */
export const MAX_SKIP = 1000;
/**
 * Closed receiving chains remembered (public key and final length) so a replay
 * of an old message is reported as DUPLICATE_MESSAGE rather than attempted as a
 * new DH ratchet step. Older replays still fail, as DECRYPT_FAILED.
 */
export const MAX_RETIRED_CHAINS = 20;
const MAX_INDEX = 0xffffffff;

export interface SendingChain {
  readonly chainKey: Bytes;
  /** Ns: index of the next message. */
  readonly index: number;
}

export interface ReceivingChain {
  /** DHr */
  readonly publicKey: Bytes;
  readonly chainKey: Bytes;
  /** Nr: index of the next expected message. */
  readonly index: number;
}

export interface RetiredChain {
  readonly publicKey: Bytes;
  /** How many messages the chain held (every index below was received or stored as skipped). */
  readonly length: number;
}

export interface RatchetState {
  readonly rootKey: Bytes;
  /** DHs */
  readonly ourRatchetKey: DhKeyPair;
  /** Absent only in a responder's state before its first received message. */
  readonly sending: SendingChain | undefined;
  /** PN */
  readonly previousSendingLength: number;
  readonly receiving: ReceivingChain | undefined;
  /** Newest first. */
  readonly retired: readonly RetiredChain[];
  readonly skipped: SkippedKeys;
}

export interface RatchetDeps {
  readonly generateDhKeyPair: () => Promise<DhKeyPair>;
  readonly now: () => number;
}

const ROOT_INFO = new TextEncoder().encode(Label.ROOT);
const MESSAGE_KEYS_INFO = new TextEncoder().encode(Label.MESSAGE_KEYS);
const KEY_BYTES = 32;
const NONCE_BYTES = 12;

/** KDF_RK: HKDF(salt = root key, ikm = DH output, info = ROOT) -> (root key, chain key). */
export function kdfRoot(
  rootKey: Uint8Array,
  dhOutput: Uint8Array,
): { rootKey: Bytes; chainKey: Bytes } {
  const out = hkdf(dhOutput, rootKey, ROOT_INFO, 2 * KEY_BYTES);
  return { rootKey: out.slice(0, KEY_BYTES), chainKey: out.slice(KEY_BYTES) };
}

/** AES-256-GCM key and nonce for one message key (each message key is used once). */
export function messageKeys(messageKey: Uint8Array): { key: Bytes; nonce: Bytes } {
  const out = hkdf(messageKey, undefined, MESSAGE_KEYS_INFO, KEY_BYTES + NONCE_BYTES);
  return { key: out.subarray(0, KEY_BYTES), nonce: out.subarray(KEY_BYTES) };
}

function seal(messageKey: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Bytes {
  const { key, nonce } = messageKeys(messageKey);
  return sealSmall(key, nonce, plaintext, aad);
}

function open(messageKey: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Bytes {
  const { key, nonce } = messageKeys(messageKey);
  return openSmall(key, nonce, ciphertext, aad);
}

// ---------------------------------------------------------------------------
// Initialisation (Double Ratchet spec §3.3 with X3DH: SK is the first root key,
// Bob's signed prekey his first ratchet key)

/** RatchetInitAlice: `ourRatchetKey` fresh, `dhOutput` = DH(ourRatchetKey, their signed prekey). */
export function initiatorState(
  sharedSecret: Uint8Array,
  ourRatchetKey: DhKeyPair,
  dhOutput: Uint8Array,
): RatchetState {
  const { rootKey, chainKey } = kdfRoot(sharedSecret, dhOutput);
  return {
    rootKey,
    ourRatchetKey,
    sending: { chainKey, index: 0 },
    previousSendingLength: 0,
    receiving: undefined,
    retired: [],
    skipped: SkippedKeys.EMPTY,
  };
}

/** RatchetInitBob: our signed prekey is the first ratchet key; nothing can be sent yet. */
export function responderState(sharedSecret: Uint8Array, signedPreKey: DhKeyPair): RatchetState {
  return {
    rootKey: copy(sharedSecret),
    ourRatchetKey: signedPreKey,
    sending: undefined,
    previousSendingLength: 0,
    receiving: undefined,
    retired: [],
    skipped: SkippedKeys.EMPTY,
  };
}

// ---------------------------------------------------------------------------
// Encryption

/** Drops skipped keys older than the limit (the state is returned as is if none are). */
export function expireSkippedKeys(state: RatchetState, now: number): RatchetState {
  const skipped = state.skipped.withoutExpired(now);
  return skipped === state.skipped ? state : { ...state, skipped };
}

/**
 * RatchetEncrypt. `associatedData` builds the AAD from the header (the caller
 * knows the message layout); the header is returned for the caller to encode.
 */
export function ratchetEncrypt(
  state: RatchetState,
  plaintext: Uint8Array,
  associatedData: (header: RatchetHeader) => Uint8Array,
): { state: RatchetState; header: RatchetHeader; ciphertext: Bytes } {
  const sending = state.sending;
  if (sending === undefined)
    fail(
      ErrorCode.BAD_ARGUMENT,
      'Cannot encrypt: no sending chain before the first received message',
    );
  if (sending.index >= MAX_INDEX)
    fail(ErrorCode.BAD_ARGUMENT, 'Cannot encrypt: sending chain exhausted');
  const step = kdfChain(sending.chainKey);
  const header: RatchetHeader = {
    dh: state.ourRatchetKey.publicKey,
    pn: state.previousSendingLength,
    n: sending.index,
  };
  const ciphertext = seal(step.messageKey, plaintext, associatedData(header));
  return {
    state: { ...state, sending: { chainKey: step.chainKey, index: sending.index + 1 } },
    header,
    ciphertext,
  };
}

// ---------------------------------------------------------------------------
// Decryption

/** SkipMessageKeys: derives the keys of messages [chain.index, until) for later. */
function skipAhead(
  chain: ReceivingChain,
  until: number,
  now: number,
  out: SkippedKey[],
): ReceivingChain {
  let chainKey = chain.chainKey;
  for (let i = chain.index; i < until; i++) {
    const step = kdfChain(chainKey);
    out.push({ ratchetKey: chain.publicKey, index: i, messageKey: step.messageKey, storedAt: now });
    chainKey = step.chainKey;
  }
  return until > chain.index ? { publicKey: chain.publicKey, chainKey, index: until } : chain;
}

function tooManySkipped(from: number, to: number): never {
  throw new ParleyError(
    ErrorCode.TOO_MANY_SKIPPED,
    `Cannot decrypt: message would skip ${to - from} keys`,
    {
      from,
      to,
      max: MAX_SKIP,
    },
  );
}

function duplicate(): never {
  return fail(ErrorCode.DUPLICATE_MESSAGE, 'Cannot decrypt: message key already used or discarded');
}

function ignoreRejection(p: Promise<unknown>): void {
  p.catch(() => undefined);
}

/**
 * RatchetDecrypt, transactional: on any failure it throws and the caller's
 * state is untouched; on success it returns the new state.
 */
export async function ratchetDecrypt(
  deps: RatchetDeps,
  state: RatchetState,
  header: RatchetHeader,
  ciphertext: Uint8Array,
  aad: Uint8Array,
): Promise<{ state: RatchetState; plaintext: Bytes }> {
  const now = deps.now();

  // 1. A key stored for a message that arrived late (looked up before expiry
  //    pruning, so a late message is reported as expired rather than as a replay).
  const stored = state.skipped.get(header.dh, header.n);
  if (stored !== undefined && now - stored.storedAt >= SKIPPED_KEY_MAX_AGE_MS) {
    fail(ErrorCode.MESSAGE_KEY_EXPIRED, 'Cannot decrypt: message key expired');
  }
  const skipped = state.skipped.withoutExpired(now);
  if (stored !== undefined) {
    const plaintext = open(stored.messageKey, ciphertext, aad);
    return { state: { ...state, skipped: skipped.without(header.dh, header.n) }, plaintext };
  }

  // 2. The current receiving chain.
  const receiving = state.receiving;
  if (receiving !== undefined && equalBytes(header.dh, receiving.publicKey)) {
    if (header.n < receiving.index) duplicate();
    if (header.n - receiving.index > MAX_SKIP) tooManySkipped(receiving.index, header.n);
    const newlySkipped: SkippedKey[] = [];
    const chain = skipAhead(receiving, header.n, now, newlySkipped);
    const step = kdfChain(chain.chainKey);
    const plaintext = open(step.messageKey, ciphertext, aad);
    return {
      state: {
        ...state,
        receiving: { publicKey: receiving.publicKey, chainKey: step.chainKey, index: header.n + 1 },
        skipped: skipped.withAdded(newlySkipped),
      },
      plaintext,
    };
  }

  // 3. A chain we already closed: every index below its length was used or stored.
  const retired = state.retired.find((c) => equalBytes(c.publicKey, header.dh));
  if (retired !== undefined) {
    if (header.n < retired.length) duplicate();
    fail(ErrorCode.DECRYPT_FAILED, 'Cannot decrypt: authentication failed');
  }

  // 4. A new ratchet key from the peer: DH ratchet step.
  return dhRatchetAndDecrypt(deps, state, skipped, header, ciphertext, aad, now);
}

async function dhRatchetAndDecrypt(
  deps: RatchetDeps,
  state: RatchetState,
  skipped: SkippedKeys,
  header: RatchetHeader,
  ciphertext: Uint8Array,
  aad: Uint8Array,
  now: number,
): Promise<{ state: RatchetState; plaintext: Bytes }> {
  const receiving = state.receiving;
  if (receiving !== undefined && header.pn - receiving.index > MAX_SKIP)
    tooManySkipped(receiving.index, header.pn);
  if (header.n > MAX_SKIP) tooManySkipped(0, header.n);
  const theirKey = copy(header.dh);
  validateX25519Public(theirKey, 'ratchet key'); // KEY_LOW_ORDER before any work

  // Independent async work starts at once. Key generation goes first: generation
  // followed by the second DH is the critical path of the step.
  const generated = deps.generateDhKeyPair();
  const imported = importDhPublic(theirKey);
  const receiveDh = imported.then((pub) => dh(state.ourRatchetKey.privateKey, pub));
  const sendDh = Promise.all([generated, imported]).then(([pair, pub]) => dh(pair.privateKey, pub));
  // If decryption fails first, these results are dropped: keep their rejections quiet.
  ignoreRejection(generated);
  ignoreRejection(sendDh);

  // Keys of the old chain's remaining messages (header.pn is its final length).
  const newlySkipped: SkippedKey[] = [];
  if (receiving !== undefined) skipAhead(receiving, header.pn, now, newlySkipped);

  const received = kdfRoot(state.rootKey, await receiveDh);
  const newChain = skipAhead(
    { publicKey: theirKey, chainKey: received.chainKey, index: 0 },
    header.n,
    now,
    newlySkipped,
  );
  const step = kdfChain(newChain.chainKey);
  // Decrypt while the second DH runs in the thread pool.
  const plaintext = open(step.messageKey, ciphertext, aad);

  const [ourRatchetKey, sendOutput] = await Promise.all([generated, sendDh]);
  const sent = kdfRoot(received.rootKey, sendOutput);
  const retired: readonly RetiredChain[] =
    receiving === undefined
      ? state.retired
      : [
          { publicKey: receiving.publicKey, length: Math.max(receiving.index, header.pn) },
          ...state.retired.slice(0, MAX_RETIRED_CHAINS - 1),
        ];
  return {
    state: {
      rootKey: sent.rootKey,
      ourRatchetKey,
      sending: { chainKey: sent.chainKey, index: 0 },
      previousSendingLength: state.sending?.index ?? 0,
      receiving: { publicKey: theirKey, chainKey: step.chainKey, index: header.n + 1 },
      retired,
      skipped: skipped.withAdded(newlySkipped),
    },
    plaintext,
  };
}
