/**
 * The Double Ratchet (Signal specification, revision 4, without header
 * encryption) as pure functions over an immutable state:
 *   (state, input) -> (new state, output)
 * Nothing here mutates a state it was given, so a failed decryption (bad tag,
 * replay, too large a jump) leaves the caller holding the unchanged state: the
 * transactional behaviour libsignal gets by cloning.
 *
 * Symmetric steps are synchronous (@noble: HMAC, HKDF, AES-GCM): encrypting,
 * and decrypting a message of a chain we already know, never await anything.
 * Only a DH ratchet step is asynchronous (WebCrypto X25519), and its
 * independent parts run concurrently: key generation alongside the import of
 * the peer's key and the first DH, the second DH in the thread pool while the
 * message is decrypted on the main thread.
 *
 * A new state shares everything that did not change with the old one (chain
 * objects, the retired list, the skipped-key store); only the fields a step
 * changes are new. Every state is built by `ratchetState`, so all of them have
 * one shape (monomorphic property access in the hot path).
 */
import { type Bytes, copy, equalBytes, toHex } from '../bytes.ts';
import { ErrorCode, fail, ParleyError } from '../errors.ts';
import { openSmall, sealSmall } from './aead.ts';
import { hkdf, hkdfZeroSalt, kdfChain } from './kdf.ts';
import { Label } from './labels.ts';
import { MAX_RETIRED_CHAINS, MAX_SKIP } from './limits.ts';
import type { RatchetHeader } from './message-format.ts';
import { isExpired, type SkippedKey, SkippedKeys } from './skipped-keys.ts';
import {
  type DhKeyPair,
  deriveDh,
  importValidatedDhPublic,
  validateX25519Public,
} from './x25519.ts';

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

/** The fields of a ratchet state (a plain record; `ratchetState` makes the value). */
export type RatchetFields = Pick<
  RatchetState,
  | 'rootKey'
  | 'ourRatchetKey'
  | 'sending'
  | 'previousSendingLength'
  | 'receiving'
  | 'retired'
  | 'skipped'
>;

const NODE_INSPECT = Symbol.for('nodejs.util.inspect.custom');
const DENO_INSPECT = Symbol.for('Deno.customInspect');

/** What printing or JSON-serialising a state shows: public keys and counters, never a secret. */
function publicView(state: RatchetState): Record<string, unknown> {
  return {
    ourRatchetKey: toHex(state.ourRatchetKey.publicKey),
    sending: state.sending === undefined ? undefined : { index: state.sending.index },
    previousSendingLength: state.previousSendingLength,
    receiving:
      state.receiving === undefined
        ? undefined
        : { publicKey: toHex(state.receiving.publicKey), index: state.receiving.index },
    retired: state.retired.length,
    skipped: state.skipped.size,
    secrets: '[redacted]',
  };
}

/**
 * Every state inherits these (non-enumerable, so `toEqual`, spreads and the
 * codec see only the fields): logs and accidental JSON.stringify show the
 * public view, as vodozemac's Debug impls do; the root key, chain keys and
 * skipped message keys leave only through session-codec.ts.
 */
const RATCHET_STATE_PROTOTYPE: object = Object.freeze({
  toJSON(this: RatchetState) {
    return publicView(this);
  },
  [NODE_INSPECT](this: RatchetState) {
    return { RatchetState: publicView(this) };
  },
  [DENO_INSPECT](this: RatchetState) {
    return `RatchetState ${JSON.stringify(publicView(this))}`;
  },
});

/** The one constructor of ratchet states (steps, restore). */
export function ratchetState(fields: RatchetFields): RatchetState {
  return {
    __proto__: RATCHET_STATE_PROTOTYPE,
    rootKey: fields.rootKey,
    ourRatchetKey: fields.ourRatchetKey,
    sending: fields.sending,
    previousSendingLength: fields.previousSendingLength,
    receiving: fields.receiving,
    retired: fields.retired,
    skipped: fields.skipped,
  } as RatchetState;
}

