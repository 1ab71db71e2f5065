/**
 * Sesame-style multi-device sessions (signal.org/docs/specifications/sesame).
 *
 * Per user we keep the list of device ids we address (the "user record"), and
 * per (user, device) one active session plus up to MAX_INACTIVE_SESSIONS
 * inactive ones. We encrypt with the active session; an incoming message may
 * decrypt with any of them, and one that decrypts with an inactive session
 * makes it active (simultaneous initiation, restores). A new prekey message
 * from a device starts a new active session and demotes the old one.
 *
 * Device lists come from the relay (bundles, device list) and are corrected by
 * `mismatch` answers; every device must carry a certificate signed by the
 * user's identity key, so the relay cannot slip in a device of its own. The
 * identity itself is trust-on-first-use per contact (contacts.ts); for our
 * own account it must be our identity, or the relay is lying.
 *
 * Nothing here writes directly: every change is staged in a Batch, which the
 * caller commits together with what the message meant (inbox, outbox).
 */
import * as v from 'valibot';
import { type Bytes, equalBytes } from '../../bytes.ts';
import { validateDeviceCertificate } from '../../crypto/device-certificate.ts';
import type { SignedDeviceList } from '../../crypto/device-list.ts';
import { type PublicIdentity, sameIdentity } from '../../crypto/identity.ts';
import { MessageType } from '../../crypto/message-format.ts';
import { type PreKeyBundle, PreKeyKind } from '../../crypto/prekeys.ts';
import {
  acceptIncomingSession,
  createOutgoingSession,
  decryptMessage,
  deserializeSession,
  encryptMessage,
  inspectMessage,
  type Session,
  serializeSession,
} from '../../crypto/session.ts';
import { ErrorCode, fail, isParleyError, ParleyError } from '../../errors.ts';
import type { PrekeyBundle, PrekeyBundlesResponse } from '../../wire/rest-devices.ts';
import type { Account } from '../account/account.ts';
import {
  type Contact,
  ContactStatus,
  contactOp,
  newContact,
  observeIdentity,
  publicIdentityOf,
  readContact,
} from '../contacts/contacts.ts';
import type { CoreDeps } from '../deps.ts';
import {
  droppedDevices,
  isListed,
  observeDeviceLists,
  readHeldList,
  resetDeviceList,
} from '../devices/held-lists.ts';
import type { RelayApi } from '../relay/relay-api.ts';
import type { Batch } from '../store/batch.ts';
import { BytesField, decodeRecord, encodeRecord, IntField } from '../store/record-codec.ts';
import { Keys } from '../store/storage-keys.ts';
import { deleteOneTimeKemPreKeyOp, deleteOneTimePreKeyOp, recordPreKeyLookup } from './prekeys.ts';

export const MAX_INACTIVE_SESSIONS = 4;

const SessionRecordSchema = v.object({
  v: v.literal(1),
  active: BytesField,
  inactive: v.array(BytesField),
});

const DeviceListSchema = v.object({
  v: v.literal(1),
  devices: v.array(IntField),
  updatedAt: IntField,
});

export interface SessionEntry {
  readonly active: Session;
  readonly inactive: readonly Session[];
}

export interface SessionContext {
  readonly deps: CoreDeps;
  readonly api: RelayApi;
  readonly account: Account;
  /** Decoded sessions by record key; updated only after a commit. */
  readonly cache: Map<string, SessionEntry>;
  /** Called (inside the batch) when a contact's identity changed: the client notes it in the timeline. */
  readonly onIdentityChange?: (batch: Batch, user: string) => Promise<void>;
}

// ---------------------------------------------------------------------------
// Records

async function loadEntry(
  ctx: SessionContext,
  batch: Batch,
  user: string,
  device: number,
): Promise<SessionEntry | undefined> {
  const key = Keys.session(user, device);
  if (!batch.has(key)) {
    const cached = ctx.cache.get(key);
    if (cached !== undefined) return cached;
  }
  const raw = await batch.get(key);
  if (raw === undefined) return undefined;
  const r = decodeRecord(SessionRecordSchema, raw, 'session');
  const [active, ...inactive] = await Promise.all(
    [r.active, ...r.inactive].map((bytes) => deserializeSession(bytes)),
  );
  if (active === undefined) throw new ParleyError(ErrorCode.STATE_CORRUPT, 'Empty session record');
  return { active, inactive };
}

