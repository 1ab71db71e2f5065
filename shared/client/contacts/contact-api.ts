/**
 * The contact part of the client API (createClient exposes these): read a
 * contact, verify it, accept a changed identity or a request, block and
 * unblock. Every change is one write on the client's serial queue, then the
 * `contact` and `conversation` events; the same write queues a `contact` sync
 * for our other devices (docs/client.md, "Own-device sync").
 */
import { ErrorCode, fail } from '../../errors.ts';
import { directConversationId } from '../conversations/conversations.ts';
import { forgetForkedList } from '../devices/held-lists.ts';
import type { ClientHost } from '../host.ts';
import { dropHeldReceipts, releaseHeldReceipts } from '../inbox/receipts.ts';
import type { RelayApi } from '../relay/relay-api.ts';
import { SyncContactState, type SyncPayload } from '../sessions/content.ts';
import type { Batch } from '../store/batch.ts';
import type { ContactView } from '../views.ts';
import {
  acknowledgeChange,
  type Contact,
  ContactStatus,
  contactOp,
  listContacts,
  newContact,
  readContact,
} from './contacts.ts';

export interface ContactApiHost
  extends Pick<ClientHost, 'records' | 'transact' | 'now' | 'events'> {
  requireApi(): RelayApi;
  view(contact: Contact): Promise<ContactView>;
  /** Receipts held back for a request went back into the queue: flush them. */
  receiptsReleased?(): void;
  /** Queues a sync for our other devices in `batch`. */
  stageSync(batch: Batch, payload: SyncPayload): Promise<void>;
  /** The outbox has something new. */
  pump(): void;
}

/** What our other devices are told of a change (the contact after it). */
function contactSync(contact: Contact, state: SyncContactState): SyncPayload {
  if (state !== SyncContactState.VERIFIED || contact.identity === undefined) {
    return { k: 'contact', u: contact.user, s: state };
  }
  return { k: 'contact', u: contact.user, s: state, id: contact.identity };
}

export function createContactApi(host: ContactApiHost) {
  const { records, transact, events } = host;

  /**
   * Applies `change` to the stored contact in one write. A user we have no
   * record of is NOT_FOUND, unless `unknown` is 'request': then they start
   * as a request (blocking someone who never wrote to us).
   */
  async function changeContact(
    userId: string,
    change: (c: Contact) => Contact,
    unknown: 'request' | 'not-found',
    sync?: SyncContactState,
    alsoStage?: (batch: Batch) => Promise<unknown>,
  ): Promise<ContactView> {
    let released = false;
    const updated = await transact(async (batch) => {
      let contact = await readContact(batch, userId);
      if (contact === undefined) {
        if (unknown === 'not-found') fail(ErrorCode.NOT_FOUND, 'No such contact');
        contact = newContact(userId, ContactStatus.REQUEST, host.now());
      }
      const next = change(contact);
      batch.apply(contactOp(next));
      // Accepting a request sends the receipts held back until now; blocking drops them.
      if (contact.status === ContactStatus.REQUEST && next.status === ContactStatus.ACCEPTED) {
        released = (await releaseHeldReceipts(batch, { user: userId })) > 0;
      }
      if (next.status === ContactStatus.BLOCKED) await dropHeldReceipts(batch, { user: userId });
      if (sync !== undefined) await host.stageSync(batch, contactSync(next, sync));
      await alsoStage?.(batch);
      return next;
    });
    if (released) host.receiptsReleased?.();
    if (sync !== undefined) host.pump();
    events.emit('contact', { userId });
    events.emit('conversation', { conversationId: directConversationId(userId) });
    return host.view(updated);
  }

  async function getContact(userId: string): Promise<ContactView> {
    const contact = await readContact(records, userId);
    if (contact === undefined) fail(ErrorCode.NOT_FOUND, 'No such contact');
    return host.view(contact);
  }

  /**
   * Blocks a user: the relay drops whatever they send us from now on (it is
   * told first, so a failure changes nothing), and this client drops anything
   * that still arrives. Receipts, typing and presence to them stop.
   */
  async function blockContact(userId: string): Promise<ContactView> {
    await host.requireApi().block(userId);
    return changeContact(
      userId,
      (c) => ({ ...c, status: ContactStatus.BLOCKED }),
      'request',
      SyncContactState.BLOCKED,
    );
  }

  /** Unblocks (relay first): they become an accepted contact. */
  async function unblockContact(userId: string): Promise<ContactView> {
    await host.requireApi().unblock(userId);
    return changeContact(
      userId,
      (c) => ({ ...c, status: ContactStatus.ACCEPTED }),
      'request',
      SyncContactState.UNBLOCKED,
    );
  }

  /**
   * Makes the relay's block list and this device's agree; runs whenever the
   * account becomes usable (start, unlock). Only the identity key can change
   * the relay's list (docs/wire.md, "Authentication"), but a list changed before that rule,
   * or a block whose relay call failed, must not stay silently different:
   *  - someone this device blocks but the relay does not is blocked there again;
   *  - a contact the relay blocks but this device does not (another device of
   *    the account blocked them) is shown as blocked here, where the person
   *    can see it and unblock.
   * Users the relay blocks that this device has never heard of are left alone.
   */
  async function reconcileBlocks(): Promise<{ pushed: string[]; adopted: string[] }> {
    const api = host.requireApi();
    const atRelay = new Set((await api.blockList()).users);
    const local = await listContacts(records);
    const pushed: string[] = [];
    const adopted: string[] = [];
    for (const c of local) {
      if (c.status === ContactStatus.BLOCKED && !atRelay.has(c.user)) {
        await api.block(c.user);
        pushed.push(c.user);
      } else if (c.status !== ContactStatus.BLOCKED && atRelay.has(c.user)) {
        await changeContact(c.user, (x) => ({ ...x, status: ContactStatus.BLOCKED }), 'not-found');
        adopted.push(c.user);
      }
    }
    return { pushed, adopted };
  }

  return {
    getContact,
    reconcileBlocks,
    /** Verifying also ends a device-list fork: the next list served is held anew. */
    setVerified: (userId: string, verified: boolean) =>
      changeContact(
        userId,
        (c) => ({ ...c, verified }),
        'not-found',
        verified ? SyncContactState.VERIFIED : SyncContactState.UNVERIFIED,
        // Re-verifying resolves a forked device list (docs/protocol.md "Device list").
        verified ? (batch) => forgetForkedList(batch, userId) : undefined,
      ),
    /** Accepts a changed identity key: sending is allowed again (the contact is no longer verified). */
    acknowledgeIdentityChange: (userId: string) =>
      changeContact(userId, acknowledgeChange, 'not-found'),
    /** Accepts a message request: receipts, typing and presence to them start. */
    acceptRequest: (userId: string) =>
      changeContact(
        userId,
        (c) => ({ ...c, status: ContactStatus.ACCEPTED }),
        'not-found',
        SyncContactState.ACCEPTED,
      ),
    blockContact,
    unblockContact,
  };
}