/** KDF_RK: HKDF(salt = root key, ikm = DH output, info = ROOT) -> (root key, chain key). */
export function kdfRoot(
  rootKey: Uint8Array,
  dhOutput: Uint8Array,
): { rootKey: Bytes; chainKey: Bytes } {
  const out = hkdf(dhOutput, rootKey, ROOT_INFO, 2 * KEY_BYTES);
  const keys = { rootKey: out.slice(0, KEY_BYTES), chainKey: out.slice(KEY_BYTES) };
  out.fill(0);
  return keys;
}

/** AES-256-GCM key and nonce for one message key (each message key is used once). */
export function messageKeys(messageKey: Uint8Array): { key: Bytes; nonce: Bytes } {
  const out = hkdfZeroSalt(messageKey, MESSAGE_KEYS_INFO, KEY_BYTES + NONCE_BYTES);
  return { key: out.subarray(0, KEY_BYTES), nonce: out.subarray(KEY_BYTES) };
}

/**
 * Seals or opens (`aead`) under the AES-256-GCM key and nonce derived from one
 * message key, and wipes them after. The AEAD is passed rather than wrapped in
 * a closure: this runs once per message.
 */
function withMessageKeys(
  messageKey: Uint8Array,
  aead: typeof sealSmall,
  data: Uint8Array,
  aad: Uint8Array,
): Bytes {
  const okm = hkdfZeroSalt(messageKey, MESSAGE_KEYS_INFO, KEY_BYTES + NONCE_BYTES);
  try {
    return aead(okm.subarray(0, KEY_BYTES), okm.subarray(KEY_BYTES), data, aad);
  } finally {
    okm.fill(0);
  }
}

/** Encrypts one message under the key and nonce derived from its message key. */
export function sealWithMessageKey(
  messageKey: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
): Bytes {
  return withMessageKeys(messageKey, sealSmall, plaintext, aad);
}

/** Decrypts one message (DECRYPT_FAILED on a bad tag). */
export function openWithMessageKey(
  messageKey: Uint8Array,
  ciphertext: Uint8Array,
  aad: Uint8Array,
): Bytes {
  return withMessageKeys(messageKey, openSmall, ciphertext, aad);
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
  return ratchetState({
    rootKey,
    ourRatchetKey,
    sending: { chainKey, index: 0 },
    previousSendingLength: 0,
    receiving: undefined,
    retired: [],
    skipped: SkippedKeys.EMPTY,
  });
}

/** RatchetInitBob: our signed prekey is the first ratchet key; nothing can be sent yet. */
export function responderState(sharedSecret: Uint8Array, signedPreKey: DhKeyPair): RatchetState {
  return ratchetState({
    rootKey: copy(sharedSecret),
    ourRatchetKey: signedPreKey,
    sending: undefined,
    previousSendingLength: 0,
    receiving: undefined,
    retired: [],
    skipped: SkippedKeys.EMPTY,
  });
}

// ---------------------------------------------------------------------------
// Encryption

/** Drops skipped keys older than the limit (the state is returned as is if none are). */
export function expireSkippedKeys(state: RatchetState, now: number): RatchetState {
  const skipped = state.skipped.withoutExpired(now);
  return skipped === state.skipped ? state : withSkipped(state, skipped);
}

/** One step of the sending chain: the key of the next message and the state after it. */
export interface SendingStep {
  readonly state: RatchetState;
  readonly header: RatchetHeader;
  /** Used for exactly one message: the caller seals with it (sealWithMessageKey), then wipes it. */
  readonly messageKey: Bytes;
}

