/**
 * `ChatCore` on top of the shared client core (`createClient`,
 * shared/client/client.ts): the extension's storage (sealed IndexedDB
 * records, the device key as a non-extractable CryptoKey), the worker's
 * WebSocket, fetch and timers, and the vault's lock state go in; page views,
 * relay status, badge counts and notifications come out.
 *
 * Lifecycle in an MV3 worker that can be stopped at any moment:
 *  - worker start / wake alarm → `resume()`: the vault is always locked in a
 *    fresh worker, so the client connects with the device address kept in
 *    plain `meta` and the device key (usable while locked); deliveries go to
 *    the locked inbox, sealed, and are acked only after that write.
 *  - unlock → `onUnlocked()`: load the account, replay the locked inbox
 *    oldest first, then let the client send its outbox (which survived the
 *    worker's death in sealed records) and do its maintenance.
 *  - lock → `onLocked()`: the client drops its decrypted caches; the socket
 *    stays up.
 * The relay socket's 20 s keepalive pings (relay-connection.ts) are what
 * keep the worker alive while locked; while unlocked the shell's keepalive
 * does it too.
 *
 * Runs in: the service worker and Node (tests, with `ws` and memory storage).
 */

import type { ConversationView as CoreConversation } from '../../../shared/client/client.ts';
import {
  type ConnectionStatus,
  createClient,
  type DeviceAddress,
  type ParleyClient,
} from '../../../shared/client/client.ts';
import type { FetchLike, Timers } from '../../../shared/client/deps.ts';
import type { WebSocketConstructor } from '../../../shared/client/websocket-transport.ts';
import { ErrorCode, ParleyError } from '../../../shared/errors.ts';
import type { RegistrationResponse } from '../../../shared/wire/rest-auth.ts';
import { ExtErrorCode, extError } from '../../lib/errors.ts';
import type {
  ContactView,
  ConversationSummary,
  GroupRole,
  GroupView,
  MessagePage,
  MessageView,
  PresenceView,
  RegistrationCredentialJson,
  RelayStatus,
  Settings,
  TimerChoice,
} from '../../lib/protocol.ts';
import { ChangeFeed } from './change-feed.ts';
import type { ChatCore, CoreContext, CreateCore } from './core.ts';
import { TypingBoard } from './typing-board.ts';
import {
  messageIdOf,
  messageKeyFromId,
  type Names,
  type SummaryExtras,
  shortName,
  sortSummaries,
  toContactView,
  toGroupView,
  toMessageView,
  toSummary,
} from './views.ts';

/** What the worker's platform provides (globals in the worker, `ws`/Node in tests). */
export interface ClientPlatform {
  /** Bound: `(url, init) => fetch(url, init)`. */
  readonly fetch: FetchLike;
  readonly webSocket: WebSocketConstructor;
  readonly timers: Timers;
  /** False when the browser knows it has no network (the status then says "offline"). */
  readonly online?: () => boolean;
  /** Background failures: codes and names only reach the log. */
  readonly report: (what: string, error: unknown) => void;
  /** Sent as Origin by non-browser callers (tests); browsers set it themselves. */
  readonly origin?: string;
  /** Shorter keepalive/backoff in tests. */
  readonly keepaliveMs?: number;
}

/** Where the ids the relay knows this device by are kept (plain `meta`: readable while locked). */
export interface AddressStore {
  load(): Promise<DeviceAddress | undefined>;
  save(address: DeviceAddress): Promise<void>;
}

export function toRelayStatus(status: ConnectionStatus, online: boolean): RelayStatus {
  switch (status.state) {
    case 'retrying':
      return online ? status : { state: 'offline' };
    case 'stopped':
      return { state: 'stopped' };
    default:
      return status;
  }
}

function sameAddress(a: DeviceAddress | undefined, b: DeviceAddress): boolean {
  return a?.relayUrl === b.relayUrl && a.userId === b.userId && a.deviceId === b.deviceId;
}

/**
 * A NOT_FOUND from a call that names a conversation is that conversation's
 * absence (the client's other answers already carry their precise codes).
 */
function translate(e: unknown): unknown {
  if (e instanceof ParleyError && e.code === ErrorCode.NOT_FOUND)
    return extError(ExtErrorCode.CONVERSATION_NOT_FOUND, 'No such conversation');
  return e;
}

/** `_about`: what the call names (only conversations have a NOT_FOUND of their own). */
async function translated<T>(_about: 'conversation', run: () => Promise<T>) {
  try {
    return await run();
  } catch (e) {
    throw translate(e);
  }
}

