/**
 * Pairwise sessions: the API the client (and the benchmark) use.
 *
 *   createOutgoingSession  X3DH/PQXDH with a prekey bundle (initiator)
 *   acceptIncomingSession  the responder's side, from the first prekey message
 *   encryptMessage / decryptMessage   the Double Ratchet, transactional
 *   serializeSession / deserializeSession   versioned bytes, at any point
 *
 * Every function takes the session as a value and returns a new one: a failed
 * call leaves the caller's session exactly as it was. Randomness, the clock and
 * X25519 key generation come in through `deps`.
 */
import { type Bytes, copy, equalBytes } from '../bytes.ts';
import { ErrorCode, fail } from '../errors.ts';
import { GCM_TAG_BYTES } from './aead.ts';
import {
  type IdentityKeyPair,
  type PublicIdentity,
  publicIdentity,
  sameIdentity,
} from './identity.ts';
import {
  associatedData,
  type DecodedMessage,
  decodeMessage,
  ENVELOPE_BYTES,
  encodePreKeyFields,
  MAX_PLAINTEXT_BYTES,
  MessageType,
  PROTOCOL_VERSION,
  type PreKeyFields,
  RATCHET_HEADER_BYTES,
  readEnvelope,
  writeRatchetHeader,
} from './message-format.ts';
import { pad, unpad } from './padding.ts';
import type { PreKeyLookup } from './prekey-lookup.ts';
import { type PreKeyBundle, PreKeyKind } from './prekeys.ts';
import type { Random } from './random.ts';
import {
  advanceSendingChain,
  type DecryptResult,
  decryptOnKnownChain,
  dhRatchetAndDecrypt,
  expireSkippedKeys,
  initiatorState,
  responderState,
  sealWithMessageKey,
} from './ratchet.ts';
import { makeSession, type Session, withRatchet } from './session-state.ts';
import { initiateKeyAgreement, respondKeyAgreement } from './x3dh.ts';
import { type DhKeyPair, dh, generateDhKeyPair, importDhPublic } from './x25519.ts';

export { deserializeSession, serializeSession } from './session-codec.ts';
export type { Session, SessionRole } from './session-state.ts';

export interface SessionDeps {
  readonly random: Random;
  /** Milliseconds since the Unix epoch (ages skipped message keys). */
  readonly now: () => number;
  /** Default: WebCrypto X25519, extractable (ratchet keys are serialised with the session). */
  readonly generateDhKeyPair?: () => Promise<DhKeyPair>;
}

const defaultGenerate = (): Promise<DhKeyPair> => generateDhKeyPair(true);

function quiet(...promises: readonly Promise<unknown>[]): void {
  for (const p of promises) p.catch(() => undefined);
}

/**
 * Starts a session from a prekey bundle (PQXDH if it has a KEM prekey, X3DH
 * otherwise). Every key and signature in the bundle is verified first.
 */
export async function createOutgoingSession(
  deps: SessionDeps,
  ourIdentity: IdentityKeyPair,
  theirBundle: PreKeyBundle,
): Promise<Session> {
  const generate = deps.generateDhKeyPair ?? defaultGenerate;
  const agreementPromise = initiateKeyAgreement(
    { random: deps.random, generateDhKeyPair: generate },
    ourIdentity,
    theirBundle,
  );
  quiet(agreementPromise);
  // The first ratchet key and its DH with the signed prekey do not depend on the
  // key agreement: compute them alongside it (used only if the bundle verifies).
  const ratchetKey = generate();
  const ratchetDh = Promise.all([
    ratchetKey,
    Promise.resolve().then(() => importDhPublic(theirBundle.signedPreKey.publicKey)),
  ]).then(([pair, spk]) => dh(pair.privateKey, spk));
  quiet(ratchetKey, ratchetDh);

  const agreement = await agreementPromise;
  const [ourRatchetKey, dhOutput] = await Promise.all([ratchetKey, ratchetDh]);
  const ratchet = initiatorState(agreement.sharedSecret, ourRatchetKey, dhOutput);
  const ours = publicIdentity(ourIdentity);
  return makeSession({
    role: 'initiator',
    agreement: agreement.kind,
    ourIdentity: { dh: ours.dh, signing: ours.signing },
    theirIdentity: {
      dh: copy(theirBundle.identity.dh),
      signing: copy(theirBundle.identity.signing),
    },
    baseKey: agreement.preKey.baseKey,
    ratchet,
    pendingPreKey: { identity: ours, ...agreement.preKey },
  });
}

