/**
 * `createClient(deps)`: the messaging client the extension, the CLI, bots and
 * load tests run. Composition only: it builds the host (host.ts) and wires
 * the modules to each other and to the platform through the deps: a
 * RecordStore + KeyHandleStore, `fetch`, a WebSocket constructor (or any
 * Transport), timers, a clock and a random source. It returns the declared
 * ParleyClient (parley-client.ts). docs/client.md has the module map.
 *
 * Every state change runs on one serial queue through the host's `transact`,
 * so incoming messages are applied in relay order and never race with sends.
 * Events are emitted after the store write that made them true.
 */

import type { Random } from '../crypto/random.ts';
import type { Authenticator, DeviceAddress, IdentityExport } from './account/account.ts';
import { createAccountApi } from './account/account-api.ts';
import { createSettingsApi } from './account/settings-api.ts';
import { createUpkeep } from './account/upkeep.ts';
import { createArchiveApi } from './archive/archive-api.ts';
import { createChatApis } from './chat-apis.ts';
import { stageIdentityChangeNotice } from './contacts/identity-notice.ts';
import { createPendingUploads } from './conversations/pending-uploads.ts';
import type { FetchLike, Timers } from './deps.ts';
import { listedDevicesApi } from './devices/listed-devices.ts';
import { nextExpiry } from './disappearing/expiry.ts';
import { effectEmitter } from './effect-events.ts';
import type { createGroupApi } from './groups/group-api.ts';
import { TIMER_OPTIONS_MS } from './groups/state.ts';
import { createGroupTestSeams } from './groups/test-seams.ts';
import { createClientHost } from './host.ts';
import { createIncoming } from './inbox/incoming.ts';
import { createLifecycle } from './lifecycle.ts';
import { Sender } from './outbox/sender.ts';
import type { ParleyClient } from './parley-client.ts';
import type { BackoffPolicy } from './relay/backoff.ts';
import type { ConnectionStatus } from './relay/relay-connection.ts';
import { createRelayLink } from './relay/relay-link.ts';
import type { Transport, WebSocketConstructor } from './relay/websocket-transport.ts';
import type { SyncPayload } from './sessions/content.ts';
import type { Batch } from './store/batch.ts';
import { Keys } from './store/storage-keys.ts';
import type { ClientStorage } from './store/store.ts';
import { stageOwnSync } from './sync/own-sync.ts';
import { PRESENCE_INTERVAL_MS, readPresence } from './transient/presence.ts';
import { createPresence } from './transient/presence-api.ts';
import { createTyping } from './transient/typing.ts';
import { messageView } from './views.ts';

export interface ClientDeps {
  readonly storage: ClientStorage;
  /** In browsers pass `(url, init) => fetch(url, init)` (an unbound fetch throws). */
  readonly fetch: FetchLike;
  /** The WebSocket class (global in browsers and Deno; the `ws` package in Node). */
  readonly webSocket?: WebSocketConstructor;
  /** Instead of `webSocket`: any transport (tests). */
  readonly transport?: Transport;
  readonly timers: Timers;
  readonly now: () => number;
  readonly random: Random;
  /** Origin header for REST calls from non-browser callers (CLI, tests). */
  readonly origin?: string;
  /** Send read receipts (default true). Our own devices always learn what was read. */
  readonly readReceipts?: boolean;
  /**
   * The extension's locked vault: while `isLocked()` is true, records are
   * unreadable, so deliveries are handed to `put` (the extension seals them)
   * and acked; `ingestFrame` replays them after unlock. When `put` answers
   * 'full' (the extension's locked inbox is at its cap) the frame is not
   * acked: it stays on the relay, and `redeliverSkipped` after unlock has the
   * relay send it again.
   */
  readonly locked?: {
    readonly isLocked: () => boolean;
    readonly put: (frame: Uint8Array) => Promise<'stored' | 'full'>;
  };
  /** Background failures (maintenance, a relay REST outage while sending). */
  readonly onError?: (error: unknown, context: string) => void;
  readonly keepaliveMs?: number;
  readonly backoff?: BackoffPolicy;
  /** Presence refresh interval while connected (default PRESENCE_INTERVAL_MS). */
  readonly presenceIntervalMs?: number;
}

export { TYPING_DISPLAY_MS, TYPING_IDLE_MS, TYPING_THROTTLE_MS } from './transient/typing.ts';
export { TIMER_OPTIONS_MS };

