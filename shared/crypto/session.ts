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
  type PreKeyBundle,
  type PreKeyLookup,
  type PublicIdentity,
  publicIdentity,
  sameIdentity,
} from './keys.ts';
import {
  associatedData,
  type DecodedMessage,
  decodeMessage,
  ENVELOPE_BYTES,
  encodePreKeyFields,
  encodeRatchetHeader,
  MAX_PLAINTEXT_BYTES,
  MessageType,
  PROTOCOL_VERSION,
  RATCHET_HEADER_BYTES,
  readEnvelope,
} from './message-format.ts';
import { pad, unpad } from './padding.ts';
import type { Random } from './random.ts';
import {
  expireSkippedKeys,
  initiatorState,
  type RatchetDeps,
  ratchetDecrypt,
  ratchetEncrypt,
  responderState,
} from './ratchet.ts';
import { makeSession, type Session } from './session-state.ts';
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

function ratchetDeps(deps: SessionDeps): RatchetDeps {
  return { generateDhKeyPair: deps.generateDhKeyPair ?? defaultGenerate, now: deps.now };
}

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
  if (!(plaintext instanceof Uint8Array))
    fail(ErrorCode.BAD_ARGUMENT, 'Cannot encrypt: plaintext must be bytes');
  if (plaintext.length > MAX_PLAINTEXT_BYTES) {
    fail(
      ErrorCode.BAD_ARGUMENT,
      `Cannot encrypt: plaintext of ${plaintext.length} bytes exceeds ${MAX_PLAINTEXT_BYTES}`,
    );
  }
}

/** Encrypts one message: a prekey message (type 2) until the initiator hears back, then type 1. */
export async function encryptMessage(
  deps: SessionDeps,
  session: Session,
  plaintext: Uint8Array,
): Promise<{ session: Session; ciphertext: Bytes }> {
  checkPlaintext(plaintext);
  const ratchet = expireSkippedKeys(session.ratchet, deps.now());
  const padded = pad(plaintext);
  const pending = session.pendingPreKey;
  const prefix = pending === undefined ? undefined : encodePreKeyFields(pending);
  const headerStart = ENVELOPE_BYTES + (prefix?.length ?? 0);
  const headerEnd = headerStart + RATCHET_HEADER_BYTES;
  let message: Bytes | undefined;
  const result = ratchetEncrypt(ratchet, padded, (header) => {
    const out = new Uint8Array(headerEnd + padded.length + GCM_TAG_BYTES);
    out[0] = PROTOCOL_VERSION;
    out[1] = pending === undefined ? MessageType.RATCHET : MessageType.PREKEY;
    if (prefix !== undefined) out.set(prefix, ENVELOPE_BYTES);
    out.set(encodeRatchetHeader(header), headerStart);
    message = out;
    return associatedData(out, headerEnd, session.sendingAd);
  });
  if (message === undefined)
    return fail(ErrorCode.BAD_ARGUMENT, 'Cannot encrypt: no message built');
  message.set(result.ciphertext, headerEnd);
  return { session: { ...session, ratchet: result.state }, ciphertext: message };
}

async function decryptWith(
  deps: SessionDeps,
  session: Session,
  bytes: Uint8Array,
  message: DecodedMessage,
): Promise<{ session: Session; plaintext: Bytes }> {
  const aad = associatedData(bytes, message.headerEnd, session.receivingAd);
  const result = await ratchetDecrypt(
    ratchetDeps(deps),
    session.ratchet,
    message.header,
    message.ciphertext,
    aad,
  );
  const plaintext = unpad(result.plaintext);
  // Any authenticated message from the peer proves it has the session: stop sending prekey messages.
  return { session: { ...session, ratchet: result.state, pendingPreKey: undefined }, plaintext };
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
  /** The KEM prekey used (delete it if it was a one-time KEM prekey). */
  readonly kemPreKeyId?: number;
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