async function stageEntry(
  ctx: SessionContext,
  batch: Batch,
  user: string,
  device: number,
  entry: SessionEntry,
): Promise<void> {
  const key = Keys.session(user, device);
  const [active, ...inactive] = await Promise.all(
    [entry.active, ...entry.inactive].map((s) => serializeSession(s)),
  );
  batch.set(key, encodeRecord({ v: 1, active, inactive }));
  batch.afterCommit(() => ctx.cache.set(key, entry));
}

function dropEntry(ctx: SessionContext, batch: Batch, user: string, device: number): void {
  const key = Keys.session(user, device);
  batch.delete(key);
  batch.afterCommit(() => ctx.cache.delete(key));
}

export async function knownDevices(batch: Batch, user: string): Promise<number[] | undefined> {
  const raw = await batch.get(Keys.devices(user));
  return raw === undefined ? undefined : decodeRecord(DeviceListSchema, raw, 'device list').devices;
}

export function stageDevices(
  ctx: SessionContext,
  batch: Batch,
  user: string,
  devices: Iterable<number>,
): void {
  const sorted = [...new Set(devices)].sort((a, b) => a - b);
  batch.set(Keys.devices(user), encodeRecord({ v: 1, devices: sorted, updatedAt: ctx.deps.now() }));
}

/** Forgets every session and the device list of a user (identity change, reset). */
export async function dropUserSessions(
  ctx: SessionContext,
  batch: Batch,
  user: string,
): Promise<void> {
  for (const device of (await knownDevices(batch, user)) ?? []) dropEntry(ctx, batch, user, device);
  for (const [key] of await batch.records.list(Keys.sessionsOf(user))) {
    batch.delete(key);
    batch.afterCommit(() => ctx.cache.delete(key));
  }
  batch.delete(Keys.devices(user));
  // The signed device list belongs to the identity that signed it.
  resetDeviceList(batch, user);
}

/** Ends the session with one device: the next message to it starts a new one from a fresh bundle. */
export function dropDeviceSession(
  ctx: SessionContext,
  batch: Batch,
  user: string,
  device: number,
): void {
  dropEntry(ctx, batch, user, device);
}

export async function hasSession(
  ctx: SessionContext,
  batch: Batch,
  user: string,
  device: number,
): Promise<boolean> {
  return (await loadEntry(ctx, batch, user, device)) !== undefined;
}

// ---------------------------------------------------------------------------
// Contacts as sessions see them

function stagedContact(batch: Batch, user: string): Promise<Contact | undefined> {
  return readContact(batch, user);
}

/**
 * Checks an identity the relay (or a prekey message) presents for `user`:
 * ours for our own account, trust-on-first-use for contacts. Stages the
 * contact update; reports whether the identity changed.
 */
export async function checkIdentity(
  ctx: SessionContext,
  batch: Batch,
  user: string,
  identity: PublicIdentity,
  statusIfNew: (typeof ContactStatus)[keyof typeof ContactStatus],
): Promise<{ changed: boolean; contact: Contact | undefined }> {
  if (user === ctx.account.userId) {
    if (!sameIdentity(identity, ctx.account.publicIdentity)) {
      fail(ErrorCode.IDENTITY_MISMATCH, 'The relay presented another identity for our own account');
    }
    return { changed: false, contact: undefined };
  }
  const existing =
    (await stagedContact(batch, user)) ?? newContact(user, statusIfNew, ctx.deps.now());
  const seen = observeIdentity(existing, identity, ctx.deps.now());
  if (seen.updated) batch.apply(contactOp(seen.contact));
  if (seen.changed) {
    await dropUserSessions(ctx, batch, user);
    await ctx.onIdentityChange?.(batch, user);
  }
  return { changed: seen.changed, contact: seen.contact };
}

// ---------------------------------------------------------------------------
// Bundles -> sessions

function toPreKeyBundle(identity: PublicIdentity, b: PrekeyBundle): PreKeyBundle {
  // `oneTime` only picks the kind; the signature context it implies is checked with the bundle.
  const { oneTime, ...kem } = b.kemPreKey;
  return {
    identity,
    signedPreKey: { kind: PreKeyKind.SIGNED, ...b.signedPreKey },
    kemPreKey:
      oneTime === true
        ? { kind: PreKeyKind.ONE_TIME_KEM, ...kem }
        : { kind: PreKeyKind.KEM, ...kem },
    ...(b.oneTimePreKey === undefined
      ? {}
      : { oneTimePreKey: { kind: PreKeyKind.ONE_TIME, ...b.oneTimePreKey } }),
  };
}