/** The symmetric half of RatchetEncrypt: KDF_CK on the sending chain. */
export function advanceSendingChain(state: RatchetState): SendingStep {
  const sending = state.sending;
  if (sending === undefined)
    fail(
      ErrorCode.BAD_ARGUMENT,
      'Cannot encrypt: no sending chain before the first received message',
    );
  if (sending.index >= MAX_INDEX)
    fail(ErrorCode.BAD_ARGUMENT, 'Cannot encrypt: sending chain exhausted');
  const step = kdfChain(sending.chainKey);
  return {
    state: ratchetState({
      ...state,
      sending: { chainKey: step.chainKey, index: sending.index + 1 },
    }),
    header: {
      dh: state.ourRatchetKey.publicKey,
      pn: state.previousSendingLength,
      n: sending.index,
    },
    messageKey: step.messageKey,
  };
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
  const step = advanceSendingChain(state);
  const ciphertext = sealWithMessageKey(step.messageKey, plaintext, associatedData(step.header));
  step.messageKey.fill(0);
  return { state: step.state, header: step.header, ciphertext };
}

// ---------------------------------------------------------------------------
// Decryption

export interface DecryptResult {
  readonly state: RatchetState;
  readonly plaintext: Bytes;
}

/**
 * SkipMessageKeys: derives the keys of messages [from, until) of a chain into
 * `out` and returns the chain key for index `until`.
 */
function skipAhead(
  ratchetKey: Bytes,
  chainKey: Bytes,
  from: number,
  until: number,
  now: number,
  out: SkippedKey[],
): Bytes {
  let key = chainKey;
  for (let i = from; i < until; i++) {
    const step = kdfChain(key);
    out.push({ ratchetKey, index: i, messageKey: step.messageKey, storedAt: now });
    key = step.chainKey;
  }
  return key;
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
): Promise<DecryptResult> {
  const now = deps.now();
  return (
    decryptOnKnownChain(state, header, ciphertext, aad, now) ??
    dhRatchetAndDecrypt(deps.generateDhKeyPair, state, header, ciphertext, aad, now)
  );
}

/**
 * The synchronous part of RatchetDecrypt: a message whose key is stored
 * (skipped earlier), one on the current receiving chain, or a replay on a
 * closed chain. Returns undefined if the message starts a new chain (then
 * dhRatchetAndDecrypt takes it). Throws on failure; the state is untouched.
 */
export function decryptOnKnownChain(
  state: RatchetState,
  header: RatchetHeader,
  ciphertext: Uint8Array,
  aad: Uint8Array,
  now: number,
): DecryptResult | undefined {
  // 1. A key stored for a message that arrived late (looked up before expiry
  //    pruning, so a late message is reported as expired rather than as a replay).
  const slot = { ratchetKey: header.dh, index: header.n };
  const stored = state.skipped.get(slot);
  if (stored !== undefined) {
    if (isExpired(stored, now))
      fail(ErrorCode.MESSAGE_KEY_EXPIRED, 'Cannot decrypt: message key expired');
    const plaintext = openWithMessageKey(stored.messageKey, ciphertext, aad);
    const skipped = state.skipped.withoutExpired(now).without(slot);
    return { state: withSkipped(state, skipped), plaintext };
  }

  // 2. The current receiving chain.
  const receiving = state.receiving;
  if (receiving !== undefined && equalBytes(header.dh, receiving.publicKey)) {
    if (header.n < receiving.index) duplicate();
    if (header.n - receiving.index > MAX_SKIP) tooManySkipped(receiving.index, header.n);
    let newlySkipped: SkippedKey[] | undefined;
    let chainKey = receiving.chainKey;
    if (header.n > receiving.index) {
      newlySkipped = [];
      chainKey = skipAhead(
        receiving.publicKey,
        chainKey,
        receiving.index,
        header.n,
        now,
        newlySkipped,
      );
    }
    const step = kdfChain(chainKey);
    const plaintext = openWithMessageKey(step.messageKey, ciphertext, aad);
    step.messageKey.fill(0);
    const expired = state.skipped.withoutExpired(now);
    return {
      state: ratchetState({
        ...state,
        receiving: { publicKey: receiving.publicKey, chainKey: step.chainKey, index: header.n + 1 },
        skipped: newlySkipped === undefined ? expired : expired.withAdded(newlySkipped),
      }),
      plaintext,
    };
  }

  // 3. A chain we already closed: every index below its length was used or stored.
  for (const retired of state.retired) {
    if (!equalBytes(retired.publicKey, header.dh)) continue;
    if (header.n < retired.length) duplicate();
    fail(ErrorCode.DECRYPT_FAILED, 'Cannot decrypt: authentication failed');
  }
  return undefined;
}