function checkPlaintext(plaintext: Uint8Array): void {
  // A caller's type error is a bug, not an outcome (shared/errors.ts); the size stays a code:
  // content can grow with what peers sent (group histories).
  if (!(plaintext instanceof Uint8Array))
    throw new TypeError('Cannot encrypt: plaintext must be bytes');
  if (plaintext.length > MAX_PLAINTEXT_BYTES) {
    fail(
      ErrorCode.BAD_ARGUMENT,
      `Cannot encrypt: plaintext of ${plaintext.length} bytes exceeds ${MAX_PLAINTEXT_BYTES}`,
    );
  }
}

// The prekey part of type-2 messages, encoded once per pending key agreement
// (the initiator repeats it in every message until the peer answers). A cache
// beside the session, not in it: nothing here is serialised.
const encodedPreKeyFields = new WeakMap<PreKeyFields, Bytes>();

function preKeyPrefix(fields: PreKeyFields): Bytes {
  let prefix = encodedPreKeyFields.get(fields);
  if (prefix === undefined) {
    prefix = encodePreKeyFields(fields);
    encodedPreKeyFields.set(fields, prefix);
  }
  return prefix;
}

/**
 * Encrypts one message: a prekey message (type 2) until the initiator hears
 * back, then type 1. Synchronous inside: nothing is awaited.
 */
export async function encryptMessage(
  deps: SessionDeps,
  session: Session,
  plaintext: Uint8Array,
): Promise<{ session: Session; ciphertext: Bytes }> {
  checkPlaintext(plaintext);
  const step = advanceSendingChain(expireSkippedKeys(session.ratchet, deps.now()));
  const pending = session.pendingPreKey;
  const prefix = pending === undefined ? undefined : preKeyPrefix(pending);
  const headerStart = ENVELOPE_BYTES + (prefix === undefined ? 0 : prefix.length);
  const headerEnd = headerStart + RATCHET_HEADER_BYTES;
  const padded = pad(plaintext);
  const message = new Uint8Array(headerEnd + padded.length + GCM_TAG_BYTES);
  message[0] = PROTOCOL_VERSION;
  message[1] = prefix === undefined ? MessageType.RATCHET : MessageType.PREKEY;
  if (prefix !== undefined) message.set(prefix, ENVELOPE_BYTES);
  writeRatchetHeader(message, headerStart, step.header);
  const aad = associatedData(message, headerEnd, session.sendingAd);
  message.set(sealWithMessageKey(step.messageKey, padded, aad), headerEnd);
  step.messageKey.fill(0);
  padded.fill(0);
  return { session: withRatchet(session, step.state, pending), ciphertext: message };
}

/** Unpads, and commits: any authenticated message from the peer ends the prekey phase. */
function decrypted(
  session: Session,
  result: DecryptResult,
): { session: Session; plaintext: Bytes } {
  const plaintext = unpad(result.plaintext);
  return { session: withRatchet(session, result.state, undefined), plaintext };
}

async function decryptWithDhStep(
  deps: SessionDeps,
  session: Session,
  message: DecodedMessage,
  aad: Uint8Array,
  now: number,
): Promise<{ session: Session; plaintext: Bytes }> {
  const result = await dhRatchetAndDecrypt(
    deps.generateDhKeyPair ?? defaultGenerate,
    session.ratchet,
    message.header,
    message.ciphertext,
    aad,
    now,
  );
  return decrypted(session, result);
}

/**
 * Decrypts `message` (decoded from `bytes`) through `session`: synchronously
 * on a known chain, through decryptWithDhStep when the message starts a new one.
 */
function decryptWith(
  deps: SessionDeps,
  session: Session,
  bytes: Uint8Array,
  message: DecodedMessage,
): { session: Session; plaintext: Bytes } | Promise<{ session: Session; plaintext: Bytes }> {
  const aad = associatedData(bytes, message.headerEnd, session.receivingAd);
  const now = deps.now();
  const known = decryptOnKnownChain(session.ratchet, message.header, message.ciphertext, aad, now);
  return known === undefined
    ? decryptWithDhStep(deps, session, message, aad, now)
    : decrypted(session, known);
}

