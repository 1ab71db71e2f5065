/**
 * `createClient(deps)`: the messaging client the extension, the CLI, bots and
 * load tests run. It wires the pure parts (sessions, content, outbox, inbox,
 * receipts) to the platform through the deps: a RecordStore + KeyHandleStore,
 * `fetch`, a WebSocket constructor (or any Transport), timers, a clock and a
 * random source. docs/client.md describes the whole; this file only connects.
 *
 * Every state change runs on one serial queue (serial.ts), so incoming
 * messages are applied in relay order and never race with sends. Events are
 * emitted after the store write that made them true.
 */
import * as v from 'valibot';
import { toHex } from '../bytes.ts';
import type { Random } from '../crypto/random.ts';
import { ErrorCode, fail, ParleyError } from '../errors.ts';
import { decodeServerFrame, encodeServerFrame } from '../wire/codec.ts';
import type { DeliverFrame, ServerFrame } from '../wire/frames.ts';
import { normalizeHandle } from '../wire/handle.ts';
import { ACK_MAX_QIDS, ONE_TIME_PREKEYS_REFILL_BELOW } from '../wire/limits.ts';
import type { CreationOptions, RegistrationResponse, SessionResponse } from '../wire/rest-auth.ts';
import {
  type Account,
  type Authenticator,
  beginRegistration,
  completeRegistration,
  type DeviceAddress,
  exportIdentity,
  type IdentityExport,
  loadAccount,
  loginWithPasskey,
  type MaintenanceResult,
  maintainPrekeys,
  type RegistrationInput,
  registerAccount,
  registerDevice,
} from './account.ts';
import type { BackoffPolicy } from './backoff.ts';
import { Batch } from './batch.ts';
import {
  acknowledgeChange,
  type Contact,
  ContactStatus,
  contactIdentity,
  contactOp,
  newContact,
  readContact,
  type SafetyNumberView,
  safetyNumberFor,
} from './contacts.ts';
import { encodeContent, ReceiptKind, TEXT_MAX_CHARS } from './content.ts';
import {
  type Conversation,
  directConversationId,
  ensureDirectConversation,
  listConversations,
  MessageState,
  peerOf,
  readConversation,
} from './conversations.ts';
import type { FetchLike, Timers } from './deps.ts';
import { Emitter } from './events.ts';
import { type InboxEffect, processDelivery, pruneSeen } from './inbox.ts';
import {
  listMessagePage,
  type MessageRecord,
  markReadUpTo,
  messageKeyOf,
  SystemEvent,
  stageNewMessage,
  systemMessageRecord,
} from './messages.ts';
import { type OutboxEntry, OutboxKind, stageEntry } from './outbox.ts';
import { flushReceipts, stagePendingReceipt } from './receipts.ts';
import { decodeRecord, encodeRecord, IntField } from './record-codec.ts';
import { RelayApi } from './relay-api.ts';
import { type ConnectionStatus, RelayConnection, relaySocketUrl } from './relay-connection.ts';
import { Sender } from './sender.ts';
import { SerialQueue } from './serial.ts';
import {
  checkIdentity,
  dropDeviceSession,
  encryptFor,
  ensureSessions,
  knownDevices,
  type SessionContext,
  type SessionEntry,
  stageDevices,
} from './sessions.ts';
import { StampClock } from './stamps.ts';
import { DEVICE_KEY_NAME, Keys } from './storage-keys.ts';
import type { ClientStorage } from './store.ts';
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
   * and acked; `ingestFrame` replays them after unlock.
   */
  readonly locked?: {
    readonly isLocked: () => boolean;
    readonly put: (frame: Uint8Array) => Promise<void>;
  };
  /** Background failures (maintenance, a relay REST outage while sending). */
  readonly onError?: (error: unknown, context: string) => void;
  readonly keepaliveMs?: number;
  readonly backoff?: BackoffPolicy;
}

export interface AccountInfo {
  readonly userId: string;
  readonly handle: string;
  readonly deviceId: number;
  readonly relayUrl: string;
}

export interface MessageView {
  /** 32 hex characters. */
  readonly id: string;
  /** Sort key; also the `before` cursor of the page it starts. */
  readonly key: string;
  readonly conversationId: string;
  readonly outgoing: boolean;
  readonly author: string;
  readonly authorDevice: number;
  readonly kind: 'text' | 'system';
  readonly system?: string;
  readonly text: string;
  readonly sentAt: number;
  readonly receivedAt: number;
  readonly state: MessageState;
  readonly error?: string;
  readonly expiresAt?: number;
}

