/**
 * One WebSocket, from challenge to close: wires the frame loop (frame-loop.ts:
 * frames handled one after another, bounded), the handshake (handshake.ts),
 * the delivery window (delivery-window.ts: which rows go out, and when to
 * read) and the lifecycle (timeouts, back-pressure close, drain) to the
 * socket, the database and the hub's timers. Every handler runs inside a
 * try/catch: a bad frame costs the sender an error frame (and, past the
 * budget, the socket), never the process.
 */
import { type Bytes, copy } from '../../shared/bytes.ts';
import { ErrorCode, isParleyError, ParleyError } from '../../shared/errors.ts';
import { decodeClientFrame, FRAME_DECODE_ERRORS } from '../../shared/wire/codec.ts';
import type { AckFrame, AuthFrame, ClientFrame, SendFrame } from '../../shared/wire/frames.ts';
import { FRAME_MAX_BYTES, PREAUTH_FRAME_MAX_BYTES } from '../../shared/wire/limits.ts';
import type { QueueRow } from '../db/queue.ts';
import type { Attachment, DeviceAddress, FanoutSignal } from '../fanout/fanout.ts';
import { AuthFailure } from '../http/codes.ts';
import { safeErrorText } from '../observability/log.ts';
import type { AdmissionTicket } from './admission.ts';
import type { HubContext } from './context.ts';
import { DeliveryWindow } from './delivery-window.ts';
import { FrameLoop } from './frame-loop.ts';
import { Challenge, verifyHandshake } from './handshake.ts';
import { Lifecycle, TransientBudget } from './lifecycle.ts';
import { Replies, typeLabel } from './replies.ts';
import { encodeDeliver, encodePong, encodeStored } from './server-frames.ts';
import { CloseCode, type RelaySocket } from './socket.ts';

type State = 'challenged' | 'authenticating' | 'ready' | 'closed';

/** Socket and database bytes arrive as ArrayBuffer, Buffer or Uint8Array; frames want Bytes. */
function asBytes(value: unknown): Bytes {
  if (value instanceof Uint8Array)
    return value.buffer instanceof ArrayBuffer ? (value as Bytes) : copy(value);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return new Uint8Array(0);
}

const NO_LABELS = Object.freeze({});
const BEHIND = Object.freeze({ reason: 'behind' });
const OVER_BUDGET = Object.freeze({ reason: 'budget' });

/** Bytes of a message event's data (text counts its UTF-16 length: a lower bound, enough to refuse). */
function byteSize(data: unknown): number {
  if (typeof data === 'string') return data.length;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}

