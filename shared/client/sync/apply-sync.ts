/**
 * Applying a `sync` from one of our own other devices (docs/client.md,
 * "Own-device sync"). The inbox hands over only syncs whose sender is our own
 * account (a peer's is dropped unread). Every kind is idempotent: applying
 * the same sync twice, or one that is already true here, changes nothing;
 * nothing here queues a sync, so a change never bounces between devices.
 */
import { equalBytes } from '../../bytes.ts';
import type { Settings } from '../account/settings.ts';
import { stageSettings } from '../account/settings.ts';
import {
  type Contact,
  ContactStatus,
  contactOp,
  newContact,
  readContact,
} from '../contacts/contacts.ts';
import { directConversationId, groupConversationId } from '../conversations/conversations.ts';
import { stageConversationDeletion, stageMessagesDeletion } from '../conversations/deletion.ts';
import type { InboxEffect } from '../effects.ts';
import { readGroup, stageGroup } from '../groups/store.ts';
import { dropHeldReceipts, releaseHeldReceipts } from '../inbox/receipts.ts';
import { SyncContactState, type SyncContent } from '../sessions/content.ts';
import type { Batch } from '../store/batch.ts';
import { Keys } from '../store/storage-keys.ts';

export interface SyncOutcome {
  readonly effects: InboxEffect[];
  /** Receipts held for a request or an invitation went back into the queue: flush them. */
  readonly receiptsReleased: boolean;
}

const none: SyncOutcome = { effects: [], receiptsReleased: false };

type Of<K extends SyncContent['k']> = Extract<SyncContent, { k: K }>;

export async function applySync(
  batch: Batch,
  content: SyncContent,
  now: number,
): Promise<SyncOutcome> {
  switch (content.k) {
    case 'contact':
      return applyContact(batch, content, now);
    case 'settings':
      return applySettings(batch, content);
    case 'delete-conversation': {
      const deleted = await stageConversationDeletion(batch, content.c);
      return deleted ? only({ type: 'conversation', conversationId: content.c }) : none;
    }
    case 'delete-messages': {
      const refs = content.m.map((m) => ({ author: m.a, id: m.id }));
      const deleted = await stageMessagesDeletion(batch, content.c, refs);
      return deleted.length === 0
        ? none
        : only({ type: 'conversation', conversationId: content.c });
    }
    case 'group-accept':
      return applyGroupAccept(batch, content);
    case 'device-list':
      return only({ type: 'own-list-changed', version: content.ver });
  }
}

function only(...effects: InboxEffect[]): SyncOutcome {
  return { effects, receiptsReleased: false };
}

/** The contact as our other device changed it; undefined when nothing changes here. */
function changedContact(contact: Contact, content: Of<'contact'>): Contact | undefined {
  switch (content.s) {
    case SyncContactState.ACCEPTED:
      return contact.status === ContactStatus.REQUEST
        ? { ...contact, status: ContactStatus.ACCEPTED }
        : undefined;
    case SyncContactState.BLOCKED:
      return contact.status === ContactStatus.BLOCKED
        ? undefined
        : { ...contact, status: ContactStatus.BLOCKED };
    case SyncContactState.UNBLOCKED:
      return contact.status === ContactStatus.BLOCKED
        ? { ...contact, status: ContactStatus.ACCEPTED }
        : undefined;
    case SyncContactState.UNVERIFIED:
      return contact.verified ? { ...contact, verified: false } : undefined;
    case SyncContactState.VERIFIED: {
      const id = content.id;
      if (id === undefined || contact.verified) return undefined;
      // Verified means "this key": a contact whose key here differs stays unverified.
      if (contact.identity === undefined) return { ...contact, identity: id, verified: true };
      const same =
        equalBytes(contact.identity.dh, id.dh) && equalBytes(contact.identity.sig, id.sig);
      return same && contact.change === undefined ? { ...contact, verified: true } : undefined;
    }
  }
}

async function applyContact(
  batch: Batch,
  content: Of<'contact'>,
  now: number,
): Promise<SyncOutcome> {
  const user = content.u;
  const before =
    (await readContact(batch, user)) ??
    newContact(
      user,
      content.s === SyncContactState.BLOCKED ? ContactStatus.REQUEST : ContactStatus.ACCEPTED,
      now,
    );
  const next = changedContact(before, content);
  const known = (await batch.get(Keys.contact(user))) !== undefined;
  if (next === undefined && known) return none;
  const contact = next ?? before;
  batch.apply(contactOp(contact));
  let receiptsReleased = false;
  // As on the device that made the change (contact-api.ts): accepting sends what was held back.
  if (before.status === ContactStatus.REQUEST && contact.status === ContactStatus.ACCEPTED) {
    receiptsReleased = (await releaseHeldReceipts(batch, { user })) > 0;
  }
  if (contact.status === ContactStatus.BLOCKED) await dropHeldReceipts(batch, { user });
  return {
    effects: [
      { type: 'contact', userId: user },
      { type: 'conversation', conversationId: directConversationId(user) },
    ],
    receiptsReleased,
  };
}

function applySettings(batch: Batch, content: Of<'settings'>): SyncOutcome {
  const settings: Settings = {
    readReceipts: content.rr,
    typingIndicators: content.ti,
    showPresence: content.sp,
  };
  stageSettings(batch, settings);
  return only({ type: 'settings', ...settings });
}

async function applyGroupAccept(batch: Batch, content: Of<'group-accept'>): Promise<SyncOutcome> {
  const record = await readGroup(batch, content.g);
  if (record === undefined || record.accepted) return none;
  stageGroup(batch, { ...record, accepted: true });
  const receiptsReleased = (await releaseHeldReceipts(batch, { group: content.g })) > 0;
  const conversationId = groupConversationId(content.g);
  return {
    effects: [
      { type: 'group', conversationId },
      { type: 'conversation', conversationId },
    ],
    receiptsReleased,
  };
}