export function createClient(deps: ClientDeps): ParleyClient {
  const host = createClientHost({ ...deps, records: deps.storage.records });
  const { records, queue, events, now, reportError } = host;
  const isLocked = () => deps.locked?.isLocked() === true;
  const link = createRelayLink(deps);
  const stageSync = async (batch: Batch, payload: SyncPayload): Promise<void> => {
    const ctx = account.sessionContext();
    if (ctx !== undefined) await stageOwnSync(host, batch, ctx.account.userId, payload);
  };
  const settings = createSettingsApi({
    ...host,
    readReceipts: deps.readReceipts,
    showPresenceChanged: (before) => presence.settingChanged(before),
    stageSync: (batch, s) =>
      stageSync(batch, {
        k: 'settings',
        rr: s.readReceipts,
        ti: s.typingIndicators,
        sp: s.showPresence,
        at: now(),
      }),
    pump: () => pump(),
  });
  // Settings changed on our other device (sync/apply-sync.ts): they apply here now.
  events.on('settings', (s) => settings.adopt(s));
  const account = createAccountApi({
    ...host,
    storage: deps.storage,
    fetch: deps.fetch,
    origin: deps.origin,
    isLocked,
    loaded: settings.loadStored,
    onIdentityChange: (batch, user) => stageIdentityChangeNotice(host, batch, user),
  });
  const { sessionContext, requireSessions, requireApi } = account;
  const pump = () => sender.pump();
  const scheduleReceipts = () => incoming.scheduleReceipts();
  const refreshExpiry = () => void expiry.refresh();
  const emit = effectEmitter({
    events,
    showTyping: (...a) => typing.show(...a),
    refreshExpiry,
    ownListChanged: () => void upkeep.refreshOwnDevices(),
  });

  const sender = new Sender({
    ...host,
    sessions: sessionContext,
    send: link.send,
    online: () => link.writable() && !isLocked(),
    onMessageState: (m) => {
      events.emit('message-state', messageView(m));
      events.emit('conversation', { conversationId: m.conv });
    },
    onError: reportError,
  });
  const { groupHost, groups, contacts, attachments, expiry, conversations, messages, timer } =
    createChatApis(host, {
      account,
      emit,
      pump,
      scheduleReceipts,
      refreshExpiry,
      stageSync,
      running: link.running,
      isLocked,
    });
  const presence = createPresence({
    ...host,
    sessionContext,
    online: link.online,
    send: link.send,
    shown: () => settings.current().showPresence,
    intervalMs: deps.presenceIntervalMs ?? PRESENCE_INTERVAL_MS,
  });
  const upkeep = createUpkeep({ ...host, storage: deps.storage, sessionContext, stageSync, pump });
  const incoming = createIncoming({
    ...host,
    sessionContext,
    requireSessions,
    requireApi,
    isLocked,
    lockedPut: deps.locked?.put,
    send: link.send,
    recycle: link.recycle,
    readReceipts: () => settings.current().readReceipts,
    emit,
    sender,
    answerHello: (user) => presence.answerHello(user),
    onReady: (stock) => void lifecycle.afterReady(stock),
  });
  const typing = createTyping({
    ...host,
    enabled: () => settings.current().typingIndicators,
    online: link.online,
    ownUser: () => account.requireAccount().userId,
    sendTransient: presence.sendTransient,
  });

  const lifecycle = createLifecycle({
    ...host,
    isLocked,
    link,
    account,
    sender,
    incoming,
    upkeep,
    presence,
    typing,
    expiry,
    contacts,
  });

  return {
    on: events.on.bind(events),
    status: link.status,
    ...account.api,
    ...lifecycle.api,
    resetIdentity: async (input) => {
      const running = link.status().state !== 'stopped';
      await lifecycle.api.stop();
      const reset = await account.resetOwnIdentity(input);
      if (running) await lifecycle.api.start();
      return reset;
    },
    reconnectNow: link.reconnectNow,
    idle: () => queue.idle(),
    inFlight: () => sender.inFlight,
    outboxSize: async (): Promise<number> => (await records.list(Keys.outbox)).length,
    maintainPrekeys: upkeep.runMaintenance,
    signedDeviceList: upkeep.signedDeviceList,
    archive: createArchiveApi({ ...host, requireSessions }),
    ...listedDevicesApi(account.api, upkeep.signedDeviceList),
    ...conversations,
    ...messages,
    ...attachments,
    ...createPendingUploads(host),
    sendTyping: typing.send,
    ...groupMethods(groups),
    setTimer: timer.setTimer,
    nextExpiry: () => nextExpiry(records),
    expireDue: expiry.expireDue,
    getPresence: (userId) => readPresence(records, userId, now()),
    ...settings.api,
    ...contacts,
    dangerousTestOnly: groupTestSeams(groupHost),
  };
}

/** The group part of the client's surface (not the group core's internals). */
function groupMethods(groups: ReturnType<typeof createGroupApi>) {
  return {
    getGroup: groups.getGroup,
    createGroup: groups.createGroup,
    addMembers: groups.addMembers,
    removeMember: groups.removeMember,
    setRole: groups.setRole,
    renameGroup: groups.renameGroup,
    leaveGroup: groups.leaveGroup,
    acceptGroup: groups.acceptGroup,
  };
}

function groupTestSeams(groupHost: Parameters<typeof createGroupTestSeams>[0]) {
  const seams = createGroupTestSeams(groupHost);
  return { sendGroupState: seams.dangerouslySendGroupState, groupState: seams.currentState };
}

export type {
  AccountInfo,
  ClientEvents,
  ContactView,
  ConversationView,
  MessagePageView,
  MessageView,
} from './views.ts';
export type { Authenticator, ConnectionStatus, DeviceAddress, IdentityExport, ParleyClient };
