/**
 * The chat part of the client (client.ts composes it): groups, contacts,
 * conversations, messages, disappearing-message timers and attachments, the
 * APIs that read and write conversations, wired to one another and to the
 * account, the outbox pump and the effect events they share.
 */
import type { AccountApi } from './account/account-api.ts';
import { createContactApi } from './contacts/contact-api.ts';
import { createAttachmentApi } from './conversations/attachment-api.ts';
import { createConversationApi } from './conversations/conversation-api.ts';
import { createMessageApi } from './conversations/message-api.ts';
import { createExpiryTimer } from './disappearing/expiry-timer.ts';
import { createTimerApi } from './disappearing/timer-api.ts';
import type { effectEmitter } from './effect-events.ts';
import { createGroupApi } from './groups/group-api.ts';
import type { ClientHost } from './host.ts';
import type { SyncPayload } from './sessions/content.ts';
import type { Batch } from './store/batch.ts';
import { contactView, conversationView } from './views.ts';

const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What the chat APIs use from the rest of the client. */
export interface ChatWiring {
  readonly account: AccountApi;
  readonly emit: ReturnType<typeof effectEmitter>;
  /** The outbox has something new. */
  pump(): void;
  /** Held receipts may go now. */
  scheduleReceipts(): void;
  /** The next disappearing-message expiry may have changed. */
  refreshExpiry(): void;
  /** Queues a sync for our other devices in `batch` (docs/client.md, "Own-device sync"). */
  stageSync(batch: Batch, payload: SyncPayload): Promise<void>;
  /** The relay link runs (expiry sweeps run meanwhile). */
  running(): boolean;
  isLocked(): boolean;
}

export function createChatApis(host: ClientHost, wiring: ChatWiring) {
  const { records, reportError } = host;
  const { account, emit, pump, scheduleReceipts, refreshExpiry, stageSync, isLocked } = wiring;
  const { requireSessions, requireApi, hasSessions } = account;
  const groupHost = {
    ...host,
    requireSessions,
    resolveUser: async (input: string) =>
      USER_ID.test(input) ? { user: input } : conversations.lookupHandle(input),
    emit,
    pump,
    receiptsReleased: scheduleReceipts,
    stageSync,
  };
  const groups = createGroupApi(groupHost);
  const contacts = createContactApi({
    ...host,
    requireApi,
    view: (c) => contactView(account.requireAccount(), c),
    receiptsReleased: scheduleReceipts,
    stageSync,
    pump,
  });
  const attachments = createAttachmentApi({ requireApi, deviceApi: account.deviceApi });
  const expiry = createExpiryTimer({
    ...host,
    running: wiring.running,
    isLocked,
    uploadsGone: (ids) => deleteUploads(attachments, ids, reportError),
  });
  const conversations = createConversationApi({
    ...host,
    requireSessions,
    requireApi,
    viewConversation: (c) => conversationView(records, () => account.api.account()?.userId, c),
    groups,
    refreshExpiry,
    stageSync,
    pump,
  });
  const messages = createMessageApi({
    ...host,
    requireSessions,
    hasSessions,
    pump,
    scheduleReceipts,
    refreshExpiry,
    stageSync,
  });
  const timer = createTimerApi({ ...host, requireSessions, groups, emit, pump });
  return { groupHost, groups, contacts, attachments, expiry, conversations, messages, timer };
}

/**
 * The uploads of our messages that disappeared or were deleted go from the
 * relay too (docs/client.md "Attachments"); one already gone is no failure.
 */
function deleteUploads(
  attachments: ReturnType<typeof createAttachmentApi>,
  ids: readonly string[],
  reportError: (error: unknown, context: string) => void,
): void {
  for (const id of ids) {
    attachments.deleteOwnUpload(id).catch((e: unknown) => reportError(e, 'attachments'));
  }
}
