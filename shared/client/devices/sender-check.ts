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
import { type PublicIdentity, sameIdentity } from '../../crypto/identity.ts';
import { inspectMessage } from '../../crypto/session.ts';
import { publicIdentityOf, readContact } from '../contacts/contacts.ts';
import type { SessionContext } from '../sessions/sessions.ts';
import type { Batch } from '../store/batch.ts';
import { isListed, newestValidList, observeDeviceLists, readHeldList } from './held-lists.ts';

/** A prekey message made by `identity` (a pairwise message that starts a session). */
function startsSessionAs(body: Uint8Array, identity: PublicIdentity): boolean {
  try {
    const info = inspectMessage(body);
    return info.initiatorIdentity !== undefined && sameIdentity(info.initiatorIdentity, identity);
  } catch {
    return false;
  }
}

export async function senderListed(
  ctx: SessionContext,
  batch: Batch,
  user: string,
  device: number,
  body: Uint8Array,
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
  const served = publicIdentityOf(directory.identity);
  const pinned = contact?.identity === undefined ? undefined : publicIdentityOf(contact.identity);
  if (pinned !== undefined && !sameIdentity(pinned, served)) {
    // The account reset its identity (docs/protocol.md, "Resetting the identity"): a
    // device of the new identity's own list may start a session as that identity, and
    // decrypting it runs the identity-change path (sending stays blocked until the user
    // accepts). Anything else from an unlisted device stays refused.
    const list = await newestValidList(user, served.signing, directory.deviceLists);
    return list !== undefined && isListed(list, device) && startsSessionAs(body, served);
  }
  // The pinned identity when there is one; else the relay's (the message's own is checked when it decrypts).
  const identity = own ? ctx.account.publicIdentity.signing : (pinned ?? served).signing;
  const observed = await observeDeviceLists(batch, user, identity, directory.deviceLists);
  if (observed.held === undefined) return true;
  return isListed(observed.held.list, device);
}