/** Rejects a device whose certificate is not signed by the user's identity (a relay-made device). */
async function checkCertificate(
  user: string,
  identity: PublicIdentity,
  device: { id: number; key: Bytes; certificate: Bytes; createdAt: number },
): Promise<void> {
  await validateDeviceCertificate(identity.signing, {
    userId: user,
    deviceId: device.id,
    deviceKey: device.key,
    createdAt: device.createdAt,
    signature: device.certificate,
  });
}

export interface BundleOutcome {
  /** Devices that now have a session. */
  readonly devices: number[];
  /** The identity differs from the trusted one: nothing was set up. */
  readonly identityChanged: boolean;
}

/**
 * The signed device lists a relay answer carried for `user` (held-lists.ts),
 * our own account included (the upkeep announces our own list's changes). A forked user cannot be written to
 * (DEVICE_LIST_FORK); devices a newer list dropped lose their sessions.
 * Returns the list to address devices by (undefined: the user has none).
 */
async function applyServedLists(
  ctx: SessionContext,
  batch: Batch,
  user: string,
  identityKey: Bytes,
  served: readonly Uint8Array[] | undefined,
): Promise<SignedDeviceList | undefined> {
  const observed = await observeDeviceLists(batch, user, identityKey, served);
  if (observed.held?.fork !== undefined) {
    fail(ErrorCode.DEVICE_LIST_FORK, 'The account has two different device lists', {
      version: observed.held.list.version,
    });
  }
  if (observed.previous !== undefined && observed.held !== undefined) {
    const dropped = droppedDevices(observed.previous, observed.held.list);
    if (dropped.length > 0) {
      for (const device of dropped) dropEntry(ctx, batch, user, device);
      const known = (await knownDevices(batch, user)) ?? [];
      stageDevices(
        ctx,
        batch,
        user,
        known.filter((d) => !dropped.includes(d)),
      );
    }
  }
  return observed.held?.list;
}

/** The identity signing key we hold for `user` (ours for our own account), if any. */
async function pinnedSigningKey(
  ctx: SessionContext,
  batch: Batch,
  user: string,
): Promise<Bytes | undefined> {
  if (user === ctx.account.userId) return ctx.account.publicIdentity.signing;
  return (await readContact(batch, user))?.identity?.sig;
}

/**
 * Sending to a user whose device list forked: the relay is asked once more,
 * since a newer version chaining from either branch resolves the fork
 * (docs/protocol.md, "Device list"); without that ask a fork would outlive
 * the version that ends it. Still forked, the send stops here
 * (DEVICE_LIST_FORK).
 */
async function checkNotForked(ctx: SessionContext, batch: Batch, user: string): Promise<void> {
  const held = await readHeldList(batch, user);
  if (held?.fork === undefined) return;
  const forked = () =>
    fail(ErrorCode.DEVICE_LIST_FORK, 'The account has two different device lists', {
      version: held.list.version,
    });
  const identityKey = await pinnedSigningKey(ctx, batch, user);
  if (identityKey === undefined) forked();
  const directory = await ctx.api.deviceList(user);
  if (directory.user !== user)
    fail(ErrorCode.RELAY_PROTOCOL, 'Device list answer names another user');
  await applyServedLists(ctx, batch, user, identityKey as Bytes, directory.deviceLists);
}

/** Starts an outgoing session with every device in a bundle response. */
async function sessionsFromBundles(
  ctx: SessionContext,
  batch: Batch,
  response: PrekeyBundlesResponse,
  user: string,
): Promise<BundleOutcome> {
  if (response.user !== user) fail(ErrorCode.RELAY_PROTOCOL, 'Bundles answer names another user');
  const identity = publicIdentityOf(response.identity);
  const { changed } = await checkIdentity(ctx, batch, user, identity, ContactStatus.ACCEPTED);
  if (changed) return { devices: [], identityChanged: true };
  const listed = await applyServedLists(ctx, batch, user, identity.signing, response.deviceLists);
  const devices: number[] = [];
  for (const bundle of response.devices) {
    if (user === ctx.account.userId && bundle.id === ctx.account.deviceId) continue;
    // A device the account's signed list does not name (with this key) is not addressed.
    if (listed !== undefined && !isListed(listed, bundle.id, bundle.key)) continue;
    await checkCertificate(user, identity, bundle);
    const session = await createOutgoingSession(
      ctx.deps,
      ctx.account.identity,
      toPreKeyBundle(identity, bundle),
    );
    const previous = await loadEntry(ctx, batch, user, bundle.id);
    await stageEntry(ctx, batch, user, bundle.id, {
      active: session,
      inactive:
        previous === undefined
          ? []
          : [previous.active, ...previous.inactive].slice(0, MAX_INACTIVE_SESSIONS),
    });
    devices.push(bundle.id);
  }
  return { devices, identityChanged: false };
}