export class Connection {
  readonly id: string;
  readonly ip: string;
  readonly #ctx: HubContext;
  readonly #socket: RelaySocket;
  readonly #lifecycle: Lifecycle;
  readonly #replies: Replies;
  readonly #transients: TransientBudget;
  #state: State = 'challenged';
  readonly #challenge: Challenge;
  #errors = 0;
  #device: DeviceAddress | undefined;
  /** Rate-limit key of the authenticated device, built once. */
  #limiterKey = '';
  #attachment: Attachment | undefined;
  readonly #frames = new FrameLoop(async (bytes) => {
    try {
      await this.#handle(bytes);
    } catch (error) {
      this.#internal(error);
    }
  });
  /** The pre-auth slot (admission.ts), given back on authentication. */
  #ticket: AdmissionTicket | undefined;
  #draining = false;
  readonly #window = new DeliveryWindow();
  #rereadTimer: unknown;

  constructor(
    ctx: HubContext,
    socket: RelaySocket,
    id: string,
    ip: string,
    ticket?: AdmissionTicket,
  ) {
    this.#ctx = ctx;
    this.#ticket = ticket;
    this.#socket = socket;
    this.id = id;
    this.ip = ip;
    this.#replies = new Replies(socket, ctx.metrics, {
      isClosed: () => this.#state === 'closed',
      encodeFailed: (error) => this.#internal(error),
      sendFailed: () => this.closed(),
    });
    const openedAt = ctx.now();
    const { config } = ctx;
    this.#lifecycle = new Lifecycle(
      {
        authTimeoutMs: config.wsAuthTimeoutSeconds * 1000,
        idleTimeoutMs: config.wsIdleTimeoutSeconds * 1000,
        slowSocketMs: config.wsSlowSocketSeconds * 1000,
      },
      openedAt,
    );
    const { limit, windowSeconds } = config.rateLimits.transientPerRecipient;
    this.#transients = new TransientBudget(limit, windowSeconds * 1000);
    const nonce = ctx.random(32);
    this.#challenge = new Challenge(nonce);
    ctx.metrics.connections.add(1);
    this.#replies.frame({ t: 'challenge', nonce, serverTime: openedAt });
  }

  get device(): DeviceAddress | undefined {
    return this.#device;
  }

  get state(): State {
    return this.#state;
  }

  /** Entry point for every message event (binary or not). Never throws. */
  receive(data: unknown): void {
    if (this.#state === 'closed') return;
    this.#lifecycle.frameReceived(this.#ctx.now());
    if (this.#draining) {
      this.#replies.error(new ParleyError(ErrorCode.SHUTTING_DOWN, 'Relay is shutting down'));
      return;
    }
    // Checked on arrival, before the frame is queued: the runtime has already
    // buffered the message, but the relay keeps no reference to it.
    const size = byteSize(data);
    const maxBytes = this.#state === 'challenged' ? PREAUTH_FRAME_MAX_BYTES : FRAME_MAX_BYTES;
    if (size > maxBytes) {
      this.#tooLarge(size, maxBytes);
      return;
    }
    // A text frame is queued as a marker (its text is not kept).
    if (!this.#frames.push(typeof data === 'string' ? undefined : asBytes(data), size)) {
      this.#ctx.metrics.rejections.inc({ code: ErrorCode.RATE_LIMITED });
      this.close(CloseCode.POLICY, 'too many frames in flight');
    }
  }

  /**
   * An oversized frame. Before authentication the socket is closed at once
   * with 1009 (the first one is enough: nobody legitimate sends one, and each
   * costs the relay the whole message); afterwards it counts as a bad frame.
   */
  #tooLarge(size: number, maxBytes: number): void {
    this.#ctx.metrics.framesIn.inc(typeLabel('invalid'));
    const error = new ParleyError(ErrorCode.FRAME_TOO_LARGE, `Frame exceeds ${maxBytes} bytes`, {
      size,
      max: maxBytes,
    });
    if (this.#state === 'ready') {
      this.#abuse(error);
      return;
    }
    this.#replies.error(error);
    this.close(CloseCode.TOO_BIG, 'frame too large');
  }

  async #handle(bytes: Uint8Array | undefined): Promise<void> {
    if (this.#state === 'closed') return;
    let frame: ClientFrame;
    try {
      if (bytes === undefined) {
        throw new ParleyError(
          ErrorCode.FRAME_MALFORMED,
          'Cannot decode frame: text frames are not accepted',
          {
            reason: 'not binary',
          },
        );
      }
      const maxBytes = this.#state === 'ready' ? FRAME_MAX_BYTES : PREAUTH_FRAME_MAX_BYTES;
      frame = decodeClientFrame(bytes, { maxBytes });
    } catch (error) {
      this.#ctx.metrics.framesIn.inc(typeLabel('invalid'));
      this.#abuse(
        isParleyError(error) && FRAME_DECODE_ERRORS.includes(error.code)
          ? error
          : this.#wrap(error),
      );
      return;
    }
    this.#ctx.metrics.framesIn.inc(typeLabel(frame.t));
    if (this.#state !== 'ready') {
      if (frame.t === 'auth' && this.#state === 'challenged') return this.#auth(frame);
      this.#abuse(new ParleyError(ErrorCode.AUTH_REQUIRED, 'Authenticate first'));
      return;
    }
    if (frame.t === 'auth') {
      this.#abuse(
        new ParleyError(ErrorCode.FRAME_INVALID, 'Already authenticated', {
          frame: 'auth',
          path: '',
          reason: 'state',
        }),
      );
      return;
    }
    const device = this.#device as DeviceAddress;
    const pending = this.#ctx.frameLimiter.consume(this.#limiterKey);
    // In-memory limiters answer synchronously: no await (a microtask per frame) for them.
    const decision = pending instanceof Promise ? await pending : pending;
    if (!decision.allowed) {
      this.#replies.rateLimited(
        decision.retryAfterSeconds,
        frame.t === 'send' ? frame.id : undefined,
      );
      return;
    }
    switch (frame.t) {
      case 'send':
        return this.#onSend(device, frame);
      case 'ack':
        return this.#onAck(device, frame);
      case 'ping':
        this.#replies.raw(encodePong(frame.n), 'pong');
        return;
    }
  }

  async #auth(frame: AuthFrame): Promise<void> {
    this.#state = 'authenticating';
    const result = await verifyHandshake(this.#ctx.devices, this.#challenge.take(), frame);
    if (this.#state !== 'authenticating') return; // closed meanwhile
    if (!result.ok) {
      this.#ctx.audit.authFailure({
        kind: 'ws-auth',
        code: `${ErrorCode.AUTH_FAILED}:${result.reason}`,
        ip: this.ip,
        accountId: frame.user,
        deviceId: frame.device,
      });
      this.#replies.error(result.error);
      this.close(CloseCode.POLICY, 'authentication failed');
      return;
    }
    const device = result.device;
    this.#device = device;
    this.#limiterKey = `${device.accountId}/${device.deviceId}`;
    this.#state = 'ready';
    this.#ticket?.release();
    this.#ticket = undefined;
    this.#ctx.metrics.authenticated.add(1);
    this.#attachment = await this.#ctx.fanout.attach(device, this.id, (signal) =>
      this.#onSignal(signal),
    );
    if (this.#state !== 'ready') {
      await this.#attachment.detach();
      return;
    }
    const [queued, oneTimePreKeys, exists] = await Promise.all([
      this.#ctx.messages.countPending(device),
      this.#ctx.devices.prekeyCount(device.accountId, device.deviceId),
      this.#ctx.devices.touch(device.accountId, device.deviceId),
    ]);
    // Checked after attaching: a removal that committed before this point found no
    // holder to revoke, so the socket must notice it here instead.
    if (!exists) {
      this.close(CloseCode.REVOKED, 'device removed');
      return;
    }
    if (this.#state !== 'ready') return;
    this.#replies.frame({
      t: 'ready',
      user: device.accountId,
      device: device.deviceId,
      queued,
      oneTimePreKeys,
    });
    this.#window.markReady();
    this.#ctx.log.info('ws.authenticated', {
      conn: this.id,
      accountId: device.accountId,
      deviceId: device.deviceId,
      queued,
    });
    await this.#pump();
  }

  async #onSend(device: DeviceAddress, frame: SendFrame): Promise<void> {
    let copies = 0;
    for (const r of frame.to) copies += r.devices.length;
    const pending = this.#ctx.copyLimiter.consume(this.#limiterKey, copies);
    const decision = pending instanceof Promise ? await pending : pending;
    if (!decision.allowed) {
      this.#replies.rateLimited(decision.retryAfterSeconds, frame.id);
      return;
    }
    try {
      const outcome = await this.#ctx.messages.send(device, frame);
      if (outcome.kind === 'mismatch') {
        this.#ctx.metrics.rejections.inc({ code: ErrorCode.DEVICE_MISMATCH });
        this.#replies.frame({ t: 'mismatch', id: frame.id, users: outcome.users });
        return;
      }
      if (!outcome.transient) this.#ctx.metrics.stored.inc({}, outcome.copies);
      this.#replies.raw(encodeStored(frame.id, this.#ctx.now()), 'stored');
    } catch (error) {
      if (!isParleyError(error)) throw error;
      const retryAfterMs = error.details?.retryAfterMs; // byte and per-recipient quotas
      this.#replies.error(
        error,
        frame.id,
        typeof retryAfterMs === 'number' ? retryAfterMs : undefined,
      );
    }
  }

  async #onAck(device: DeviceAddress, frame: AckFrame): Promise<void> {
    const deleted = await this.#ctx.messages.acknowledge(device, frame.qids);
    const readAgain = this.#window.acked(frame.qids);
    this.#ctx.metrics.acks.inc(NO_LABELS, deleted);
    if (readAgain) await this.#pump();
  }

  #onSignal(signal: FanoutSignal): void {
    if (this.#state !== 'ready') return;
    switch (signal.type) {
      case 'queued':
        if (this.#window.queued(signal, this.#buffered()) === 'deliver' && signal.row) {
          this.#deliver(signal.row);
          return;
        }
        this.#schedulePump();
        return;
      case 'transient':
        if (this.#window.ready) this.#transient(signal.frame);
        return;
      case 'revoked':
        this.close(CloseCode.REVOKED, 'device removed');
        return;
      case 'replaced':
        if (signal.connectionId !== this.id)
          this.close(CloseCode.REPLACED, 'device connected elsewhere');
        return;
    }
  }

  /** Best effort: dropped when the socket is behind or past the per-recipient budget (lifecycle.ts). */
  #transient(frame: Uint8Array): void {
    const verdict = this.#transients.take(this.#ctx.now(), this.#buffered());
    if (verdict === 'send') this.#replies.raw(frame, 'deliver');
    else this.#ctx.metrics.transientDropped.inc(verdict === 'behind' ? BEHIND : OVER_BUDGET);
  }

  #buffered(): number {
    return this.#socket.bufferedAmount ?? 0;
  }

  /** The delivery window asked to read again after a pause (an announced row was missing). */
  #rereadAfter(delayMs: number): void {
    this.#rereadTimer = this.#ctx.timers.setTimeout(() => {
      this.#rereadTimer = undefined;
      this.#window.rereadDue();
      if (this.#state === 'ready') this.#schedulePump();
    }, delayMs);
  }

  #schedulePump(): void {
    this.#pump().catch((error: unknown) => this.#internal(error));
  }

  /** Sends queued rows after the cursor, oldest first, as the delivery window allows. */
  async #pump(): Promise<void> {
    if (!this.#window.startPump()) return;
    try {
      do {
        this.#window.startPass();
        await this.#pumpOnce();
      } while (this.#window.passAgain && this.#state === 'ready');
    } finally {
      this.#window.endPump();
    }
  }

  async #pumpOnce(): Promise<void> {
    const device = this.#device;
    if (device === undefined || !this.#window.ready) return;
    while (this.#state === 'ready') {
      const step = this.#window.nextRead(this.#buffered());
      if (step.kind !== 'read') return;
      // No commit can run between this read of the epoch and the (synchronous) query.
      const epoch = this.#ctx.messages.writerEpoch;
      const rows = await this.#ctx.messages.pending(device, step.after, step.limit);
      for (const row of rows) this.#deliver(row);
      const outcome = this.#window.readDone(rows.length, step.limit, epoch);
      if (outcome.kind === 'more') continue;
      if (outcome.rereadInMs !== undefined) this.#rereadAfter(outcome.rereadInMs);
      break;
    }
    if (this.#state === 'ready' && this.#window.takeDrained())
      this.#replies.frame({ t: 'drained' });
  }

  #deliver(row: QueueRow): void {
    if (this.#state !== 'ready' || !this.#window.take(row.seq)) return;
    let bytes: Uint8Array;
    try {
      bytes = encodeDeliver({
        qid: row.seq,
        id: row.clientMessageId,
        from: row.senderAccount,
        fromDevice: row.senderDevice,
        body: row.ciphertext,
        sentAt: row.createdAt,
        ...(row.senderExpiresAt === null ? {} : { expiresAt: row.senderExpiresAt }),
      });
    } catch (error) {
      this.#window.untake(row.seq);
      this.#internal(error);
      return;
    }
    this.#replies.raw(bytes, 'deliver');
    this.#ctx.metrics.deliveries.inc();
    this.#ctx.metrics.deliveryLatency.observe(Math.max(0, this.#ctx.now() - row.createdAt) / 1000);
  }

  /** Called about once a second by the hub: timeouts and resuming a paused pump. */
  tick(now: number): void {
    if (this.#state === 'closed') return;
    switch (this.#lifecycle.tick(now, this.#state === 'ready', this.#buffered())) {
      case 'auth-timeout':
        this.#ctx.audit.authFailure({
          kind: 'ws-auth',
          code: `${ErrorCode.AUTH_FAILED}:${AuthFailure.TIMEOUT}`,
          ip: this.ip,
        });
        this.close(CloseCode.TIMEOUT, 'authentication timeout');
        return;
      case 'idle':
        this.close(CloseCode.TIMEOUT, 'idle');
        return;
      case 'too-slow':
        this.#ctx.log.warn('ws.closed_slow', { conn: this.id, ip: this.ip });
        this.close(CloseCode.TOO_SLOW, 'not reading');
        return;
      case 'keep':
        break;
    }
    if (this.#state === 'ready' && this.#window.needsResume) this.#schedulePump();
  }

  /** Graceful shutdown: refuse new frames, let the ones being handled finish, then close 1001. */
  async drain(graceMs: number): Promise<void> {
    this.#draining = true;
    let timer: unknown;
    await Promise.race([
      this.#frames.settled,
      new Promise<void>((resolve) => {
        timer = this.#ctx.timers.setTimeout(resolve, graceMs);
      }),
    ]);
    if (timer !== undefined) this.#ctx.timers.clearTimeout(timer);
    this.close(CloseCode.GOING_AWAY, 'relay shutting down');
  }

  /** Closes the socket (if still open) and releases everything. Idempotent. */
  close(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    try {
      this.#socket.close(code, reason);
    } catch {
      // Already closing on the transport side.
    }
    this.closed();
  }

  /** The transport reported the socket closed. Idempotent. */
  closed(): void {
    if (this.#state === 'closed') return;
    const wasReady = this.#state === 'ready';
    this.#state = 'closed';
    if (this.#rereadTimer !== undefined) this.#ctx.timers.clearTimeout(this.#rereadTimer);
    this.#ctx.metrics.connections.add(-1);
    if (wasReady) this.#ctx.metrics.authenticated.add(-1);
    const attachment = this.#attachment;
    this.#attachment = undefined;
    if (attachment !== undefined)
      attachment.detach().catch((error: unknown) => this.#internal(error));
    this.#ctx.forget(this);
  }

  /** A protocol violation: answered, counted, and past the budget the socket is closed with 1008. */
  #abuse(error: ParleyError): void {
    this.#replies.error(error);
    if (++this.#errors >= this.#ctx.config.wsErrorBudget) {
      this.#ctx.log.warn('ws.closed_for_abuse', {
        conn: this.id,
        ip: this.ip,
        errors: this.#errors,
      });
      this.close(CloseCode.POLICY, 'too many invalid frames');
    }
  }

  #wrap(error: unknown): ParleyError {
    return isParleyError(error)
      ? error
      : new ParleyError(ErrorCode.FRAME_MALFORMED, 'Cannot decode frame');
  }

  /** A relay-side failure: logged (without frame contents), answered INTERNAL, socket kept. */
  #internal(error: unknown): void {
    this.#ctx.log.error('ws.handler_failed', {
      conn: this.id,
      error: error instanceof Error ? error.name : 'unknown',
      detail: safeErrorText(error),
    });
    if (this.#state !== 'closed')
      this.#replies.error(new ParleyError(ErrorCode.INTERNAL, 'Internal error'));
  }
}