export interface ConversationView {
  readonly id: string;
  readonly kind: 'direct' | 'group';
  /** Direct chats: the other user's id. */
  readonly peer?: string;
  /** The contact's handle (or a short id while unknown), or the group name. */
  readonly title: string;
  readonly unread: number;
  readonly lastMessage: {
    readonly key: string;
    readonly text: string;
    readonly at: number;
    readonly outgoing: boolean;
    readonly state: MessageState;
    readonly kind: 'text' | 'system';
  } | null;
  readonly updatedAt: number;
  readonly verified: boolean;
  readonly identityChanged: boolean;
  /** First contact from someone unknown: accept (issue 6 adds block/delete). */
  readonly isRequest: boolean;
}

export interface ContactView {
  readonly userId: string;
  readonly handle: string | null;
  readonly conversationId: string;
  readonly status: Contact['status'];
  readonly verified: boolean;
  readonly identityChange: { readonly changedAt: number } | null;
  /** Null until the contact's identity key is known. */
  readonly safetyNumber: SafetyNumberView | null;
}

export interface MessagePageView {
  /** Oldest first. */
  readonly messages: MessageView[];
  /** Pass as `before` for older messages; null at the start of history. */
  readonly before: string | null;
}

export interface ClientEvents {
  status: ConnectionStatus;
  /** A new message in a conversation (incoming, synced from our other device, sent here, or a system notice). */
  message: MessageView;
  /** An existing message changed state (stored, delivered, read, failed). */
  'message-state': MessageView;
  /** A conversation's summary changed (unread count, preview, new conversation). */
  conversation: { readonly conversationId: string };
  /** A contact changed: identity key, verified flag, handle, request status. */
  contact: { readonly userId: string };
  typing: { readonly conversationId: string; readonly userId: string; readonly typing: boolean };
  /** A delivery could not be decrypted (recorded, session reset requested). */
  undecryptable: { readonly userId: string; readonly deviceId: number; readonly code: string };
  /** The relay's backlog has been delivered (after each connect). */
  drained: { readonly at: number };
}

export type ParleyClient = ReturnType<typeof createClient>;

const MAINTENANCE_INTERVAL_MS = 60 * 60 * 1000;
const AtSchema = v.object({ at: IntField });
const ACK_BATCH = 64;
/** Typing indicators: at most one "typing" per conversation per this interval. */
export const TYPING_THROTTLE_MS = 3_000;

function toView(m: MessageRecord): MessageView {
  return {
    id: toHex(m.id),
    key: messageKeyOf(m),
    conversationId: m.conv,
    outgoing: m.outgoing,
    author: m.author,
    authorDevice: m.authorDevice,
    kind: m.kind,
    ...(m.system === undefined ? {} : { system: m.system }),
    text: m.text,
    sentAt: m.sentAt,
    receivedAt: m.receivedAt,
    state: m.state,
    ...(m.error === undefined ? {} : { error: m.error }),
    ...(m.expiresAt === undefined ? {} : { expiresAt: m.expiresAt }),
  };
}

function shortId(user: string): string {
  return `user ${user.slice(0, 8)}`;
}

// ---------------------------------------------------------------------------

