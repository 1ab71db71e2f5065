/**
 * Made-up conversations for the UI preview (test-only: rendered in a plain
 * Chromium page by ui-preview.e2e.test.ts, never part of the extension).
 * Times are relative to `now` so screenshots read naturally on any day.
 */
import type { PendingUpload } from '../../../shared/client/conversations/pending-uploads.ts';
import type {
  AppStatus,
  AttachmentView,
  ContactView,
  ConversationSummary,
  GroupView,
  MessageView,
  Settings,
} from '../../lib/protocol.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

/**
 * Incoming texts stay "received" (unread) only for the newest `unread` of
 * them, as the worker keeps them: a chat opens at its first unread message,
 * so older ones left unread would open the preview far up the history.
 */
function asTheWorkerKeepsThem(list: MessageView[], unread: number): MessageView[] {
  let left = unread;
  return list
    .slice()
    .reverse()
    .map((m) => {
      if (m.outgoing || m.kind !== 'text' || m.state !== 'received') return m;
      if (left > 0) {
        left--;
        return m;
      }
      return { ...m, state: 'read' as const };
    })
    .reverse();
}

export function previewData(now: number) {
  const status: AppStatus = {
    vault: 'unlocked',
    onboarding: 'complete',
    account: { handle: 'sam', relayUrl: 'http://127.0.0.1:8787' },
    relay: { state: 'online', since: now - HOUR },
    unread: 3,
    unlockMethods: ['prf'],
    autoLockAt: now + 15 * MIN,
  };

  const conversations: ConversationSummary[] = [
    {
      id: 'g-trip',
      kind: 'group',
      title: 'Weekend trip',
      unread: 1,
      lastMessage: {
        text: 'I can drive if someone brings snacks',
        at: now - 2 * MIN,
        outgoing: false,
        state: 'received',
        senderHandle: 'carol_m',
      },
      updatedAt: now - 2 * MIN,
      verified: false,
      identityChanged: false,
      timerMs: HOUR,
      group: { myRole: 'owner', memberCount: 4 },
      typing: ['alice'],
    },
    {
      id: 'c-dana',
      kind: 'direct',
      title: 'dana.r',
      unread: 1,
      lastMessage: {
        text: 'Hi! We met at the meetup on Tuesday — is this Sam?',
        at: now - 3 * MIN,
        outgoing: false,
        state: 'received',
      },
      updatedAt: now - 3 * MIN,
      verified: false,
      identityChanged: false,
      peerId: 'u-dana',
      isRequest: true,
    },
    {
      id: 'c-alice',
      kind: 'direct',
      title: 'alice',
      unread: 2,
      lastMessage: {
        text: 'Perfect — see you at the station at 9?',
        at: now - 4 * MIN,
        outgoing: false,
        state: 'received',
      },
      updatedAt: now - 4 * MIN,
      verified: true,
      identityChanged: false,
      peerId: 'u-alice',
      presence: { online: true, lastSeen: now - 20_000 },
    },
    {
      id: 'c-bob',
      kind: 'direct',
      title: 'bob.k',
      unread: 1,
      lastMessage: {
        text: 'Did you get the draft I sent?',
        at: now - 52 * MIN,
        outgoing: false,
        state: 'received',
      },
      updatedAt: now - 52 * MIN,
      verified: false,
      identityChanged: true,
    },
    {
      id: 'c-carol',
      kind: 'direct',
      title: 'carol_m',
      unread: 0,
      lastMessage: {
        text: 'Thanks, that fixed it 🙏',
        at: now - 26 * HOUR,
        outgoing: true,
        state: 'read',
      },
      updatedAt: now - 26 * HOUR,
      verified: false,
      identityChanged: false,
    },
    {
      id: 'c-dmitri',
      kind: 'direct',
      title: 'dmitri',
      unread: 0,
      lastMessage: {
        text: 'I pushed the notes to the shared folder, the long version with all the figures and the appendix',
        at: now - 4 * 24 * HOUR,
        outgoing: true,
        state: 'delivered',
      },
      updatedAt: now - 4 * 24 * HOUR,
      verified: true,
      identityChanged: false,
    },
  ];

  const aliceText: Array<[boolean, string, number, MessageView['state']]> = [
    [false, 'Are we still on for Saturday?', 26 * HOUR, 'received'],
    [true, 'Yes! I booked the tickets this morning.', 25.9 * HOUR, 'read'],
    [false, 'Great. Which train?', 25.8 * HOUR, 'received'],
    [
      true,
      'The 9:12 from Central. It gets in just before 11.\nBring a jacket, it will be windy up there.',
      25.7 * HOUR,
      'read',
    ],
    [false, 'Will do 🧥', 25 * HOUR, 'received'],
    [true, 'Also: I verified your safety number, all good.', 30 * MIN, 'read'],
    [false, 'Same here ✔︎', 28 * MIN, 'received'],
    [true, 'Can you bring the map?', 10 * MIN, 'delivered'],
    [false, 'Sure, I have the printed one.', 5 * MIN, 'received'],
    [false, 'Perfect — see you at the station at 9?', 4 * MIN, 'received'],
    [true, 'See you there!', 1 * MIN, 'stored'],
    [true, 'I’ll text when I leave.', 0.2 * MIN, 'sending'],
  ];
  const messages: Record<string, MessageView[]> = {
    'c-alice': aliceText.map(([inbound, text, ago, state], i) => ({
      id: `a${String(i).padStart(3, '0')}`,
      conversationId: 'c-alice',
      outgoing: inbound,
      senderHandle: inbound ? 'sam' : 'alice',
      kind: 'text',
      text,
      sentAt: now - ago,
      state,
    })),
    'c-bob': [
      {
        id: 'b001',
        conversationId: 'c-bob',
        outgoing: true,
        senderHandle: 'sam',
        kind: 'text',
        text: 'Here is the outline for Thursday.',
        sentAt: now - 3 * HOUR,
        state: 'read',
      },
      {
        id: 'b002',
        conversationId: 'c-bob',
        outgoing: false,
        senderHandle: 'bob.k',
        kind: 'system',
        text: 'Your safety number with bob.k changed',
        sentAt: now - 55 * MIN,
        state: 'received',
      },
      {
        id: 'b003',
        conversationId: 'c-bob',
        outgoing: false,
        senderHandle: 'bob.k',
        kind: 'text',
        text: 'Did you get the draft I sent?',
        sentAt: now - 52 * MIN,
        state: 'received',
      },
    ],
    'c-carol': [],
    'c-dmitri': attachmentMessages(now),
    'c-dana': [
      {
        id: 'd001',
        conversationId: 'c-dana',
        outgoing: false,
        senderHandle: 'dana.r',
        kind: 'text',
        text: 'Hi! We met at the meetup on Tuesday — is this Sam?',
        sentAt: now - 3 * MIN,
        state: 'received',
      },
    ],
    'g-trip': [
      {
        id: 'g001',
        conversationId: 'g-trip',
        outgoing: false,
        senderHandle: 'sam',
        kind: 'system',
        system: 'group-created',
        text: 'You created the group',
        sentAt: now - 50 * MIN,
        state: 'received',
      },
      {
        id: 'g002',
        conversationId: 'g-trip',
        outgoing: true,
        senderHandle: 'sam',
        kind: 'text',
        text: 'Who’s in for Saturday? Train leaves at 9:12.',
        sentAt: now - 48 * MIN,
        state: 'read',
        receipts: { delivered: 3, read: 3, total: 3 },
      },
      {
        id: 'g003',
        conversationId: 'g-trip',
        outgoing: false,
        senderHandle: 'alice',
        kind: 'text',
        text: 'Me! 🙋',
        sentAt: now - 47 * MIN,
        state: 'received',
      },
      {
        id: 'g004',
        conversationId: 'g-trip',
        outgoing: false,
        senderHandle: 'alice',
        kind: 'text',
        text: 'Can we stop at the bakery on the way?',
        sentAt: now - 46 * MIN,
        state: 'received',
      },
      {
        id: 'g005',
        conversationId: 'g-trip',
        outgoing: false,
        senderHandle: 'sam',
        kind: 'system',
        system: 'timer-changed',
        text: 'You set disappearing messages to 1 hour',
        sentAt: now - 20 * MIN,
        state: 'received',
      },
      {
        id: 'g006',
        conversationId: 'g-trip',
        outgoing: true,
        senderHandle: 'sam',
        kind: 'text',
        text: 'Door code for the cabin is 4471.',
        sentAt: now - 6 * MIN,
        state: 'delivered',
        expiresIn: HOUR,
        expiresAt: now + 54 * MIN,
        receipts: { delivered: 3, read: 1, total: 3 },
      },
      {
        id: 'g007',
        conversationId: 'g-trip',
        outgoing: false,
        senderHandle: 'carol_m',
        kind: 'text',
        text: 'I can drive if someone brings snacks',
        sentAt: now - 2 * MIN,
        state: 'received',
        expiresIn: HOUR,
      },
    ],
  };
  // A long history for the virtualised list: 400 older messages with alice.
  const older: MessageView[] = [];
  for (let i = 0; i < 400; i++) {
    older.push({
      id: `o${String(i).padStart(4, '0')}`,
      conversationId: 'c-alice',
      outgoing: i % 3 === 0,
      senderHandle: i % 3 === 0 ? 'sam' : 'alice',
      kind: 'text',
      text:
        i % 7 === 0
          ? `Older message ${i}: a longer line that wraps onto a second row in a narrow panel.`
          : `Older message ${i}`,
      sentAt: now - 30 * HOUR - (400 - i) * 7 * MIN,
      state: i % 3 === 0 ? 'read' : 'received',
    });
  }
  messages['c-alice'] = [...older, ...(messages['c-alice'] ?? [])];

  const groups = [
    '05114',
    '94682',
    '43160',
    '33789',
    '20531',
    '76315',
    '87120',
    '65436',
    '10950',
    '48272',
    '34761',
    '51268',
  ];
  const qr = new Uint8Array(74);
  qr.set([0x08, 0x02, 0x12, 0x22, 0x0a, 0x20]);
  for (let i = 6; i < 74; i++) qr[i] = (i * 97 + 13) % 256;
  const qrPayload = btoa(String.fromCharCode(...qr))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');
  const contacts: Record<string, ContactView> = {
    'c-alice': {
      userId: 'u-alice',
      handle: 'alice',
      conversationId: 'c-alice',
      safetyNumber: { groups, qrPayload },
      verified: true,
      identityChange: null,
      status: 'accepted',
      presence: { online: true, lastSeen: now - MIN },
    },
    'c-bob': {
      userId: 'u-bob',
      handle: 'bob.k',
      conversationId: 'c-bob',
      safetyNumber: { groups: [...groups].reverse(), qrPayload },
      verified: false,
      identityChange: { changedAt: now - 55 * MIN },
      status: 'accepted',
      presence: { online: false, lastSeen: now - 3 * HOUR },
    },
  };
  const groupViews: Record<string, GroupView> = {
    'g-trip': {
      conversationId: 'g-trip',
      name: 'Weekend trip',
      timerMs: HOUR,
      members: [
        {
          userId: 'u-sam',
          handle: 'sam',
          role: 'owner',
          isSelf: true,
          canRemove: false,
          invited: false,
        },
        {
          userId: 'u-alice',
          handle: 'alice',
          role: 'admin',
          isSelf: false,
          canRemove: true,
          invited: false,
        },
        {
          userId: 'u-carol',
          handle: 'carol_m',
          role: 'member',
          isSelf: false,
          canRemove: true,
          invited: false,
        },
        {
          userId: 'u-dmitri',
          handle: 'dmitri',
          role: 'member',
          isSelf: false,
          canRemove: true,
          invited: true,
        },
      ],
      myRole: 'owner',
      accepted: true,
      addedBy: 'sam',
      addedById: 'u-sam',
      can: { rename: true, setTimer: true, addMembers: true, changeRoles: true, leave: false },
    },
  };
  const settings: Settings = {
    autoLockMinutes: 15,
    notifications: true,
    notificationPreview: false,
    readReceipts: true,
    typingIndicators: true,
    showPresence: true,
  };
  for (const c of conversations) {
    messages[c.id] = asTheWorkerKeepsThem(messages[c.id] ?? [], c.unread);
  }
  return {
    status,
    conversations,
    messages,
    contacts,
    groups: groupViews,
    settings,
    pendingUploads: pausedUploads(now),
  };
}