export function createClientCore(platform: ClientPlatform, addresses: AddressStore): CreateCore {
  return (ctx: CoreContext): ClientCore => new ClientCore(ctx, platform, addresses);
}

export class ClientCore implements ChatCore {
  readonly #ctx: CoreContext;
  readonly #platform: ClientPlatform;
  readonly #addresses: AddressStore;
  readonly #client: ParleyClient;
  readonly #feed: ChangeFeed;
  #started = false;
  #starting: Promise<void> | undefined;
  #unlocking: Promise<void> | undefined;
  #unread: number | undefined;
  /** Bumped whenever the cached total may be stale (a read that started earlier must not store it). */
  #unreadGeneration = 0;
  #lastUnread = -1;
  /** user id → handle, learned from conversations, groups and lookups (handles are public). */
  readonly #handles = new Map<string, string>();
  readonly #typing = new TypingBoard();

  constructor(ctx: CoreContext, platform: ClientPlatform, addresses: AddressStore) {
    this.#ctx = ctx;
    this.#platform = platform;
    this.#addresses = addresses;
    this.#client = createClient({
      storage: ctx.storage,
      fetch: platform.fetch,
      webSocket: platform.webSocket,
      timers: platform.timers,
      now: ctx.now,
      random: ctx.random,
      ...(platform.origin === undefined ? {} : { origin: platform.origin }),
      ...(platform.keepaliveMs === undefined ? {} : { keepaliveMs: platform.keepaliveMs }),
      locked: {
        isLocked: () => !ctx.isUnlocked(),
        put: async (frame) => {
          const outcome = await ctx.lockedInbox.put(frame);
          // A refused frame stays on the relay: nothing new is waiting here to announce.
          if (outcome === 'stored') ctx.lockedArrived?.();
          return outcome;
        },
      },
      onError: (error, context) => {
        // The client core's own countdown timer can fire after a lock; it cannot
        // read the (opaque) expiry index then, and the expiry alarm sweeps by
        // bucket instead (expireDue below), so this is no failure.
        if (context === 'expiry' && ctx.lockedSweep !== undefined && !ctx.isUnlocked()) return;
        platform.report(context, error);
      },
    });
    this.#feed = new ChangeFeed({
      emit: ctx.emit,
      schedule: (callback, ms) => void platform.timers.setTimeout(callback, ms),
      onConversationsChanged: () => {
        this.#invalidateUnread();
        void this.#publishUnread();
      },
    });
    this.#listen();
  }

  #listen(): void {
    const client = this.#client;
    const report = (what: string) => (e: unknown) => this.#platform.report(what, e);
    client.on('status', () => this.#ctx.setRelayStatus(this.relayStatus()));
    client.on('message', (m) => {
      this.#feed.message(m.conversationId);
      if (m.outgoing || m.kind !== 'text') return;
      // Whoever sent a message has stopped typing it.
      if (this.#typing.set(m.conversationId, m.author, '', false))
        this.#emitTyping(m.conversationId);
      void this.#notify(m.conversationId, m.author, m.expiresIn === undefined ? m.text : '').catch(
        report('notify'),
      );
    });
    client.on('message-state', (m) => this.#feed.message(m.conversationId));
    client.on('conversation', () => {
      this.#invalidateUnread();
      this.#feed.conversation();
    });
    client.on('contact', ({ userId }) => {
      this.#handles.delete(userId); // a handle can change; learn it again when needed
      this.#feed.contact(userId);
    });
    client.on('presence', ({ userId }) => this.#feed.contact(userId));
    client.on('group', ({ conversationId }) => this.#feed.group(conversationId));
    client.on('group-rejected', ({ conversationId }) => this.#feed.group(conversationId));
    client.on('typing', ({ conversationId, userId, typing }) => {
      void this.#learn([userId], conversationId)
        .then(() => {
          if (this.#typing.set(conversationId, userId, this.#handleOf(userId), typing))
            this.#emitTyping(conversationId);
        })
        .catch(report('typing'));
    });
    client.on('expired', ({ conversationId, keys }) => {
      // Straight away, not coalesced: the text must leave open pages now.
      this.#ctx.emit({
        type: 'expired',
        conversationId,
        ids: keys.map((k) => messageIdOf(k, conversationId)),
      });
      this.#invalidateUnread();
      this.#feed.conversation();
    });
    client.on('expiry', ({ next }) => {
      void this.#ctx.scheduleExpiry(next).catch(report('expiry alarm'));
    });
  }

  #emitTyping(conversationId: string): void {
    this.#ctx.emit({
      type: 'typing',
      conversationId,
      handles: this.#typing.handles(conversationId),
    });
    this.#feed.conversation();
  }

  async #notify(conversationId: string, author: string, text: string): Promise<void> {
    if (this.#ctx.isViewing(conversationId)) return;
    const c = await this.#client.getConversation(conversationId);
    if (c.kind === 'group') {
      await this.#learn([author], conversationId);
      this.#ctx.notify({
        conversationId,
        senderHandle: this.#handleOf(author),
        groupName: c.title,
        text,
      });
    } else {
      this.#ctx.notify({ conversationId, senderHandle: c.title, text });
    }
  }

  // ── Names ───────────────────────────────────────────────────────────────

  #handleOf(userId: string): string {
    const account = this.#client.account();
    if (account !== undefined && userId === account.userId) return account.handle;
    return this.#handles.get(userId) ?? shortName(userId);
  }

  #names(): Names {
    const account = this.#client.account();
    return {
      selfId: account?.userId ?? '',
      own: account?.handle ?? 'you',
      handleOf: (userId) => this.#handleOf(userId),
    };
  }

  #remember(conversation: CoreConversation): void {
    if (conversation.peer !== undefined && conversation.title !== shortName(conversation.peer))
      this.#handles.set(conversation.peer, conversation.title);
  }

  /**
   * Makes sure the handles of `users` are known: from the group's member list
   * first (one read for all), then, for anyone not in it (a member who left),
   * from the contact record. Unknown users keep their short id.
   */
  async #learn(users: readonly string[], conversationId: string): Promise<void> {
    const own = this.#client.account()?.userId;
    let missing = [...new Set(users)].filter((u) => u !== own && !this.#handles.has(u));
    if (missing.length === 0) return;
    if (conversationId.startsWith('g:')) {
      try {
        const group = await this.#client.getGroup(conversationId);
        for (const m of group.members) if (m.handle !== null) this.#handles.set(m.userId, m.handle);
      } catch {
        // Not a group we know (yet): fall through to contacts.
      }
      missing = missing.filter((u) => !this.#handles.has(u));
    } else {
      const c = await this.#client.getConversation(conversationId).catch(() => undefined);
      if (c !== undefined) this.#remember(c);
      missing = missing.filter((u) => !this.#handles.has(u));
    }
    for (const user of missing) {
      const contact = await this.#client.getContact(user).catch(() => undefined);
      if (contact?.handle !== null && contact?.handle !== undefined)
        this.#handles.set(user, contact.handle);
    }
  }

  async #resolveHandles(handles: readonly string[]): Promise<void> {
    const own = this.#client.account();
    for (const handle of handles) {
      const found = await this.#client.lookupHandle(handle);
      if (found.user === own?.userId)
        throw extError(ErrorCode.OWN_HANDLE, 'That is your own handle');
      this.#handles.set(found.user, found.handle);
    }
  }

  async #publishUnread(): Promise<void> {
    if (!this.#ctx.isUnlocked()) return;
    try {
      const total = await this.unreadTotal();
      if (total === this.#lastUnread) return;
      this.#lastUnread = total;
      this.#ctx.setUnread(total);
    } catch (e) {
      this.#platform.report('unread', e);
    }
  }

  // ── Lifecycle ───────────────────────────────────────────────────────────

  async reconnectNow(): Promise<void> {
    if (this.#started) this.#client.reconnectNow();
    else await this.resume();
  }

  async resume(): Promise<void> {
    if (this.#started) {
      // Woken by the alarm or the network coming back while waiting to
      // retry an unreachable relay: try now rather than after the backoff.
      const status = this.#client.status();
      if (status.state === 'retrying' && status.problem === 'unreachable')
        this.#client.reconnectNow();
      return;
    }
    this.#starting ??= this.#start().finally(() => {
      this.#starting = undefined;
    });
    await this.#starting;
  }

  async #start(): Promise<void> {
    let address: DeviceAddress | undefined;
    if (this.#ctx.isUnlocked()) {
      const info = await this.#client.load();
      address = this.#client.deviceAddress();
      if (info !== undefined && address !== undefined) await this.#rememberAddress(address);
    }
    address ??= await this.#addresses.load();
    if (address === undefined) return; // no account yet
    await this.#client.start({ address });
    this.#started = true;
    await this.#ctx.scheduleWake();
    await this.#armExpiry();
  }

  /**
   * After a worker start: the alarm for the next disappearing message, and
   * whatever ran out while the worker was stopped goes now. Record keys only,
   * so this works while the vault is locked.
   */
  async #armExpiry(): Promise<void> {
    try {
      const locked = this.#ctx.lockedSweep !== undefined && !this.#ctx.isUnlocked();
      const next =
        (locked
          ? await this.#ctx.lockedSweep?.nextLockedSweep()
          : await this.#client.nextExpiry()) ?? null;
      await this.#ctx.scheduleExpiry(next);
      if (next !== null && next <= this.#ctx.now()) await this.expireDue();
    } catch (e) {
      this.#platform.report('expiry', e);
    }
  }

  async #rememberAddress(address: DeviceAddress): Promise<void> {
    if (!sameAddress(await this.#addresses.load(), address)) await this.#addresses.save(address);
  }

  onUnlocked(): Promise<void> {
    // Serialised: a quick lock/unlock must not drain the inbox twice at once.
    const previous = this.#unlocking ?? Promise.resolve();
    const run = previous.then(() => this.#afterUnlock());
    this.#unlocking = run.finally(() => {
      if (this.#unlocking === run) this.#unlocking = undefined;
    });
    return run;
  }

  async #afterUnlock(): Promise<void> {
    if (!this.#ctx.isUnlocked()) return;
    const info = await this.#client.load();
    if (info === undefined) return; // onboarding: no account yet
    const address = this.#client.deviceAddress();
    if (address !== undefined) await this.#rememberAddress(address);
    await this.#syncSettings(await this.#ctx.settings());
    if (!this.#started) await this.resume();
    // Oldest first; each frame leaves the inbox only after the client wrote
    // what it carried (ingestFrame resolves after the store write).
    await this.#ctx.lockedInbox.drain((frame) => this.#client.ingestFrame(frame));
    await this.#client.onUnlocked();
    // Frames that were being put while the vault opened are queued behind
    // everything above; pick them up too.
    await this.#client.idle();
    await this.#ctx.lockedInbox.drain((frame) => this.#client.ingestFrame(frame));
    // Frames the full inbox refused are still on the relay: fetch them now.
    this.#client.redeliverSkipped();
    this.#invalidateUnread();
    this.#lastUnread = -1;
    this.#feed.conversation();
  }

  onLocked(): void {
    this.#client.onLocked();
    this.#typing.clear();
    this.#handles.clear();
    this.#invalidateUnread();
    this.#feed.flush(); // what changed before the lock is told now, not after it
  }

  onSettings(settings: Settings): void {
    this.#client.setReadReceipts(settings.readReceipts);
    if (!this.#ctx.isUnlocked() || this.#client.account() === undefined) return; // synced at unlock
    void this.#syncSettings(settings).catch((e: unknown) => this.#platform.report('settings', e));
  }

  /**
   * The extension keeps settings in plain `meta` (readable while locked); the
   * client core keeps its own copy in sealed records and acts on it (typing
   * indicators, presence). Read receipts are pinned with setReadReceipts.
   */
  async #syncSettings(settings: Settings): Promise<void> {
    const current = this.#client.getSettings();
    if (
      current.typingIndicators === settings.typingIndicators &&
      current.showPresence === settings.showPresence
    )
      return;
    await this.#client.updateSettings({
      typingIndicators: settings.typingIndicators,
      showPresence: settings.showPresence,
    });
  }

  /** Closes the socket and waits for queued work (tests; a worker just stops). */
  stop(): Promise<void> {
    return this.#client.stop();
  }

  // ── Onboarding ──────────────────────────────────────────────────────────

  async beginRegistration(input: { relayUrl: string; handle: string }) {
    const options = await this.#client.beginRegistration(input);
    return { publicKey: options as Readonly<Record<string, unknown>> };
  }

  async finishRegistration(input: {
    relayUrl: string;
    handle: string;
    credential: RegistrationCredentialJson;
  }): Promise<void> {
    const settings = await this.#ctx.settings();
    this.#client.setReadReceipts(settings.readReceipts);
    await this.#client.finishRegistration({
      relayUrl: input.relayUrl,
      handle: input.handle,
      deviceName: 'Parley for Chromium',
      // The extension schema checked the shape; the client checks it again
      // against the relay's own schema before it leaves.
      credential: input.credential as unknown as RegistrationResponse,
    });
    const address = this.#client.deviceAddress();
    if (address !== undefined) await this.#addresses.save(address);
    await this.#syncSettings(settings);
  }

  // ── Conversations and messages ──────────────────────────────────────────

  async listConversations(): Promise<readonly ConversationSummary[]> {
    const views = await this.#client.listConversations();
    for (const c of views) this.#remember(c);
    return sortSummaries(await Promise.all(views.map((c) => this.#summary(c))));
  }

  /** The client core's summary plus what only the worker knows: typing, presence, last sender. */
  async #summary(c: CoreConversation): Promise<ConversationSummary> {
    const extras: { -readonly [K in keyof SummaryExtras]: SummaryExtras[K] } = {
      typing: this.#typing.handles(c.id),
    };
    if (c.kind === 'direct' && c.peer !== undefined && !c.isRequest && c.blocked !== true) {
      extras.presence = await this.#presence(c.peer);
    }
    const last = c.lastMessage;
    if (c.kind === 'group' && last !== null && !last.outgoing && last.kind === 'text') {
      const sender = await this.#lastSender(c.id, last.key);
      if (sender !== undefined) extras.lastSender = sender;
    }
    return toSummary(c, extras);
  }

  async #presence(userId: string): Promise<PresenceView> {
    try {
      const p = await this.#client.getPresence(userId);
      return { online: p.online, lastSeen: p.lastSeen };
    } catch {
      return { online: false, lastSeen: null };
    }
  }

  /** Who wrote the message a group's preview shows (the newest one: one record read). */
  async #lastSender(conversationId: string, key: string): Promise<string | undefined> {
    const page = await this.#client.getMessages({ conversationId, limit: 1 });
    const newest = page.messages[0];
    if (newest === undefined || newest.key !== key) return undefined;
    await this.#learn([newest.author], conversationId);
    return this.#handleOf(newest.author);
  }

  async #summaryOf(conversationId: string): Promise<ConversationSummary> {
    const c = await translated('conversation', () => this.#client.getConversation(conversationId));
    this.#remember(c);
    return this.#summary(c);
  }

  async startConversation(input: { handle: string }): Promise<ConversationSummary> {
    const c = await this.#client.startConversation(input.handle);
    this.#remember(c);
    return this.#summary(c);
  }

  async getMessages(input: {
    conversationId: string;
    before?: string;
    limit: number;
  }): Promise<MessagePage> {
    const conversation = await translated('conversation', () =>
      this.#client.getConversation(input.conversationId),
    );
    this.#remember(conversation);
    const page = await this.#client.getMessages({
      conversationId: input.conversationId,
      limit: input.limit,
      ...(input.before === undefined
        ? {}
        : { before: messageKeyFromId(input.before, input.conversationId) }),
    });
    await this.#learn(
      page.messages.filter((m) => !m.outgoing && m.kind === 'text').map((m) => m.author),
      input.conversationId,
    );
    const names = this.#names();
    return {
      messages: page.messages.map((m) => toMessageView(m, names)),
      before: page.before === null ? null : messageIdOf(page.before, input.conversationId),
    };
  }

  async sendText(input: { conversationId: string; text: string }): Promise<MessageView> {
    const sent = await translated('conversation', () => this.#client.sendText(input)).catch(
      (e: unknown) => {
        if (e instanceof ParleyError && e.code === ErrorCode.BAD_ARGUMENT)
          throw extError(ExtErrorCode.CONTACT_BLOCKED, 'Unblock this contact before writing');
        throw e;
      },
    );
    return toMessageView(sent, this.#names());
  }

  async markRead(input: { conversationId: string; upTo: string }): Promise<void> {
    const upTo = messageKeyFromId(input.upTo, input.conversationId);
    await translated('conversation', () =>
      this.#client.markRead({ conversationId: input.conversationId, upTo }),
    );
    this.#ctx.clearNotification(input.conversationId);
  }

  async sendTyping(input: { conversationId: string; typing: boolean }): Promise<void> {
    await translated('conversation', () => this.#client.sendTyping(input));
  }

  async setTimer(input: { conversationId: string; timerMs: TimerChoice }) {
    await translated('conversation', () =>
      this.#client.setTimer({ conversationId: input.conversationId, timer: input.timerMs }),
    );
    return this.#summaryOf(input.conversationId);
  }

  async deleteConversation(input: { conversationId: string }): Promise<void> {
    await translated('conversation', () => this.#client.deleteConversation(input.conversationId));
    this.#typing.clear(input.conversationId);
    this.#ctx.clearNotification(input.conversationId);
  }

  async acceptRequest(input: { conversationId: string }): Promise<ConversationSummary> {
    const c = await translated('conversation', () =>
      this.#client.getConversation(input.conversationId),
    );
    if (c.kind === 'group') await this.#client.acceptGroup(c.id);
    else if (c.peer !== undefined) await this.#client.acceptRequest(c.peer);
    return this.#summaryOf(c.id);
  }

  async blockContact(input: { userId: string }): Promise<void> {
    await this.#client.blockContact(input.userId);
  }

  async unblockContact(input: { userId: string }): Promise<void> {
    await this.#client.unblockContact(input.userId);
  }

  // ── Groups ──────────────────────────────────────────────────────────────

  async createGroup(input: {
    name: string;
    members: readonly string[];
  }): Promise<ConversationSummary> {
    // Looked up first so a wrong handle is named (the core would only say NOT_FOUND).
    await this.#resolveHandles(input.members);
    const id = await this.#client.createGroup({ name: input.name, members: [...input.members] });
    return this.#summaryOf(id);
  }

  async getGroup(input: { conversationId: string }): Promise<GroupView> {
    const group = await translated('conversation', () =>
      this.#client.getGroup(input.conversationId),
    );
    const unknown = group.members.filter((m) => m.handle === null).map((m) => m.userId);
    await this.#learn([...unknown, group.addedBy], input.conversationId);
    return toGroupView(group, this.#names());
  }

  async renameGroup(input: { conversationId: string; name: string }): Promise<GroupView> {
    await translated('conversation', () =>
      this.#client.renameGroup(input.conversationId, input.name),
    );
    return this.getGroup(input);
  }

  async addGroupMembers(input: {
    conversationId: string;
    handles: readonly string[];
  }): Promise<GroupView> {
    await this.#resolveHandles(input.handles);
    await translated('conversation', () =>
      this.#client.addMembers(input.conversationId, [...input.handles]),
    );
    return this.getGroup(input);
  }

  async removeGroupMember(input: { conversationId: string; userId: string }): Promise<GroupView> {
    await translated('conversation', () =>
      this.#client.removeMember(input.conversationId, input.userId),
    );
    return this.getGroup(input);
  }

  async setGroupRole(input: {
    conversationId: string;
    userId: string;
    role: GroupRole;
  }): Promise<GroupView> {
    await translated('conversation', () =>
      this.#client.setRole(input.conversationId, input.userId, input.role),
    );
    return this.getGroup(input);
  }

  async leaveGroup(input: { conversationId: string }): Promise<void> {
    await translated('conversation', () => this.#client.leaveGroup(input.conversationId));
  }

  async expireDue(): Promise<number> {
    const sweep = this.#ctx.lockedSweep;
    if (sweep === undefined || this.#ctx.isUnlocked()) return this.#client.expireDue();
    // Locked: whole buckets that have ended, then the alarm for the next one.
    const swept = await sweep.sweepLocked(this.#ctx.now());
    await this.#ctx.scheduleExpiry(await sweep.nextLockedSweep());
    return swept;
  }

  // ── Contacts ────────────────────────────────────────────────────────────

  async getContact(input: { conversationId: string }): Promise<ContactView> {
    const conversation = await translated('conversation', () =>
      this.#client.getConversation(input.conversationId),
    );
    if (conversation.peer === undefined)
      throw extError(ExtErrorCode.CONVERSATION_NOT_FOUND, 'Not a direct conversation');
    const contact = await this.#client.getContact(conversation.peer);
    return toContactView(
      contact,
      contact.status === 'accepted' ? await this.#presence(contact.userId) : null,
    );
  }

  async setVerified(input: { userId: string; verified: boolean }): Promise<ContactView> {
    return toContactView(
      await translated('conversation', () =>
        this.#client.setVerified(input.userId, input.verified),
      ),
    );
  }

  async acknowledgeIdentityChange(input: { userId: string }): Promise<ContactView> {
    return toContactView(
      await translated('conversation', () => this.#client.acknowledgeIdentityChange(input.userId)),
    );
  }

  async unreadTotal(): Promise<number> {
    if (this.#unread !== undefined) return this.#unread;
    const generation = this.#unreadGeneration;
    const total = await this.#client.unreadTotal();
    if (generation === this.#unreadGeneration) this.#unread = total;
    return total;
  }

  #invalidateUnread(): void {
    this.#unread = undefined;
    this.#unreadGeneration++;
  }

  relayStatus(): RelayStatus {
    return toRelayStatus(this.#client.status(), this.#platform.online?.() ?? true);
  }
}
