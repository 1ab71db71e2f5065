/**
 * The state of one pairwise session: who the two parties are, how it was set up,
 * the Double Ratchet state, and (for the initiator, until its first reply) the
 * prekey fields every outgoing message must repeat. Values of this type are
 * immutable; session.ts returns a new one for every change.
 */
import { type Bytes, concat } from '../bytes.ts';
import { encodeIdentity, type IdentityPublicKeys } from './identity.ts';
import type { PreKeyFields } from './message-format.ts';
import type { RatchetState } from './ratchet.ts';
import type { KeyAgreement } from './x3dh.ts';

export type SessionRole = 'initiator' | 'responder';

export interface Session {
  readonly role: SessionRole;
  /** Which key agreement created the session (PQXDH when the bundle had a KEM prekey). */
  readonly agreement: KeyAgreement;
  readonly ourIdentity: IdentityPublicKeys;
  readonly theirIdentity: IdentityPublicKeys;
  /** The initiator's ephemeral key EK_A: names the key agreement run this session came from. */
  readonly baseKey: Bytes;
  readonly ratchet: RatchetState;
  /** Initiator only, until it has received a message: sent with every message as type 2. */
  readonly pendingPreKey: PreKeyFields | undefined;
  /** Encode(IK_ours) || Encode(IK_theirs): identities in the AD of messages we send. */
  readonly sendingAd: Bytes;
  /** Encode(IK_theirs) || Encode(IK_ours) */
  readonly receivingAd: Bytes;
}

export type SessionFields = Omit<Session, 'sendingAd' | 'receivingAd'>;

export function makeSession(fields: SessionFields): Session {
  const ours = encodeIdentity(fields.ourIdentity);
  const theirs = encodeIdentity(fields.theirIdentity);
  return sessionOf(
    fields,
    fields.ratchet,
    fields.pendingPreKey,
    concat(ours, theirs),
    concat(theirs, ours),
  );
}

/**
 * The session after a message: a new ratchet state (and, once the peer has
 * answered, no pending prekey); everything else is shared with `session`.
 */
export function withRatchet(
  session: Session,
  ratchet: RatchetState,
  pendingPreKey: PreKeyFields | undefined,
): Session {
  return sessionOf(session, ratchet, pendingPreKey, session.sendingAd, session.receivingAd);
}

// The one place a Session is built, so every session value has the same shape.
function sessionOf(
  fields: SessionFields,
  ratchet: RatchetState,
  pendingPreKey: PreKeyFields | undefined,
  sendingAd: Bytes,
  receivingAd: Bytes,
): Session {
  return {
    role: fields.role,
    agreement: fields.agreement,
    ourIdentity: fields.ourIdentity,
    theirIdentity: fields.theirIdentity,
    baseKey: fields.baseKey,
    ratchet,
    pendingPreKey,
    sendingAd,
    receivingAd,
  };
}