/**
 * An upload a closed side panel left at 40 % in the dmitri chat (scene
 * `paused`): survey.pdf, 300,000 bytes `i % 251`; `head` is the fingerprint
 * of that content's first 64 KiB (lib/attachments/resume.ts).
 */
function pausedUploads(now: number): PendingUpload[] {
  return [
    {
      id: 'pending-survey-0000000',
      conversationId: 'c-dmitri',
      name: 'survey.pdf',
      mime: 'application/pdf',
      size: 300_000,
      lastModified: now - 3 * HOUR,
      key: 'k'.repeat(43),
      relayId: 'relay-survey-000000000',
      uploadToken: 't'.repeat(43),
      chunkBytes: 1024 * 1024,
      head: 'S2QNhas7ow_QLJ_J20qJKA',
      caption: 'The survey, as promised',
      createdAt: now - 2 * HOUR,
    },
  ];
}

/**
 * Files in the dmitri chat (fake-transfer.ts answers their downloads): an
 * image, a file card, a voice note, a program, a download that stays in
 * progress and an expired file. Ids name what the fake does.
 */
function attachmentMessages(now: number): MessageView[] {
  const file = (id: string, extra: Partial<AttachmentView>): AttachmentView => ({
    id,
    key: 'k'.repeat(43),
    digest: 'd'.repeat(43),
    size: 48_213,
    mime: 'application/octet-stream',
    voice: false,
    ...extra,
  });
  const message = (
    id: string,
    outgoing: boolean,
    text: string,
    attachments: AttachmentView[],
  ): MessageView => ({
    id,
    conversationId: 'c-dmitri',
    outgoing,
    senderHandle: outgoing ? 'sam' : 'dmitri',
    kind: 'text',
    text,
    sentAt: now - 20 * 60_000,
    state: outgoing ? 'delivered' : 'received',
    attachments,
  });
  return [
    message('f001', false, 'The view from the ridge', [
      file('image-ridge-000000000', {
        mime: 'image/png',
        name: 'ridge.png',
        width: 640,
        height: 400,
        size: 212_000,
      }),
    ]),
    message('f002', true, 'Route notes attached', [
      file('file-route-0000000000', {
        mime: 'application/pdf',
        name: 'route-notes.pdf',
        size: 2_400_000,
      }),
    ]),
    message('f003', false, '', [
      file('voice-000000000000000', {
        mime: 'audio/webm',
        name: 'voice-note.webm',
        durationMs: 7_000,
        voice: true,
      }),
    ]),
    message('f004', false, 'The GPS tool', [
      file('file-tool-00000000000', { mime: 'application/x-msdownload', name: 'gps-setup.exe' }),
    ]),
    message('f005', false, 'Big video', [
      file('slow-video-0000000000', { mime: 'video/mp4', name: 'summit.mp4', size: 48_000_000 }),
    ]),
    message('f006', false, '', [
      file('expired-0000000000000', { mime: 'application/zip', name: 'old-photos.zip' }),
    ]),
    // Above the auto-download size, so it waits for a click: the sender's
    // preview (an 8 × 5 PNG here) stands in, blurred, meanwhile.
    message('f007', false, '', [
      file('image-lake-0000000000', {
        mime: 'image/jpeg',
        name: 'lake.jpg',
        width: 800,
        height: 500,
        size: 30_000_000,
        thumb:
          'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAFCAIAAAD38zoCAAAAK0lEQVR4nGOo3_QUK2KYs_sGVsSw8-hprIjBNsoVGV07vw-C0CU-39wIQQC6zUupY49M7QAAAABJRU5ErkJggg',
      }),
    ]),
  ];
}
