/**
 * Stands in for lib/rpc-client.ts in the UI preview: answers the protocol
 * from previewData() so every screen can be rendered and looked at without a
 * worker. Scenes pick the starting status through the URL (?scene=...).
 */
import type { RequestOf, RequestType, ResponseOf } from '../../lib/messaging.ts';
import type { AppStatus, MessagePage } from '../../lib/protocol.ts';
import { previewData } from './data.ts';

const now = Date.now();
const data = previewData(now);
const scene = new URLSearchParams(location.search).get('scene') ?? 'chat';
/** Uploads a closed page left unfinished (scene `paused`); Discard and a finished resume remove them. */
let pending = data.pendingUploads;

function status(): AppStatus {
  if (scene === 'retrying') {
    return {
      ...data.status,
      relay: {
        state: 'retrying',
        attempt: 3,
        nextRetryAt: Date.now() + 5_000,
        problem: 'unreachable',
      },
    };
  }
  if (scene === 'empty') return { ...data.status, unread: 0 };
  if (scene === 'locked')
    return { ...data.status, vault: 'locked', unread: 0, lockedWaiting: 3, autoLockAt: null };
  return data.status;
}

function page(conversationId: string, before: string | undefined, limit: number): MessagePage {
  const all = data.messages[conversationId] ?? [];
  const end = before === undefined ? all.length : Number(before);
  const start = Math.max(0, end - limit);
  return { messages: all.slice(start, end), before: start === 0 ? null : String(start) };
}

const handlers: { [K in RequestType]?: (input: RequestOf<K>) => ResponseOf<K> } = {
  getStatus: () => status(),
  touch: () => null,
  reconnectNow: () => status(),
  listConversations: () => (scene === 'empty' ? [] : data.conversations),
  getMessages: ({ conversationId, before, limit }) => page(conversationId, before, limit),
  getDraft: () => '',
  saveDraft: () => null,
  getContact: ({ conversationId }) => {
    const contact = data.contacts[conversationId];
    if (contact === undefined) throw new Error('no contact');
    return contact;
  },
  getGroup: ({ conversationId }) => {
    const group = data.groups[conversationId];
    if (group === undefined) throw new Error('no group');
    return group;
  },
  sendTyping: () => null,
  getSettings: () => data.settings,
  getUnlockOptions: () => ({ methods: ['prf'], prf: null }),
  markRead: () => null,
  takeFocus: () => ({ conversationId: null }),
  listPendingUploads: () => (scene === 'paused' ? pending : []),
  deletePendingUpload: ({ id }) => {
    pending = pending.filter((u) => u.id !== id);
    return null;
  },
  attachmentDelete: () => null,
  sendText: ({ conversationId, text }) => ({
    id: `sent-${Date.now()}`,
    conversationId,
    outgoing: true,
    senderHandle: 'sam',
    kind: 'text',
    text,
    sentAt: Date.now(),
    state: 'sending',
  }),
};

export async function call<K extends RequestType>(
  type: K,
  ...args: RequestOf<K> extends undefined ? [] : [data: RequestOf<K>]
): Promise<ResponseOf<K>> {
  const handler = handlers[type] as ((input: RequestOf<K>) => ResponseOf<K>) | undefined;
  if (handler === undefined) throw new Error(`preview: ${type} not faked`);
  return handler(args[0] as RequestOf<K>);
}
