/**
 * Who may write to us (docs/protocol.md, "Device list", peer rules): a
 * delivery from a device the sender account's signed list does not name is
 * refused unread. A device new to us may have been linked since we last
 * looked, so the list is fetched once before refusing: a genuine new device
 * is then listed and its message read. While no list is held for the sender
 * (first contact, or an account that never published one) nothing is
 * refused here: a message only decrypts for someone holding the sender's
 * identity key anyway, and the list arrives with the bundles we fetch to
 * answer. The refusal matters for a device that holds the identity key but
 * was removed from the list (a stolen or unlinked browser).
 */
import { publicIdentityOf, readContact } from '../contacts/contacts.ts';
import type { SessionContext } from '../sessions/sessions.ts';
import type { Batch } from '../store/batch.ts';
import { isListed, observeDeviceLists, readHeldList } from './held-lists.ts';

export async function senderListed(
  ctx: SessionContext,
  batch: Batch,
  user: string,
  device: number,
): Promise<boolean> {
  const held = await readHeldList(batch, user);
  // No list held yet (a first message, or an account from before signed lists): its
  // session's key agreement already proves the identity key; the list is learnt
  // with the bundles when we write back.
  if (held === undefined) return true;
  if (isListed(held.list, device)) return true;
  const directory = await ctx.api.deviceList(user);
  if (directory.user !== user) return false;
  const own = user === ctx.account.userId;
  const contact = own ? undefined : await readContact(batch, user);
  // The pinned identity when there is one; else the relay's (the message's own is checked when it decrypts).
  const identity = own
    ? ctx.account.publicIdentity.signing
    : (contact?.identity?.sig ?? publicIdentityOf(directory.identity).signing);
  const observed = await observeDeviceLists(batch, user, identity, directory.deviceLists);
  if (observed.held === undefined) return true;
  return isListed(observed.held.list, device);
}
