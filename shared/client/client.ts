/**
 * `createClient(deps)`: the messaging client the extension, the CLI, bots and
 * load tests run. It wires the modules (incoming.ts, upkeep.ts,
 * presence-api.ts, conversation-api.ts, group-api.ts, contact-api.ts,
 * expiry-timer.ts, typing.ts) to the platform through the deps: a
 * RecordStore + KeyHandleStore, `fetch`, a WebSocket constructor (or any
 * Transport), timers, a clock and a random source, and returns the declared
 * ParleyClient (parley-client.ts). docs/client.md describes the whole.
 *
 * Every state change runs on one serial queue through the host's `transact`
 * (host.ts), so incoming messages are applied in relay order and never race
 * with sends. Events are emitted after the store write that made them true.
 */
import type { Random } from '../crypto/random.ts';
import { ErrorCode, fail } from '../errors.ts';
import { decodeServerFrame } from '../wire/codec.ts';
import type { CreationOptions, RegistrationResponse, SessionResponse } from '../wire/rest-auth.ts';
import {
  type Account,
  type AccountDeps,
  type Authenticator,
  beginRegistration,
  completeRegistration,
  type DeviceAddress,
  exportIdentity,
  type IdentityExport,
  loadAccount,
  loginWithPasskey,
  type RegistrationInput,
  registerAccount,
  registerDevice,
} from './account.ts';
import type { BackoffPolicy } from './backoff.ts';
import type { Batch } from './batch.ts';
import { createContactApi } from './contact-api.ts';
import type { Contact } from './contacts.ts';
import { encodeContent } from './content.ts';
import { createConversationApi } from './conversation-api.ts';
import { type Conversation, ensureDirectConversation } from './conversations.ts';
import type { FetchLike, Timers } from './deps.ts';
import type { InboxEffect } from './effects.ts';
import { Emitter } from './events.ts';
import { nextExpiry } from './expiry.ts';
import { createExpiryTimer } from './expiry-timer.ts';
import { createGroupApi, type GroupView } from './group-api.ts';
import { TIMER_OPTIONS_MS } from './groups/state.ts';
import { type ClientHost, transactOn } from './host.ts';
import { createIncoming } from './incoming.ts';
import {
  type MessageRecord,
  SystemEvent,
  stageNewMessage,
  systemMessageRecord,
} from './messages.ts';
import { newOutboxEntry, type OutboxEntry, OutboxKind, stageEntry } from './outbox.ts';
import type { ParleyClient } from './parley-client.ts';
import { PRESENCE_INTERVAL_MS, type PresenceView, readPresence } from './presence.ts';
import { createPresence } from './presence-api.ts';
import { RelayApi } from './relay-api.ts';
import { type ConnectionStatus, RelayConnection, relaySocketUrl } from './relay-connection.ts';
import { Sender } from './sender.ts';
import { SerialQueue } from './serial.ts';
import type { SessionContext, SessionEntry } from './sessions.ts';
import { readSettings, type Settings, stageSettings } from './settings.ts';
import { StampClock } from './stamps.ts';
import { DEVICE_KEY_NAME, Keys } from './storage-keys.ts';
import type { ClientStorage } from './store.ts';
import { createTyping } from './typing.ts';
import { createUpkeep } from './upkeep.ts';
import {
  type AccountInfo,
  type ClientEvents,
  contactView,
  conversationView,
  messageView,
} from './views.ts';
import {
  createWebSocketTransport,
  type Transport,
  type WebSocketConstructor,
} from './websocket-transport.ts';

// ---------------------------------------------------------------------------
// Public types

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

export { TYPING_DISPLAY_MS, TYPING_IDLE_MS, TYPING_THROTTLE_MS } from './typing.ts';
export { TIMER_OPTIONS_MS };

// ---------------------------------------------------------------------------