/**
 * Makes sure `user` has a device list and a session with each listed device
 * (for our own account: each other device). Fetches from the relay only what
 * is missing. Stages everything in `batch`.
 */
export async function ensureSessions(
  ctx: SessionContext,
  batch: Batch,
  user: string,
): Promise<BundleOutcome> {
  const own = user === ctx.account.userId;
  await checkNotForked(ctx, batch, user);
  let list = await knownDevices(batch, user);
  // A contact with no known devices may have registered one since: ask again.
  if (list === undefined || (list.length === 0 && !own)) {
    if (own) {
      const directory = await ctx.api.deviceList(user);
      if (!sameIdentity(publicIdentityOf(directory.identity), ctx.account.publicIdentity)) {
        fail(
          ErrorCode.IDENTITY_MISMATCH,
          'The relay presented another identity for our own account',
        );
      }
      for (const d of directory.devices)
        await checkCertificate(user, ctx.account.publicIdentity, d);
      // The served lists, not only the held one: a device listed since we last
      // looked (another device of ours linked) is addressed now.
      const listed = await applyServedLists(
        ctx,
        batch,
        user,
        ctx.account.publicIdentity.signing,
        directory.deviceLists,
      );
      list = directory.devices
        .filter((d) => listed === undefined || isListed(listed, d.id, d.key))
        .map((d) => d.id)
        .filter((id) => id !== ctx.account.deviceId);
      stageDevices(ctx, batch, user, list);
    } else {
      const outcome = await sessionsFromBundles(ctx, batch, await ctx.api.bundles(user), user);
      if (outcome.identityChanged) return outcome;
      stageDevices(ctx, batch, user, outcome.devices);
      return outcome;
    }
  }
  const ready: number[] = [];
  const listed = (await readHeldList(batch, user))?.list;
  for (const device of list) {
    if (listed !== undefined && !isListed(listed, device)) continue;
    if (await hasSession(ctx, batch, user, device)) {
      ready.push(device);
      continue;
    }
    const outcome = await fetchDevice(ctx, batch, user, device);
    if (outcome.identityChanged) return outcome;
    ready.push(...outcome.devices);
  }
  return { devices: ready, identityChanged: false };
}

/** One device's bundle; a device the relay no longer has is dropped from the list. */
async function fetchDevice(
  ctx: SessionContext,
  batch: Batch,
  user: string,
  device: number,
): Promise<BundleOutcome> {
  let response: PrekeyBundlesResponse;
  try {
    response = await ctx.api.bundle(user, device);
  } catch (e) {
    if (isParleyError(e, ErrorCode.NOT_FOUND)) {
      const list = (await knownDevices(batch, user)) ?? [];
      stageDevices(
        ctx,
        batch,
        user,
        list.filter((d) => d !== device),
      );
      return { devices: [], identityChanged: false };
    }
    throw e;
  }
  return sessionsFromBundles(ctx, batch, response, user);
}

/**
 * Applies a relay `mismatch` for one user: drops sessions of extra and stale
 * devices, fetches bundles for missing ones. Returns the devices to add.
 */
export async function applyMismatch(
  ctx: SessionContext,
  batch: Batch,
  mismatch: {
    user: string;
    missing: readonly number[];
    extra: readonly number[];
    stale: readonly number[];
  },
): Promise<BundleOutcome & { readonly removed: number[] }> {
  const { user } = mismatch;
  const removed = [...mismatch.extra, ...mismatch.stale];
  for (const device of removed) dropEntry(ctx, batch, user, device);
  const list = new Set((await knownDevices(batch, user)) ?? []);
  for (const device of removed) list.delete(device);
  const added: number[] = [];
  for (const device of mismatch.missing) {
    if (user === ctx.account.userId && device === ctx.account.deviceId) continue;
    // Fetch afresh even if a session exists: the relay says the device is new to this list.
    const outcome = await fetchDevice(ctx, batch, user, device);
    if (outcome.identityChanged) return { ...outcome, removed };
    for (const d of outcome.devices) {
      list.add(d);
      added.push(d);
    }
  }
  stageDevices(ctx, batch, user, list);
  return { devices: added, identityChanged: false, removed };
}

// ---------------------------------------------------------------------------
// Encrypt and decrypt

