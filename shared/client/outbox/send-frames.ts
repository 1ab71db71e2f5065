/**
 * Outbox entries to send frames: the content is encrypted once per device of
 * every recipient user, our own account's other devices included (they get
 * the same content as a sync transcript; our account is named even with no
 * device we know of, see nameOwnAccount), and the ciphertexts are stored in
 * the entry together with the advanced sessions (one batch). After a relay
 * `mismatch` the entry is re-addressed: sessions of extra and stale devices
 * are dropped, missing devices get a session from a fresh bundle and their
 * own ciphertext, and everything else is sent again unchanged, with the same
 * client message id.
 */
import type { MismatchUser } from '../../wire/frames.ts';
import { readContact } from '../contacts/contacts.ts';
import {
  applyMismatch,
  encryptFor,
  ensureSessions,
  type SessionContext,
} from '../sessions/sessions.ts';
import type { Batch } from '../store/batch.ts';
import { type OutboxEntry, type OutboxFrame, OutboxKind, stageEntry } from './outbox.ts';

export type PrepareOutcome =
  | { readonly kind: 'ready'; readonly entry: OutboxEntry }
  /** A recipient's identity changed (now, or earlier and not yet acknowledged). */
  | { readonly kind: 'identity-changed'; readonly user: string }
  /** No device to send to (the recipients have no devices). */
  | { readonly kind: 'no-recipients' }
  /** Nothing needs to go out (a group whose only member device is this one): done. */
  | { readonly kind: 'nothing-to-send' }
  /** Cannot be sent, with this error code (e.g. we are no longer in the group). */
  | { readonly kind: 'failed'; readonly code: string };

export async function pendingChange(
  batch: Batch,
  ctx: SessionContext,
  users: readonly string[],
): Promise<string | undefined> {
  for (const user of users) {
    if (user === ctx.account.userId) continue;
    const contact = await readContact(batch, user);
    if (contact?.change !== undefined) return user;
  }
  return undefined;
}

/**
 * Group state updates go to everyone they can: a member whose safety number
 * changed (and is not acknowledged) is skipped rather than holding the update
 * back from the whole group. Everything else fails on such a recipient.
 */
function skipsChangedRecipients(entry: OutboxEntry): boolean {
  return entry.kind === OutboxKind.GROUP_UPDATE;
}

export async function encryptEntry(
  ctx: SessionContext,
  batch: Batch,
  entry: OutboxEntry,
): Promise<PrepareOutcome> {
  const skip = skipsChangedRecipients(entry);
  if (!skip) {
    const blocked = await pendingChange(batch, ctx, entry.recipients);
    if (blocked !== undefined) return { kind: 'identity-changed', user: blocked };
  }
  const to: OutboxFrame['to'] = [];
  for (const user of entry.recipients) {
    if (skip && (await pendingChange(batch, ctx, [user])) !== undefined) continue;
    const outcome = await ensureSessions(ctx, batch, user);
    if (outcome.identityChanged) {
      if (skip) continue;
      return { kind: 'identity-changed', user };
    }
    if (outcome.devices.length === 0) continue;
    const devices = [];
    for (const device of outcome.devices) {
      devices.push({ device, body: await encryptFor(ctx, batch, user, device, entry.content) });
    }
    to.push({ user, devices });
  }
  const own = ctx.account.userId;
  const toOwn = entry.recipients.includes(own);
  // Nobody else reachable fails as before; an entry for our own devices only still asks the relay.
  if (to.length === 0 && !(toOwn && entry.recipients.length === 1)) {
    return { kind: 'no-recipients' };
  }
  if (toOwn) nameOwnAccount(to, own);
  const ready: OutboxEntry = { ...entry, frame: { to } };
  stageEntry(batch, ready);
  return { kind: 'ready', entry: ready };
}

/**
 * A frame meant for our other devices names our own account even when we know
 * of none (an empty device list): the relay then checks it like any named
 * account and answers `mismatch` with every other device of ours `missing`,
 * so a device linked while we did not hear of it still gets the copy
 * (docs/protocol.md, "Own devices in every send").
 */
export function nameOwnAccount(to: OutboxFrame['to'], own: string): void {
  if (!to.some((r) => r.user === own)) to.push({ user: own, devices: [] });
}

export async function readdressEntry(
  ctx: SessionContext,
  batch: Batch,
  entry: OutboxEntry,
  users: readonly MismatchUser[],
): Promise<PrepareOutcome> {
  const frame = entry.frame ?? { to: [] };
  const to = frame.to.map((r) => ({ user: r.user, devices: [...r.devices] }));
  for (const mismatch of users) {
    const outcome = await applyMismatch(ctx, batch, mismatch);
    if (outcome.identityChanged) return { kind: 'identity-changed', user: mismatch.user };
    let recipient = to.find((r) => r.user === mismatch.user);
    if (recipient === undefined) {
      recipient = { user: mismatch.user, devices: [] };
      to.push(recipient);
    }
    const removed = new Set(outcome.removed);
    const added = new Set(outcome.devices);
    // A device named missing gets a new ciphertext even if we had addressed it before.
    recipient.devices = recipient.devices.filter(
      (d) => !removed.has(d.device) && !added.has(d.device),
    );
    for (const device of outcome.devices) {
      recipient.devices.push({
        device,
        body: await encryptFor(ctx, batch, mismatch.user, device, entry.content),
      });
    }
  }
  const remaining = to.filter((r) => r.devices.length > 0);
  if (remaining.length === 0) return { kind: 'no-recipients' };
  const ready: OutboxEntry = {
    ...entry,
    frame: { to: remaining },
    mismatches: entry.mismatches + 1,
  };
  stageEntry(batch, ready);
  return { kind: 'ready', entry: ready };
}