export function createClient(deps: ClientDeps): ParleyClient {
  const { storage, timers, now, random } = deps;
  const records = storage.records;
  const events = new Emitter<ClientEvents>((e) => deps.onError?.(e, 'event listener'));
  const queue = new SerialQueue();
  const stamps = new StampClock(now);
  const transact = transactOn(queue, records);
  const reportError = (error: unknown, context: string) => deps.onError?.(error, context);
  const host: ClientHost = {
    records,
    queue,
    transact,
    timers,
    now,
    random,
    stamps,
    events,
    reportError,
  };
  const sessionCache = new Map<string, SessionEntry>();
  const transport =
    deps.transport ??
    (deps.webSocket === undefined ? undefined : createWebSocketTransport(deps.webSocket));
  let settings: Settings = {
    readReceipts: deps.readReceipts ?? true,
    typingIndicators: true,
    showPresence: true,
  };
  let settingsLoaded = false;
  /** setReadReceipts was called: the host's value wins over the stored one. */
  let readReceiptsPinned = false;

  let account: Account | undefined;
  let api: RelayApi | undefined;
  let connection: RelayConnection | undefined;
  let address: DeviceAddress | undefined;

  const viewConversation = (c: Conversation) => conversationView(records, () => account?.userId, c);
  const viewContact = (c: Contact) => contactView(requireAccount(), c);
  const isLocked = () => deps.locked?.isLocked() === true;

  function makeApi(relayUrl: string): RelayApi {
    return new RelayApi({
      baseUrl: relayUrl,
      fetch: deps.fetch,
      now,
      timers,
      ...(deps.origin === undefined ? {} : { origin: deps.origin }),
    });
  }

  function requireAccount(): Account {
    if (account === undefined)
      fail(ErrorCode.NOT_REGISTERED, 'No account is loaded on this client');
    return account;
  }

  function requireApi(): RelayApi {
    if (api === undefined) fail(ErrorCode.NOT_REGISTERED, 'No relay is configured on this client');
    return api;
  }

  function sessionContext(): SessionContext | undefined {
    if (account === undefined || api === undefined || isLocked()) return undefined;
    return { deps: { now, random }, api, account, cache: sessionCache, onIdentityChange };
  }

  /** Every path that detects an identity change (bundles, device list, prekey message) lands here. */
  async function onIdentityChange(batch: Batch, user: string): Promise<void> {
    const conversation = await ensureDirectConversation(batch, user, now());
    const message = systemMessageRecord({
      id: random(16) as MessageRecord['id'],
      conversation: conversation.id,
      stamp: await stamps.next(batch),
      about: user,
      aboutDevice: 0,
      event: SystemEvent.IDENTITY_CHANGED,
      now: now(),
    });
    await stageNewMessage(batch, conversation, message);
    batch.afterCommit(() => {
      events.emit('message', messageView(message));
      events.emit('contact', { userId: user });
      events.emit('conversation', { conversationId: conversation.id });
    });
  }

  function requireSessions(): SessionContext {
    const ctx = sessionContext();
    if (ctx === undefined)
      fail(ErrorCode.NOT_REGISTERED, 'The account is not available (locked or not registered)');
    return ctx;
  }

  const sender = new Sender({
    records,
    queue,
    timers,
    now,
    random,
    sessions: sessionContext,
    send: (frame) => connection?.send(frame) ?? false,
    // Writable: the socket carries the identity key's unlock proof (relay-connection.ts).
    online: () => connection?.writable === true && !isLocked(),
    onMessageState: (m) => {
      events.emit('message-state', messageView(m));
      events.emit('conversation', { conversationId: m.conv });
    },
    onError: reportError,
  });

  const groups = createGroupApi({
    ...host,
    requireSessions,
    resolveUser: async (input) => {
      if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(input)) {
        return { user: input };
      }
      return chats.lookupHandle(input);
    },
    emit: emitEffects,
    pump: () => sender.pump(),
    receiptsReleased: () => scheduleReceipts(),
  });

  const contacts = createContactApi({
    ...host,
    requireApi,
    view: viewContact,
    receiptsReleased: () => scheduleReceipts(),
  });

  const expiry = createExpiryTimer({
    ...host,
    running: () => connection !== undefined,
    isLocked,
  });

  const chats = createConversationApi({
    ...host,
    requireSessions,
    requireApi,
    hasSessions: () => sessionContext() !== undefined,
    viewConversation,
    groups,
    emit: emitEffects,
    pump: () => sender.pump(),
    scheduleReceipts: () => scheduleReceipts(),
    refreshExpiry: () => void expiry.refresh(),
  });

  const presence = createPresence({
    ...host,
    sessionContext,
    online: () => connection?.online === true,
    send: (frame) => connection?.send(frame) ?? false,
    shown: () => settings.showPresence,
    intervalMs: deps.presenceIntervalMs ?? PRESENCE_INTERVAL_MS,
  });

  const upkeep = createUpkeep({ ...host, storage, sessionContext });

  const incoming = createIncoming({
    ...host,
    sessionContext,
    requireSessions,
    requireApi,
    isLocked,
    lockedPut: deps.locked?.put,
    send: (frame) => connection?.send(frame) ?? false,
    recycle: () => connection?.recycle(),
    readReceipts: () => settings.readReceipts,
    emit: emitEffects,
    sender,
    answerHello: (user) => presence.answerHello(user),
    onReady: (oneTimePreKeys) => void afterReady(oneTimePreKeys),
  });
  const scheduleReceipts = () => incoming.scheduleReceipts();

  const typing = createTyping({
    records,
    timers,
    now,
    events,
    enabled: () => settings.typingIndicators,
    online: () => connection?.online === true,
    ownUser: () => requireAccount().userId,
    sendTransient: presence.sendTransient,
    reportError,
  });

  async function updateSettings(change: Partial<Settings>): Promise<Settings> {
    const before = settings;
    const next: Settings = { ...settings, ...change };
    await transact(async (batch) => {
      stageSettings(batch, next);
    });
    settings = next;
    settingsLoaded = true;
    presence.settingChanged(before.showPresence);
    return next;
  }

  function adopt(loaded: Account): AccountInfo {
    account = loaded;
    api ??= makeApi(loaded.relayUrl);
    api.setSigner({
      user: loaded.userId,
      device: loaded.deviceId,
      key: loaded.deviceKey,
      manager: loaded.identity.signing.privateKey,
    });
    address = { relayUrl: loaded.relayUrl, userId: loaded.userId, deviceId: loaded.deviceId };
    return info(loaded);
  }

  function info(a: Account): AccountInfo {
    return { userId: a.userId, handle: a.handle, deviceId: a.deviceId, relayUrl: a.relayUrl };
  }

  async function load(): Promise<AccountInfo | undefined> {
    if (account !== undefined) return info(account);
    const loaded = await loadAccount(storage);
    if (loaded !== undefined && !settingsLoaded) {
      const stored = await readSettings(records, settings);
      settings = readReceiptsPinned ? { ...stored, readReceipts: settings.readReceipts } : stored;
      settingsLoaded = true;
    }
    return loaded === undefined ? undefined : adopt(loaded);
  }

  function emitEffects(effects: readonly InboxEffect[]): void {
    const conversations = new Set<string>();
    for (const effect of effects) {
      switch (effect.type) {
        case 'message':
          events.emit('message', messageView(effect.message));
          conversations.add(effect.message.conv);
          break;
        case 'message-state':
          events.emit('message-state', messageView(effect.message));
          conversations.add(effect.message.conv);
          break;
        case 'contact':
          events.emit('contact', { userId: effect.userId });
          break;
        case 'typing':
          typing.show(effect.conversationId, effect.userId, effect.typing);
          break;
        case 'undecryptable':
          events.emit('undecryptable', {
            userId: effect.userId,
            deviceId: effect.deviceId,
            code: effect.code,
          });
          break;
        case 'conversation':
          conversations.add(effect.conversationId);
          break;
        case 'group':
          events.emit('group', { conversationId: effect.conversationId });
          break;
        case 'group-rejected':
          events.emit('group-rejected', {
            conversationId: effect.conversationId,
            userId: effect.userId,
            code: effect.code,
          });
          break;
        case 'presence':
          events.emit('presence', { userId: effect.userId });
          break;
      }
    }
    for (const conversationId of conversations) events.emit('conversation', { conversationId });
    if (
      effects.some(
        (e) =>
          (e.type === 'message' || e.type === 'message-state') && e.message.expiresAt !== undefined,
      )
    ) {
      void expiry.refresh();
    }
  }

  // -------------------------------------------------------------------------
  // Incoming

  /** After every (re)connect: refresh our own device list, send the outbox, keep prekeys stocked. */
  async function afterReady(oneTimePreKeys?: number): Promise<void> {
    await upkeep.refreshOwnDevices();
    sender.pump();
    void expiry.refresh();
    void contacts.reconcileBlocks().catch((e: unknown) => reportError(e, 'block list'));
    presence.onReady();
    await upkeep.onReady(oneTimePreKeys);
  }

  // -------------------------------------------------------------------------
  // Lifecycle

  async function start(options: { readonly address?: DeviceAddress } = {}): Promise<void> {
    if (connection !== undefined) return;
    if (!isLocked()) await load();
    const target = address ?? options.address;
    if (target === undefined) fail(ErrorCode.NOT_REGISTERED, 'No account to connect with');
    if (transport === undefined)
      fail(ErrorCode.BAD_ARGUMENT, 'createClient needs webSocket or transport');
    address = target;
    api ??= makeApi(target.relayUrl);
    connection = new RelayConnection({
      url: relaySocketUrl(target.relayUrl),
      transport,
      timers,
      now,
      random,
      credentials: async () => {
        const key = account?.deviceKey ?? (await storage.keys.getKey(DEVICE_KEY_NAME));
        if (key === undefined) fail(ErrorCode.NOT_REGISTERED, 'The device key is missing');
        return { user: target.userId, device: target.deviceId, key };
      },
      // The identity key lives in the vault: only an unlocked client can make the socket writable.
      unlockKey: () => (isLocked() ? undefined : account?.identity.signing.privateKey),
      onWritable: () => sender.pump(),
      onFrame: incoming.onFrame,
      onStatus: (status) => events.emit('status', status),
      onDisconnect: () => {
        sender.onDisconnect();
        incoming.onDisconnect();
      },
      ...(deps.keepaliveMs === undefined ? {} : { keepaliveMs: deps.keepaliveMs }),
      ...(deps.backoff === undefined ? {} : { backoff: deps.backoff }),
    });
    connection.start();
    upkeep.start();
  }

  async function stop(): Promise<void> {
    await presence.stop();
    expiry.stop();
    typing.stop();
    connection?.stop();
    connection = undefined;
    sender.stop();
    upkeep.stop();
    await queue.idle();
  }

  // -------------------------------------------------------------------------
  // Account

  /** Creates this device's account (or device) on the relay at `relayUrl`, then adopts it. */
  async function enrol(
    relayUrl: string,
    create: (deps: AccountDeps, relayApi: RelayApi) => Promise<Account>,
  ): Promise<AccountInfo> {
    const relayApi = makeApi(relayUrl);
    const created = await create({ storage, now, random }, relayApi);
    api = relayApi;
    return adopt(created);
  }

  async function register(
    input: RegistrationInput & { readonly authenticator: Authenticator },
  ): Promise<AccountInfo> {
    return enrol(input.relayUrl, (d, relayApi) =>
      registerAccount(d, relayApi, input, input.authenticator),
    );
  }

  /**
   * Registers this client as another device of an existing account, with the
   * identity handed over by a device of that account (the linking channel is
   * a later issue; tests pass exportIdentity() across) and a session token from
   * a passkey login. Queues a session start to our other devices so they
   * address this one from their next message on.
   */
  async function joinAccount(input: {
    readonly relayUrl: string;
    readonly session: SessionResponse;
    readonly identity: IdentityExport;
    readonly deviceName?: string;
    readonly extractableDeviceKey?: boolean;
  }): Promise<AccountInfo> {
    const result = await enrol(input.relayUrl, (d, relayApi) =>
      registerDevice(
        d,
        relayApi,
        {
          relayUrl: input.relayUrl,
          handle: input.session.handle,
          identity: input.identity,
          ...(input.deviceName === undefined ? {} : { deviceName: input.deviceName }),
          ...(input.extractableDeviceKey === undefined
            ? {}
            : { extractableDeviceKey: input.extractableDeviceKey }),
        },
        input.session,
      ),
    );
    await transact(async (batch) => {
      stageEntry(
        batch,
        newOutboxEntry({
          id: random(16) as OutboxEntry['id'],
          stamp: await stamps.next(batch),
          kind: OutboxKind.RESET,
          content: encodeContent({ v: 1, t: 'reset' }),
          recipients: [result.userId],
          createdAt: now(),
        }),
      );
    });
    return result;
  }

  return {
    on: events.on.bind(events),
    status: (): ConnectionStatus => connection?.status ?? { state: 'idle' },
    account: (): AccountInfo | undefined => (account === undefined ? undefined : info(account)),
    /** Ids the relay knows this device by (not secret): what `start({ address })` needs while locked. */
    deviceAddress: (): DeviceAddress | undefined => address,

    load,
    start,
    stop,
    /** Skip the reconnect backoff (network back, worker woken by an alarm). */
    reconnectNow: () => connection?.reconnectNow(),
    /** Resolves when all queued work (incoming, outgoing preparation) has finished. */
    idle: () => queue.idle(),
    /** Outbox entries sent but not yet answered by the relay. */
    inFlight: () => sender.inFlight,
    /** Entries waiting in the outbox (encrypted or not yet), e.g. to wait before exiting. */
    outboxSize: async (): Promise<number> => (await records.list(Keys.outbox)).length,

    beginRegistration: (input: {
      readonly relayUrl: string;
      readonly handle: string;
    }): Promise<CreationOptions> => beginRegistration(makeApi(input.relayUrl), input.handle),
    finishRegistration: async (
      input: RegistrationInput & { readonly credential: RegistrationResponse },
    ): Promise<AccountInfo> =>
      enrol(input.relayUrl, (d, relayApi) =>
        completeRegistration(d, relayApi, input, input.credential),
      ),
    register,
    joinAccount,
    /** A passkey login: a short-lived token for device management. */
    login: (authenticator: Authenticator): Promise<SessionResponse> =>
      loginWithPasskey(requireApi(), requireAccount().handle, authenticator),
    /** Identity private keys, for linking another device of this account. */
    exportIdentity: (): Promise<IdentityExport> => exportIdentity(records),
    maintainPrekeys: upkeep.runMaintenance,

    lookupHandle: chats.lookupHandle,
    startConversation: chats.startConversation,
    listConversations: chats.listConversations,
    getConversation: chats.getConversation,
    getMessages: chats.getMessages,
    sendText: chats.sendText,
    /**
     * Encrypted typing indicator, sent only while online, never stored,
     * throttled (typing.ts). Resolves true when a frame went out.
     */
    sendTyping: typing.send,
    markRead: chats.markRead,
    unreadTotal: chats.unreadTotal,
    /** Deletes a conversation here (a group is left first). */
    deleteConversation: chats.deleteConversation,

    // Groups (docs/client.md "Groups")
    createGroup: groups.createGroup,
    getGroup: (conversationId: string): Promise<GroupView> => groups.getGroup(conversationId),
    addMembers: groups.addMembers,
    removeMember: groups.removeMember,
    setRole: groups.setRole,
    renameGroup: groups.renameGroup,
    leaveGroup: groups.leaveGroup,
    acceptGroup: groups.acceptGroup,

    // Disappearing messages
    setTimer: chats.setTimer,
    /** The earliest running disappearing-message countdown's end (ms), or null. */
    nextExpiry: (): Promise<number | null> => nextExpiry(records),
    /**
     * Deletes every message whose disappearing timer ran out at `at` (default
     * now); works while locked. Returns how many messages were deleted.
     */
    expireDue: expiry.expireDue,

    // Presence and settings
    getPresence: (userId: string): Promise<PresenceView> => readPresence(records, userId, now()),
    getSettings: (): Settings => settings,
    updateSettings,

    getContact: contacts.getContact,
    setVerified: contacts.setVerified,
    acknowledgeIdentityChange: contacts.acknowledgeIdentityChange,
    acceptRequest: contacts.acceptRequest,
    blockContact: contacts.blockContact,
    unblockContact: contacts.unblockContact,
    /** Makes the relay's block list and this device's agree (also runs on every ready). */
    reconcileBlocks: contacts.reconcileBlocks,
    /**
     * Read receipts on/off for this session, for hosts that keep their own
     * settings (not stored here, and wins over the stored setting on load).
     * updateSettings({ readReceipts }) stores it instead.
     */
    setReadReceipts: (enabled: boolean): void => {
      settings = { ...settings, readReceipts: enabled };
      readReceiptsPinned = true;
    },

    /**
     * Test seams, never for the UI: send a group state without checking or
     * applying it (forged, replayed, stale), and read the current signed state.
     */
    dangerousTestOnly: {
      sendGroupState: groups.dangerouslySendGroupState,
      groupState: groups.currentState,
    },

    /** Replays a deliver frame the extension kept while locked (already acked to the relay). */
    ingestFrame: async (bytes: Uint8Array): Promise<void> => {
      await load();
      const frame = decodeServerFrame(bytes);
      if (frame.t !== 'deliver') return;
      await incoming.ingest(frame);
    },
    /** After unlock (and after draining the locked inbox): load the account, send the outbox. */
    onUnlocked: async (): Promise<void> => {
      await load();
      if (connection?.online !== true) return;
      // Proven before the outbox pumps, so its sends are not refused as SEND_NOT_ALLOWED.
      await connection.unlock();
      await afterReady();
    },
    /**
     * After unlock and the locked inbox's drain: frames the full inbox left
     * un-acked are still on the relay, which sends them again on a new socket.
     */
    redeliverSkipped: (): void => {
      if (isLocked()) return;
      if (incoming.takeSkipped()) connection?.recycle();
    },
    /** On lock: drop decrypted caches; the socket stays up and routes deliveries to `locked.put`. */
    onLocked: (): void => {
      sessionCache.clear();
      sender.onDisconnect();
    },
  };
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