export async function encryptFor(
  ctx: SessionContext,
  batch: Batch,
  user: string,
  device: number,
  plaintext: Uint8Array,
): Promise<Bytes> {
  const entry = await loadEntry(ctx, batch, user, device);
  if (entry === undefined) fail(ErrorCode.SESSION_NOT_FOUND, 'No session with this device');
  const { session, ciphertext } = await encryptMessage(ctx.deps, entry.active, plaintext);
  await stageEntry(ctx, batch, user, device, { active: session, inactive: entry.inactive });
  return ciphertext;
}

export interface Decrypted {
  readonly plaintext: Bytes;
  /** Set when this message started a new session (prekey message). */
  readonly newSession: boolean;
  /** For a message from another account: the contact after this message (may be new). */
  readonly contact: Contact | undefined;
  /** The sender's identity differs from the one we trusted (the change is staged). */
  readonly identityChanged: boolean;
}

/**
 * Decrypts one message from (user, device) and stages the session change (and,
 * for a first message, the consumed one-time prekeys' deletion and the
 * contact). Throws the protocol's ParleyError on failure, with nothing staged.
 */
export async function decryptFrom(
  ctx: SessionContext,
  batch: Batch,
  user: string,
  device: number,
  ciphertext: Uint8Array,
): Promise<Decrypted> {
  const info = inspectMessage(ciphertext);
  const entry = await loadEntry(ctx, batch, user, device);
  const sessions = entry === undefined ? [] : [entry.active, ...entry.inactive];
  let firstError: unknown;
  for (let i = 0; i < sessions.length; i++) {
    const candidate = sessions[i] as Session;
    try {
      const { session, plaintext } = await decryptMessage(ctx.deps, candidate, ciphertext);
      const others = sessions.filter((_, j) => j !== i);
      await stageEntry(ctx, batch, user, device, { active: session, inactive: others });
      const contact = user === ctx.account.userId ? undefined : await stagedContact(batch, user);
      await addDevice(ctx, batch, user, device);
      return { plaintext, newSession: false, contact, identityChanged: false };
    } catch (e) {
      // A replay of a message this session already opened is final: do not try older sessions.
      if (isParleyError(e, ErrorCode.DUPLICATE_MESSAGE)) throw e;
      firstError ??= e;
    }
  }
  if (info.type !== MessageType.PREKEY || info.initiatorIdentity === undefined) {
    if (firstError !== undefined) throw firstError;
    fail(ErrorCode.SESSION_NOT_FOUND, 'No session with this device');
  }
  // A prekey message of a session we hold failed in it (tampered, corrupted): its
  // prekeys are spent, so a new key agreement could only fail for the wrong reason.
  const baseKey = info.baseKey;
  if (
    firstError !== undefined &&
    baseKey !== undefined &&
    sessions.some((s) => s.role === 'responder' && equalBytes(s.baseKey, baseKey))
  ) {
    throw firstError;
  }
  const accepted = await acceptIncomingSession(
    ctx.deps,
    ctx.account.identity,
    recordPreKeyLookup(batch.records),
    ciphertext,
  );
  // Authenticated now (both identities are in the associated data): check who it is.
  const { changed, contact } = await checkIdentity(
    ctx,
    batch,
    user,
    info.initiatorIdentity,
    ContactStatus.REQUEST,
  );
  const previous = changed ? [] : sessions;
  await stageEntry(ctx, batch, user, device, {
    active: accepted.session,
    inactive: previous.slice(0, MAX_INACTIVE_SESSIONS),
  });
  if (accepted.consumedOneTimePreKeyId !== undefined) {
    batch.apply(deleteOneTimePreKeyOp(accepted.consumedOneTimePreKeyId));
  }
  // A one-time ML-KEM prekey goes with the session it made; the last-resort one stays.
  if (accepted.consumedKemPreKeyId !== undefined) {
    batch.apply(deleteOneTimeKemPreKeyOp(accepted.consumedKemPreKeyId));
  }
  await addDevice(ctx, batch, user, device);
  return {
    plaintext: accepted.plaintext,
    newSession: true,
    contact,
    identityChanged: changed,
  };
}

/** A device that wrote to us exists: address it from now on (the relay would say so anyway). */
async function addDevice(
  ctx: SessionContext,
  batch: Batch,
  user: string,
  device: number,
): Promise<void> {
  if (user === ctx.account.userId && device === ctx.account.deviceId) return;
  // If this is all we know of the user, the relay's `mismatch` names the other devices.
  const list = await knownDevices(batch, user);
  if (list?.includes(device)) return;
  stageDevices(ctx, batch, user, [...(list ?? []), device]);
}