export function createClient(deps: ClientDeps) {
  const { storage, timers, now, random } = deps;
  const records = storage.records;
  const events = new Emitter<ClientEvents>((e) => deps.onError?.(e, 'event listener'));
  const queue = new SerialQueue();
  const stamps = new StampClock(now);
  const sessionCache = new Map<string, SessionEntry>();
  const transport =
    deps.transport ??
    (deps.webSocket === undefined ? undefined : createWebSocketTransport(deps.webSocket));
  let readReceipts = deps.readReceipts ?? true;

  let account: Account | undefined;
  let api: RelayApi | undefined;
  let connection: RelayConnection | undefined;
  let address: DeviceAddress | undefined;
  let maintenanceTimer: unknown;
  let pendingAcks: number[] = [];
  let deliveriesQueued = 0;
  let receiptsPending = false;
  const lastTyping = new Map<string, number>();

  const reportError = (error: unknown, context: string) => deps.onError?.(error, context);
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
      events.emit('message', toView(message));
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
    online: () => connection?.online === true && !isLocked(),
    onMessageState: (m) => {
      events.emit('message-state', toView(m));
      events.emit('conversation', { conversationId: m.conv });
    },
    onError: reportError,
  });

  function adopt(loaded: Account): AccountInfo {
    account = loaded;
    api ??= makeApi(loaded.relayUrl);
    api.setSigner({ user: loaded.userId, device: loaded.deviceId, key: loaded.deviceKey });
    address = { relayUrl: loaded.relayUrl, userId: loaded.userId, deviceId: loaded.deviceId };
    return info(loaded);
  }

  function info(a: Account): AccountInfo {
    return { userId: a.userId, handle: a.handle, deviceId: a.deviceId, relayUrl: a.relayUrl };
  }

  async function load(): Promise<AccountInfo | undefined> {
    if (account !== undefined) return info(account);
    const loaded = await loadAccount(storage);
    return loaded === undefined ? undefined : adopt(loaded);
  }

  function emitEffects(effects: readonly InboxEffect[]): void {
    const conversations = new Set<string>();
    for (const effect of effects) {
      switch (effect.type) {
        case 'message':
          events.emit('message', toView(effect.message));
          conversations.add(effect.message.conv);
          break;
        case 'message-state':
          events.emit('message-state', toView(effect.message));
          conversations.add(effect.message.conv);
          break;
        case 'contact':
          events.emit('contact', { userId: effect.userId });
          break;
        case 'typing':
          events.emit('typing', {
            conversationId: effect.conversationId,
            userId: effect.userId,
            typing: effect.typing,
          });
          break;
        case 'undecryptable':
          events.emit('undecryptable', {
            userId: effect.userId,
            deviceId: effect.deviceId,
            code: effect.code,
          });
          break;
      }
    }
    for (const conversationId of conversations) events.emit('conversation', { conversationId });
  }

  // -------------------------------------------------------------------------
  // Incoming

  async function handleDelivery(frame: DeliverFrame): Promise<boolean> {
    const ctx = requireSessions();
    const verifyHandle = async (user: string, claimed: string) => {
      try {
        const found = await requireApi().lookupHandle(claimed);
        return found.user === user ? found.handle : undefined;
      } catch {
        return undefined;
      }
    };
    const outcome = await processDelivery(
      { sessions: ctx, stamps, verifyHandle },
      new Batch(records),
      frame,
    );
    emitEffects(outcome.effects);
    if (
      outcome.effects.some(
        (e) => e.type === 'message' && !e.message.outgoing && e.message.kind === 'text',
      )
    ) {
      receiptsPending = true;
    }
    if (outcome.queuedOutbox) sender.pump();
    return outcome.ack;
  }

  function flushAcks(): void {
    while (pendingAcks.length > 0) {
      const qids = pendingAcks.slice(0, ACK_MAX_QIDS);
      if (connection?.send({ t: 'ack', qids }) !== true) {
        // Not online: the relay redelivers, the inbox dedupes.
        pendingAcks = [];
        return;
      }
      pendingAcks = pendingAcks.slice(qids.length);
    }
  }

  function onDeliver(frame: DeliverFrame): void {
    if (isLocked()) {
      const put = deps.locked?.put;
      if (put === undefined) return;
      // Through the queue: the locked inbox must keep the relay's order.
      queue
        .run(() => put(encodeServerFrame(frame)))
        .then(() => {
          if (frame.qid !== undefined) connection?.send({ t: 'ack', qids: [frame.qid] });
        })
        .catch((e: unknown) => reportError(e, 'locked inbox'));
      return;
    }
    deliveriesQueued++;
    queue
      .run(() => handleDelivery(frame))
      .then(
        (ack) => {
          if (ack && frame.qid !== undefined) pendingAcks.push(frame.qid);
        },
        (e: unknown) => {
          // Not acked: the relay delivers it again on the next connection.
          // A new socket makes the relay deliver it again (the inbox dedupes what was applied).
          reportError(e, 'inbox');
          connection?.recycle();
        },
      )
      .finally(() => {
        deliveriesQueued--;
        if (pendingAcks.length >= ACK_BATCH || deliveriesQueued === 0) flushAcks();
        if (deliveriesQueued === 0 && receiptsPending) scheduleReceipts();
      });
  }

  function scheduleReceipts(): void {
    receiptsPending = false;
    queue
      .run(async () => {
        const ctx = sessionContext();
        if (ctx === undefined) return 0;
        const batch = new Batch(records);
        const queued = await flushReceipts(
          { ownUser: ctx.account.userId, readReceipts, now, random, stamps },
          batch,
        );
        await batch.commit();
        return queued;
      })
      .then((queued) => {
        if (queued > 0) sender.pump();
      })
      .catch((e: unknown) => reportError(e, 'receipts'));
  }

  function onFrame(frame: ServerFrame): void {
    switch (frame.t) {
      case 'ready':
        if (!isLocked()) void afterReady(frame.oneTimePreKeys);
        return;
      case 'deliver':
        onDeliver(frame);
        return;
      case 'drained':
        events.emit('drained', { at: now() });
        return;
      case 'stored':
        // While locked the outbox cannot be updated; it resends after unlock and hears again.
        if (!isLocked()) sender.onStored(frame);
        return;
      case 'mismatch':
        if (!isLocked()) sender.onMismatch(frame);
        return;
      case 'error':
        if (!isLocked()) sender.onError(frame);
        if (frame.ref === undefined)
          reportError(new ParleyError(frame.code, frame.message), 'relay');
        return;
      default:
        return;
    }
  }

  /** After every (re)connect: refresh our own device list, send the outbox, keep prekeys stocked. */
  async function afterReady(oneTimePreKeys?: number): Promise<void> {
    try {
      await queue.run(refreshOwnDevices);
    } catch (e) {
      reportError(e, 'own devices');
    }
    sender.pump();
    const last = await lastMaintenance();
    const due = last === undefined || now() - last >= MAINTENANCE_INTERVAL_MS;
    if (due || (oneTimePreKeys !== undefined && oneTimePreKeys < ONE_TIME_PREKEYS_REFILL_BELOW)) {
      void runMaintenance();
    }
  }

  /** When prekeys were last checked (persisted: an MV3 worker rarely lives an hour). */
  async function lastMaintenance(): Promise<number | undefined> {
    const raw = await records.get(Keys.maintenance);
    return raw === undefined ? undefined : decodeRecord(AtSchema, raw, 'maintenance').at;
  }

  async function refreshOwnDevices(): Promise<void> {
    const ctx = sessionContext();
    if (ctx === undefined) return;
    const own = ctx.account.userId;
    const directory = await ctx.api.deviceList(own);
    const batch = new Batch(records);
    await checkIdentity(
      ctx,
      batch,
      own,
      {
        dh: directory.identity.dh,
        signing: directory.identity.sig,
        binding: directory.identity.binding,
      },
      ContactStatus.ACCEPTED,
    );
    const ids = directory.devices.map((d) => d.id).filter((id) => id !== ctx.account.deviceId);
    const known = (await knownDevices(batch, own)) ?? [];
    const same = known.length === ids.length && known.every((id) => ids.includes(id));
    if (same) return;
    // Sessions are fetched lazily by the next send (with certificate checks);
    // removed devices lose theirs now.
    for (const id of known) if (!ids.includes(id)) dropDeviceSession(ctx, batch, own, id);
    stageDevices(ctx, batch, own, ids);
    await batch.commit();
  }

  async function runMaintenance(): Promise<MaintenanceResult | undefined> {
    const ctx = sessionContext();
    if (ctx === undefined) return undefined;
    try {
      return await queue.run(async () => {
        const result = await maintainPrekeys({ storage, now, random }, ctx.api, ctx.account);
        const batch = new Batch(records);
        await pruneSeen(batch, now());
        batch.set(Keys.maintenance, encodeRecord({ at: now() }));
        await batch.commit();
        return result;
      });
    } catch (e) {
      reportError(e, 'prekey maintenance');
      return undefined;
    }
  }

  function scheduleMaintenance(): void {
    maintenanceTimer = timers.setTimeout(() => {
      void runMaintenance().finally(() => {
        if (maintenanceTimer !== undefined) scheduleMaintenance();
      });
    }, MAINTENANCE_INTERVAL_MS);
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
      onFrame,
      onStatus: (status) => events.emit('status', status),
      onDisconnect: () => {
        sender.onDisconnect();
        pendingAcks = [];
      },
      ...(deps.keepaliveMs === undefined ? {} : { keepaliveMs: deps.keepaliveMs }),
      ...(deps.backoff === undefined ? {} : { backoff: deps.backoff }),
    });
    connection.start();
    scheduleMaintenance();
  }

  async function stop(): Promise<void> {
    connection?.stop();
    connection = undefined;
    sender.stop();
    if (maintenanceTimer !== undefined) timers.clearTimeout(maintenanceTimer);
    maintenanceTimer = undefined;
    await queue.idle();
  }

  // -------------------------------------------------------------------------
  // Account

  async function register(input: RegistrationInput & { readonly authenticator: Authenticator }) {
    const relayApi = makeApi(input.relayUrl);
    const created = await registerAccount(
      { storage, now, random },
      relayApi,
      input,
      input.authenticator,
    );
    api = relayApi;
    return adopt(created);
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
    const relayApi = makeApi(input.relayUrl);
    const joined = await registerDevice(
      { storage, now, random },
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
    );
    api = relayApi;
    const result = adopt(joined);
    await queue.run(async () => {
      const batch = new Batch(records);
      stageEntry(batch, {
        v: 1,
        id: random(16) as OutboxEntry['id'],
        stamp: await stamps.next(batch),
        kind: OutboxKind.RESET,
        content: encodeContent({ v: 1, t: 'reset' }),
        recipients: [joined.userId],
        mismatches: 0,
        attempts: 0,
        createdAt: now(),
      });
      await batch.commit();
    });
    return result;
  }

  // -------------------------------------------------------------------------
  // Conversations and messages

  async function conversationView(c: Conversation): Promise<ConversationView> {
    const contact = c.peer === undefined ? undefined : await readContact(records, c.peer);
    return {
      id: c.id,
      kind: c.kind,
      ...(c.peer === undefined ? {} : { peer: c.peer }),
      title: c.title ?? contact?.handle ?? (c.peer === undefined ? c.id : shortId(c.peer)),
      unread: c.unread,
      lastMessage:
        c.last === undefined
          ? null
          : {
              key: c.last.key,
              text: c.last.text,
              at: c.last.at,
              outgoing: c.last.outgoing,
              state: c.last.state,
              kind: c.last.kind,
            },
      updatedAt: c.updatedAt,
      verified: contact?.verified === true,
      identityChanged: contact?.change !== undefined,
      isRequest: contact?.status === ContactStatus.REQUEST,
    };
  }

  async function getConversation(conversationId: string): Promise<ConversationView> {
    const c = await readConversation(records, conversationId);
    if (c === undefined) fail(ErrorCode.NOT_FOUND, 'No such conversation');
    return conversationView(c);
  }

  async function lookupHandle(handle: string): Promise<{ user: string; handle: string }> {
    return requireApi().lookupHandle(normalizeHandle(handle));
  }

  /** Finds the user by handle and opens (or returns) the direct conversation; records their identity. */
  async function startConversation(handle: string): Promise<ConversationView> {
    const ctx = requireSessions();
    const found = await lookupHandle(handle);
    if (found.user === ctx.account.userId) fail(ErrorCode.BAD_ARGUMENT, 'That is your own handle');
    const directory = await ctx.api.deviceList(found.user);
    const conversation = await queue.run(async () => {
      const batch = new Batch(records);
      const contact =
        (await readContact(batch, found.user)) ??
        newContact(found.user, ContactStatus.ACCEPTED, now());
      batch.apply(
        contactOp({
          ...contact,
          handle: found.handle,
          status:
            contact.status === ContactStatus.BLOCKED ? contact.status : ContactStatus.ACCEPTED,
        }),
      );
      await checkIdentity(
        ctx,
        batch,
        found.user,
        {
          dh: directory.identity.dh,
          signing: directory.identity.sig,
          binding: directory.identity.binding,
        },
        ContactStatus.ACCEPTED,
      );
      const c = await ensureDirectConversation(batch, found.user, now());
      await batch.commit();
      return c;
    });
    events.emit('conversation', { conversationId: conversation.id });
    events.emit('contact', { userId: found.user });
    return conversationView(conversation);
  }

  /**
   * Stores the message and queues it (one write), then lets the outbox send
   * it. Throws IDENTITY_CHANGED while the contact's key change is not acknowledged.
   */
  async function sendText(input: {
    readonly conversationId: string;
    readonly text: string;
  }): Promise<MessageView> {
    const ctx = requireSessions();
    const peer = peerOf(input.conversationId);
    if (peer === undefined)
      fail(ErrorCode.BAD_ARGUMENT, 'Only direct conversations can be written to yet');
    if (input.text.length === 0 || input.text.length > TEXT_MAX_CHARS) {
      fail(ErrorCode.BAD_ARGUMENT, `Message text must be 1 to ${TEXT_MAX_CHARS} characters`);
    }
    const message = await queue.run(async () => {
      const batch = new Batch(records);
      const conversation = await readConversation(batch, input.conversationId);
      if (conversation === undefined) fail(ErrorCode.NOT_FOUND, 'No such conversation');
      const contact = await readContact(batch, peer);
      if (contact?.change !== undefined) {
        throw new ParleyError(
          ErrorCode.IDENTITY_CHANGED,
          "This contact's safety number changed: acknowledge it before sending",
          {
            user: peer,
            changedAt: contact.change.at,
          },
        );
      }
      if (contact?.status === ContactStatus.REQUEST) {
        batch.apply(contactOp({ ...contact, status: ContactStatus.ACCEPTED })); // replying accepts
      }
      const id = random(16) as MessageRecord['id'];
      const sentAt = now();
      const stamp = await stamps.next(batch);
      const content = encodeContent({
        v: 1,
        t: 'text',
        id,
        to: { u: peer },
        sentAt,
        text: input.text,
        fh: ctx.account.handle,
        ...(contact?.handle === undefined ? {} : { th: contact.handle }),
      });
      const record: MessageRecord = {
        v: 1,
        id,
        conv: conversation.id,
        stamp,
        author: ctx.account.userId,
        authorDevice: ctx.account.deviceId,
        outgoing: true,
        kind: 'text',
        text: input.text,
        sentAt,
        receivedAt: sentAt,
        state: MessageState.SENDING,
      };
      await stageNewMessage(batch, conversation, record);
      const entry: OutboxEntry = {
        v: 1,
        id,
        stamp,
        kind: OutboxKind.MESSAGE,
        conv: conversation.id,
        content,
        recipients: [peer, ctx.account.userId],
        mismatches: 0,
        attempts: 0,
        createdAt: sentAt,
      };
      stageEntry(batch, entry);
      await batch.commit();
      return record;
    });
    const view = toView(message);
    events.emit('message', view);
    events.emit('conversation', { conversationId: message.conv });
    sender.pump();
    return view;
  }

  /** Encrypted typing indicator, sent only while online and never stored; throttled. */
  async function sendTyping(input: {
    readonly conversationId: string;
    readonly typing: boolean;
  }): Promise<boolean> {
    const peer = peerOf(input.conversationId);
    if (peer === undefined || connection?.online !== true) return false;
    const last = lastTyping.get(input.conversationId) ?? 0;
    if (input.typing && now() - last < TYPING_THROTTLE_MS) return false;
    lastTyping.set(input.conversationId, input.typing ? now() : 0);
    const ctx = requireSessions();
    return queue.run(async () => {
      const contact = await readContact(records, peer);
      if (contact?.change !== undefined || contact?.status !== ContactStatus.ACCEPTED) return false;
      const batch = new Batch(records);
      const outcome = await ensureSessions(ctx, batch, peer);
      if (outcome.identityChanged || outcome.devices.length === 0) {
        await batch.commit();
        return false;
      }
      const content = encodeContent({ v: 1, t: 'typing', to: { u: peer }, typing: input.typing });
      const devices = [];
      for (const device of outcome.devices) {
        devices.push({ device, body: await encryptFor(ctx, batch, peer, device, content) });
      }
      await batch.commit();
      return (
        connection?.send({
          t: 'send',
          id: random(16),
          to: [{ user: peer, devices }],
          transient: true,
        }) === true
      );
    });
  }

  async function getMessages(input: {
    readonly conversationId: string;
    readonly before?: string;
    readonly limit: number;
  }): Promise<MessagePageView> {
    const page = await listMessagePage(records, input.conversationId, {
      limit: input.limit,
      ...(input.before === undefined ? {} : { before: input.before }),
    });
    return { messages: page.messages.map(toView), before: page.before };
  }

  /** Marks incoming messages up to `upTo` (a message key; default all) read; queues read receipts. */
  async function markRead(input: {
    readonly conversationId: string;
    readonly upTo?: string;
  }): Promise<number> {
    const changed = await queue.run(async () => {
      const batch = new Batch(records);
      const conversation = await readConversation(batch, input.conversationId);
      if (conversation === undefined) fail(ErrorCode.NOT_FOUND, 'No such conversation');
      const read = await markReadUpTo(batch, conversation, input.upTo);
      for (const m of read) {
        if (m.kind === 'text') stagePendingReceipt(batch, ReceiptKind.READ, m.author, m.id, now());
      }
      await batch.commit();
      return read;
    });
    for (const m of changed) events.emit('message-state', toView(m));
    events.emit('conversation', { conversationId: input.conversationId });
    if (changed.length > 0 && sessionContext() !== undefined) scheduleReceipts();
    return changed.length;
  }

  async function unreadTotal(): Promise<number> {
    let total = 0;
    for (const c of await listConversations(records)) total += c.unread;
    return total;
  }

  // -------------------------------------------------------------------------
  // Contacts

  async function contactView(contact: Contact): Promise<ContactView> {
    const own = requireAccount();
    const identity = contactIdentity(contact);
    return {
      userId: contact.user,
      handle: contact.handle ?? null,
      conversationId: directConversationId(contact.user),
      status: contact.status,
      verified: contact.verified,
      identityChange: contact.change === undefined ? null : { changedAt: contact.change.at },
      safetyNumber:
        identity === undefined
          ? null
          : await safetyNumberFor(
              { user: own.userId, identity: own.publicIdentity },
              { user: contact.user, identity },
            ),
    };
  }

  async function getContact(userId: string): Promise<ContactView> {
    const contact = await readContact(records, userId);
    if (contact === undefined) fail(ErrorCode.NOT_FOUND, 'No such contact');
    return contactView(contact);
  }

  async function updateContact(
    userId: string,
    change: (c: Contact) => Contact,
  ): Promise<ContactView> {
    const updated = await queue.run(async () => {
      const batch = new Batch(records);
      const contact = await readContact(batch, userId);
      if (contact === undefined) fail(ErrorCode.NOT_FOUND, 'No such contact');
      const next = change(contact);
      batch.apply(contactOp(next));
      await batch.commit();
      return next;
    });
    events.emit('contact', { userId });
    events.emit('conversation', { conversationId: directConversationId(userId) });
    return contactView(updated);
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
    ) => {
      const relayApi = makeApi(input.relayUrl);
      const created = await completeRegistration(
        { storage, now, random },
        relayApi,
        input,
        input.credential,
      );
      api = relayApi;
      return adopt(created);
    },
    register,
    joinAccount,
    /** A passkey login: a short-lived token for device management. */
    login: (authenticator: Authenticator): Promise<SessionResponse> =>
      loginWithPasskey(requireApi(), requireAccount().handle, authenticator),
    /** Identity private keys, for linking another device of this account. */
    exportIdentity: (): Promise<IdentityExport> => exportIdentity(records),
    maintainPrekeys: runMaintenance,

    lookupHandle,
    startConversation,
    listConversations: async (): Promise<ConversationView[]> =>
      Promise.all((await listConversations(records)).map(conversationView)),
    getConversation,
    getMessages,
    sendText,
    sendTyping,
    markRead,
    unreadTotal,

    getContact,
    setVerified: (userId: string, verified: boolean) =>
      updateContact(userId, (c) => ({ ...c, verified })),
    /** Accepts a changed identity key: sending is allowed again (the contact is no longer verified). */
    acknowledgeIdentityChange: (userId: string) => updateContact(userId, acknowledgeChange),
    /** Accepts a message request (issue 6 adds block and delete). */
    acceptRequest: (userId: string) =>
      updateContact(userId, (c) => ({ ...c, status: ContactStatus.ACCEPTED })),
    setReadReceipts: (enabled: boolean) => {
      readReceipts = enabled;
    },

    /** Replays a deliver frame the extension kept while locked (already acked to the relay). */
    ingestFrame: async (bytes: Uint8Array): Promise<void> => {
      await load();
      const frame = decodeServerFrame(bytes);
      if (frame.t !== 'deliver') return;
      await queue.run(() => handleDelivery(frame));
      if (receiptsPending) scheduleReceipts();
    },
    /** After unlock (and after draining the locked inbox): load the account, send the outbox. */
    onUnlocked: async (): Promise<void> => {
      await load();
      if (connection?.online === true) await afterReady();
    },
    /** On lock: drop decrypted caches; the socket stays up and routes deliveries to `locked.put`. */
    onLocked: (): void => {
      sessionCache.clear();
      sender.onDisconnect();
    },
  };
}

export type { Authenticator, ConnectionStatus, DeviceAddress, IdentityExport };