/**
 * Decrypts a message of this session. A prekey message is accepted only if it
 * belongs to this session (same base key and initiator identity: a duplicate or
 * a later message sent before the initiator heard back); any other prekey
 * message fails with SESSION_NOT_FOUND and should go to acceptIncomingSession.
 */
export async function decryptMessage(
  deps: SessionDeps,
  session: Session,
  ciphertext: Uint8Array,
): Promise<{ session: Session; plaintext: Bytes }> {
  const message = decodeMessage(ciphertext);
  if (message.preKey !== undefined) {
    if (session.role !== 'responder' || !equalBytes(message.preKey.baseKey, session.baseKey)) {
      fail(ErrorCode.SESSION_NOT_FOUND, 'Prekey message does not belong to this session');
    }
    if (!sameIdentity(message.preKey.identity, session.theirIdentity)) {
      fail(ErrorCode.IDENTITY_MISMATCH, 'Prekey message identity differs from the session peer');
    }
  }
  return decryptWith(deps, session, ciphertext, message);
}

export interface AcceptedSession {
  readonly session: Session;
  readonly plaintext: Bytes;
  /** The one-time prekey this message used: delete it now (never hand it out again). */
  readonly consumedOneTimePreKeyId?: number;
  /** The KEM prekey used (last-resort or one-time). */
  readonly kemPreKeyId?: number;
  /** The one-time ML-KEM prekey this message used: delete it now, like a one-time prekey. */
  readonly consumedKemPreKeyId?: number;
}

/**
 * The responder's side: verifies the initiator's identity binding, looks up the
 * prekeys the message names (by kind and id), derives the shared secret and
 * decrypts. If `existing` is the session this message's key agreement already
 * created (same base key), the message is decrypted through it instead (a
 * duplicate, or a later message sent before the initiator heard back).
 */
export async function acceptIncomingSession(
  deps: SessionDeps,
  ourIdentity: IdentityKeyPair,
  prekeyLookup: PreKeyLookup,
  ciphertext: Uint8Array,
  existing?: Session,
): Promise<AcceptedSession> {
  const message = decodeMessage(ciphertext, [MessageType.PREKEY]);
  const preKey = message.preKey;
  if (preKey === undefined) return fail(ErrorCode.MESSAGE_TYPE, 'Not a prekey message');
  if (
    existing !== undefined &&
    existing.role === 'responder' &&
    equalBytes(existing.baseKey, preKey.baseKey)
  ) {
    return decryptMessage(deps, existing, ciphertext);
  }
  const agreement = await respondKeyAgreement(ourIdentity, prekeyLookup, preKey);
  const ours = publicIdentity(ourIdentity);
  const session = makeSession({
    role: 'responder',
    agreement: agreement.kind,
    ourIdentity: { dh: ours.dh, signing: ours.signing },
    theirIdentity: { dh: preKey.identity.dh, signing: preKey.identity.signing },
    baseKey: preKey.baseKey,
    ratchet: responderState(agreement.sharedSecret, agreement.signedPreKey.keyPair),
    pendingPreKey: undefined,
  });
  const result = await decryptWith(deps, session, ciphertext, message);
  return {
    ...result,
    ...(agreement.oneTimePreKeyId === undefined
      ? {}
      : { consumedOneTimePreKeyId: agreement.oneTimePreKeyId }),
    ...(agreement.kemPreKeyId === undefined ? {} : { kemPreKeyId: agreement.kemPreKeyId }),
    ...(agreement.kemPreKeyId !== undefined && agreement.kemPreKeyKind === PreKeyKind.ONE_TIME_KEM
      ? { consumedKemPreKeyId: agreement.kemPreKeyId }
      : {}),
  };
}

export interface MessageInfo {
  readonly type: number;
  /** Prekey messages only: which key agreement run, and who claims to have started it. */
  readonly baseKey?: Bytes;
  readonly initiatorIdentity?: PublicIdentity;
}

/**
 * Reads what a client needs to route an incoming ciphertext (which session, or
 * a new one) without decrypting. Nothing here is authenticated yet.
 */
export function inspectMessage(ciphertext: Uint8Array): MessageInfo {
  const { type } = readEnvelope(ciphertext);
  if (type !== MessageType.PREKEY) return { type };
  const message = decodeMessage(ciphertext, [MessageType.PREKEY]);
  if (message.preKey === undefined) return { type };
  return { type, baseKey: message.preKey.baseKey, initiatorIdentity: message.preKey.identity };
}
