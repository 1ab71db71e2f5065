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
  MessagePage,
  MessageView,
  RegistrationCredentialJson,
  RelayStatus,
  Settings,
} from '../../lib/protocol.ts';
import { ChangeFeed } from './change-feed.ts';
import type { ChatCore, CoreContext, CreateCore } from './core.ts';
import {
  messageIdOf,
  messageKeyFromId,
  sortSummaries,
  toContactView,
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

/** Client errors that pages have sentences for, under the extension's codes. */
function translate(e: unknown, context: 'lookup' | 'conversation'): unknown {
  if (!(e instanceof ParleyError)) return e;
  if (e.code === ErrorCode.NOT_FOUND) {
    return context === 'lookup'
      ? extError(ExtErrorCode.HANDLE_NOT_FOUND, 'No user with that handle')
      : extError(ExtErrorCode.CONVERSATION_NOT_FOUND, 'No such conversation');
  }
  if (e.code === ErrorCode.BAD_ARGUMENT && context === 'lookup')
    return extError(ExtErrorCode.OWN_HANDLE, 'That is your own handle');
  return e;
}

async function translated<T>(context: 'lookup' | 'conversation', run: () => Promise<T>) {
  try {
    return await run();
  } catch (e) {
    throw translate(e, context);
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
        put: (frame) => ctx.lockedInbox.put(frame),
      },
      onError: (error, context) => platform.report(context, error),
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
    client.on('status', () => this.#ctx.setRelayStatus(this.relayStatus()));
    client.on('message', (m) => {
      this.#feed.message(m.conversationId);
      if (!m.outgoing && m.kind === 'text') this.#notify(m.conversationId, m.text);
    });
    client.on('message-state', (m) => this.#feed.message(m.conversationId));
    client.on('conversation', () => {
      this.#invalidateUnread();
      this.#feed.conversation();
    });
    client.on('contact', ({ userId }) => this.#feed.contact(userId));
  }

  #notify(conversationId: string, text: string): void {
    if (this.#ctx.isViewing(conversationId)) return;
    void this.#client
      .getConversation(conversationId)
      .then((c) => this.#ctx.notify({ conversationId, senderHandle: c.title, text }))
      .catch((e: unknown) => this.#platform.report('notify', e));
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
      if (info !== undefined && address !== undefined) await this.#remember(address);
    }
    address ??= await this.#addresses.load();
    if (address === undefined) return; // no account yet
    await this.#client.start({ address });
    this.#started = true;
    await this.#ctx.scheduleWake();
  }

  async #remember(address: DeviceAddress): Promise<void> {
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
    if (address !== undefined) await this.#remember(address);
    if (!this.#started) await this.resume();
    // Oldest first; each frame leaves the inbox only after the client wrote
    // what it carried (ingestFrame resolves after the store write).
    await this.#ctx.lockedInbox.drain((frame) => this.#client.ingestFrame(frame));
    await this.#client.onUnlocked();
    // Frames that were being put while the vault opened are queued behind
    // everything above; pick them up too.
    await this.#client.idle();
    await this.#ctx.lockedInbox.drain((frame) => this.#client.ingestFrame(frame));
    this.#invalidateUnread();
    this.#lastUnread = -1;
    this.#feed.conversation();
  }

  onLocked(): void {
    this.#client.onLocked();
    this.#invalidateUnread();
    this.#feed.flush(); // what changed before the lock is told now, not after it
  }

  onSettings(settings: Settings): void {
    this.#client.setReadReceipts(settings.readReceipts);
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
  }

  // ── Conversations and messages ──────────────────────────────────────────

  async listConversations(): Promise<readonly ConversationSummary[]> {
    return sortSummaries((await this.#client.listConversations()).map(toSummary));
  }

  async startConversation(input: { handle: string }): Promise<ConversationSummary> {
    return translated('lookup', async () =>
      toSummary(await this.#client.startConversation(input.handle)),
    );
  }

  async #names(conversationId: string): Promise<{ own: string; peer: string }> {
    const conversation = await translated('conversation', () =>
      this.#client.getConversation(conversationId),
    );
    return { own: this.#client.account()?.handle ?? 'you', peer: conversation.title };
  }

  async getMessages(input: {
    conversationId: string;
    before?: string;
    limit: number;
  }): Promise<MessagePage> {
    const names = await this.#names(input.conversationId);
    const page = await this.#client.getMessages({
      conversationId: input.conversationId,
      limit: input.limit,
      ...(input.before === undefined
        ? {}
        : { before: messageKeyFromId(input.before, input.conversationId) }),
    });
    return {
      messages: page.messages.map((m) => toMessageView(m, names)),
      before: page.before === null ? null : messageIdOf(page.before, input.conversationId),
    };
  }

  async sendText(input: { conversationId: string; text: string }): Promise<MessageView> {
    const names = await this.#names(input.conversationId);
    const sent = await translated('conversation', () => this.#client.sendText(input));
    return toMessageView(sent, names);
  }

  async markRead(input: { conversationId: string; upTo: string }): Promise<void> {
    const upTo = messageKeyFromId(input.upTo, input.conversationId);
    await translated('conversation', () =>
      this.#client.markRead({ conversationId: input.conversationId, upTo }),
    );
    this.#ctx.clearNotification(input.conversationId);
  }

  // ── Contacts ────────────────────────────────────────────────────────────

  async getContact(input: { conversationId: string }): Promise<ContactView> {
    const conversation = await translated('conversation', () =>
      this.#client.getConversation(input.conversationId),
    );
    if (conversation.peer === undefined)
      throw extError(ExtErrorCode.CONVERSATION_NOT_FOUND, 'Not a direct conversation');
    return toContactView(await this.#client.getContact(conversation.peer));
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