function withSkipped(state: RatchetState, skipped: SkippedKeys): RatchetState {
  return ratchetState({ ...state, skipped });
}

/**
 * 4. A new ratchet key from the peer: the DH ratchet step, then decryption on
 * the new receiving chain. The next ratchet key pair is generated here, after
 * the message that asks for it has arrived (never ahead of time: a key that
 * existed before a compromise would delay post-compromise recovery).
 *
 * Three X25519 operations are unavoidable (key generation and two DHs); each is
 * a WebCrypto thread-pool job in Node. They are started as early as their
 * inputs allow: generation at once, the first DH as soon as the peer's key is
 * imported (a synchronous import in Node), the second DH as soon as the key
 * pair exists. The critical path is generation -> second DH; the first DH,
 * both root KDFs and the decryption run alongside it.
 */
export async function dhRatchetAndDecrypt(
  generateDhKeyPair: () => Promise<DhKeyPair>,
  state: RatchetState,
  header: RatchetHeader,
  ciphertext: Uint8Array,
  aad: Uint8Array,
  now: number,
): Promise<DecryptResult> {
  const receiving = state.receiving;
  if (receiving !== undefined && header.pn - receiving.index > MAX_SKIP)
    tooManySkipped(receiving.index, header.pn);
  if (header.n > MAX_SKIP) tooManySkipped(0, header.n);
  const theirKey = copy(header.dh);
  validateX25519Public(theirKey, 'ratchet key'); // KEY_LOW_ORDER before any work

  const generated = generateDhKeyPair();
  // If anything below fails first, the key pair is dropped: keep its rejection quiet.
  ignoreRejection(generated);
  const theirPublic = await importValidatedDhPublic(theirKey);
  const receiveDh = deriveDh(state.ourRatchetKey.privateKey, theirPublic);
  const sendDh = generated.then((pair) => deriveDh(pair.privateKey, theirPublic));
  ignoreRejection(sendDh);

  // Keys of the old chain's remaining messages (header.pn is its final length).
  const newlySkipped: SkippedKey[] = [];
  if (receiving !== undefined)
    skipAhead(
      receiving.publicKey,
      receiving.chainKey,
      receiving.index,
      header.pn,
      now,
      newlySkipped,
    );

  const receiveOutput = await receiveDh;
  const received = kdfRoot(state.rootKey, receiveOutput);
  receiveOutput.fill(0);
  const chainKey = skipAhead(theirKey, received.chainKey, 0, header.n, now, newlySkipped);
  const step = kdfChain(chainKey);
  // Decrypt while the second DH runs in the thread pool.
  const plaintext = openWithMessageKey(step.messageKey, ciphertext, aad);
  step.messageKey.fill(0);

  const sendOutput = await sendDh;
  const ourRatchetKey = await generated;
  const sent = kdfRoot(received.rootKey, sendOutput);
  sendOutput.fill(0);
  const retired: readonly RetiredChain[] =
    receiving === undefined
      ? state.retired
      : [
          { publicKey: receiving.publicKey, length: Math.max(receiving.index, header.pn) },
          ...state.retired.slice(0, MAX_RETIRED_CHAINS - 1),
        ];
  const skipped = state.skipped.withoutExpired(now);
  return {
    state: ratchetState({
      rootKey: sent.rootKey,
      ourRatchetKey,
      sending: { chainKey: sent.chainKey, index: 0 },
      previousSendingLength: state.sending?.index ?? 0,
      receiving: { publicKey: theirKey, chainKey: step.chainKey, index: header.n + 1 },
      retired,
      skipped: newlySkipped.length === 0 ? skipped : skipped.withAdded(newlySkipped),
    }),
    plaintext,
  };
}
