/**
 * Contacts: the identity key we trust for each user, the verified flag, the
 * pending identity change, and whether the contact is accepted, a request
 * (first message from someone unknown) or blocked.
 *
 * Trust on first use: the first identity seen for a user (from a bundle or a
 * prekey message) is recorded. A different identity later is an identity
 * change: it is recorded with the time and the previous key, `verified` is
 * cleared, and sending to that contact is refused (IDENTITY_CHANGED) until the
 * user acknowledges it, as Signal does. Messages from the new identity are
 * still received (the timeline shows the change).
 */
import * as v from 'valibot';
import { type Bytes, utf8 } from '../bytes.ts';
import { encodeIdentity, type PublicIdentity, sameIdentity } from '../crypto/identity.ts';
import { computeSafetyNumber, safetyNumberGroups } from '../crypto/safety-number.ts';
import { ErrorCode, ParleyError } from '../errors.ts';
import { bytesOf, decodeRecord, encodeRecord, IntField } from './record-codec.ts';
import { Keys } from './storage-keys.ts';
import type { RecordStore, StoreOperation } from './store.ts';

const IdentitySchema = v.object({ dh: bytesOf(32), sig: bytesOf(32), binding: bytesOf(64) });

export const ContactStatus = {
  ACCEPTED: 'accepted',
  REQUEST: 'request',
  BLOCKED: 'blocked',
} as const;
export type ContactStatus = (typeof ContactStatus)[keyof typeof ContactStatus];

const ContactSchema = v.object({
  v: v.literal(1),
  user: v.string(),
  handle: v.optional(v.string()),
  identity: v.optional(IdentitySchema),
  verified: v.boolean(),
  change: v.optional(v.object({ at: IntField, previous: IdentitySchema })),
  status: v.picklist([ContactStatus.ACCEPTED, ContactStatus.REQUEST, ContactStatus.BLOCKED]),
  createdAt: IntField,
});

export type Contact = v.InferOutput<typeof ContactSchema>;

export function newContact(user: string, status: ContactStatus, now: number): Contact {
  return { v: 1, user, verified: false, status, createdAt: now };
}

export function decodeContact(raw: Uint8Array): Contact {
  return decodeRecord(ContactSchema, raw, 'contact');
}

export async function readContact(
  records: Pick<RecordStore, 'get'>,
  user: string,
): Promise<Contact | undefined> {
  const raw = await records.get(Keys.contact(user));
  return raw === undefined ? undefined : decodeContact(raw);
}

export async function listContacts(records: RecordStore): Promise<Contact[]> {
  return (await records.list(Keys.contacts)).map(([, raw]) =>
    decodeRecord(ContactSchema, raw, 'contact'),
  );
}

export function contactOp(contact: Contact): StoreOperation {
  return { op: 'set', key: Keys.contact(contact.user), value: encodeRecord(contact) };
}

function wireIdentity(identity: PublicIdentity) {
  return { dh: identity.dh, sig: identity.signing, binding: identity.binding };
}

/** An identity as the relay and contact records spell it (`sig`) -> PublicIdentity (`signing`). */
export function publicIdentityOf(wire: {
  readonly dh: Bytes;
  readonly sig: Bytes;
  readonly binding: Bytes;
}): PublicIdentity {
  return { dh: wire.dh, signing: wire.sig, binding: wire.binding };
}

export function contactIdentity(contact: Contact): PublicIdentity | undefined {
  const id = contact.identity;
  return id === undefined ? undefined : publicIdentityOf(id);
}

export interface IdentityObservation {
  readonly contact: Contact;
  /** The identity differs from the one we trusted before. */
  readonly changed: boolean;
  /** Anything to write (first sight or change). */
  readonly updated: boolean;
}

/** Trust on first use; a different key later is recorded as a change. Pure. */
export function observeIdentity(
  contact: Contact,
  identity: PublicIdentity,
  now: number,
): IdentityObservation {
  const known = contactIdentity(contact);
  if (known === undefined) {
    return {
      contact: { ...contact, identity: wireIdentity(identity) },
      changed: false,
      updated: true,
    };
  }
  if (sameIdentity(known, identity)) return { contact, changed: false, updated: false };
  const previous = contact.identity ?? wireIdentity(known);
  return {
    contact: {
      ...contact,
      identity: wireIdentity(identity),
      verified: false,
      change: { at: now, previous },
    },
    changed: true,
    updated: true,
  };
}

/** Throws IDENTITY_CHANGED while a change waits for the user's acknowledgement. */
export function assertSendable(contact: Contact | undefined): void {
  if (contact?.change !== undefined) {
    throw new ParleyError(
      ErrorCode.IDENTITY_CHANGED,
      "This contact's safety number changed: review and acknowledge it before sending",
      { user: contact.user, changedAt: contact.change.at },
    );
  }
}

export function acknowledgeChange(contact: Contact): Contact {
  const { change: _dropped, ...rest } = contact;
  return rest;
}

export interface SafetyNumberView {
  /** 60 digits, identical on both sides. */
  readonly digits: string;
  /** 12 groups of 5 digits. */
  readonly groups: readonly string[];
  /** Scannable form for a QR code (public data), from our point of view. */
  readonly scannable: Uint8Array;
}

/** Signal's numeric fingerprint over Encode(identity) and the user id of each side. */
export async function safetyNumberFor(
  ours: { readonly user: string; readonly identity: PublicIdentity },
  theirs: { readonly user: string; readonly identity: PublicIdentity },
): Promise<SafetyNumberView> {
  const number = await computeSafetyNumber(
    { key: encodeIdentity(ours.identity), id: utf8(ours.user) },
    { key: encodeIdentity(theirs.identity), id: utf8(theirs.user) },
  );
  return {
    digits: number.digits,
    groups: safetyNumberGroups(number.digits),
    scannable: number.scannable,
  };
}
