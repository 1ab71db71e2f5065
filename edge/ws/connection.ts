/**
 * One WebSocket, from challenge to close: wires the frame loop (frame-loop.ts:
 * frames handled one after another, bounded), the handshake and session
 * bring-up (handshake.ts), the frame handlers (frame-handlers.ts), the
 * delivery pump (delivery-pump.ts, around the pure delivery window) and the
 * lifecycle (timeouts, back-pressure close, drain) to the socket, the
 * database and the hub's injected clock and timers. Every handler runs inside
 * a try/catch: a bad frame costs the sender an error frame (and, past the
 * budget, the socket), never the process.
 */
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import type { AuthFrame } from '../../shared/wire/frames.ts';
import { FRAME_MAX_BYTES, PREAUTH_FRAME_MAX_BYTES } from '../../shared/wire/limits.ts';
import type { Attachment, DeviceAddress, FanoutSignal } from '../fanout/fanout.ts';
import { AuthFailure } from '../http/codes.ts';
import { safeErrorText } from '../observability/log.ts';
import type { AdmissionTicket } from './admission.ts';
import type { HubContext } from './context.ts';
import { decodeQueued, FrameLoop } from './frame-loop.ts';
import { Challenge, openSession, verifyHandshake } from './handshake.ts';
import { CLOSE_FOR, Lifecycle, lifecycleLimits } from './lifecycle.ts';
import { Replies, typeLabel } from './replies.ts';
import { DeviceSession } from './session.ts';
import { CloseCode, type RelaySocket } from './socket.ts';

type State = 'challenged' | 'authenticating' | 'ready' | 'closed';

export class Connection {
  readonly id: string;
  readonly ip: string;
  readonly #ctx: HubContext;
  readonly #socket: RelaySocket;
  readonly #lifecycle: Lifecycle;
  readonly #replies: Replies;
  readonly #challenge: Challenge;
  #state: State = 'challenged';
  #errors = 0;
  #session: DeviceSession | undefined;
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
    this.#lifecycle = new Lifecycle(lifecycleLimits(ctx.config), openedAt);
    const nonce = ctx.random(32);
    this.#challenge = new Challenge(nonce);
    ctx.metrics.connections.add(1);
    this.#replies.frame({ t: 'challenge', nonce, serverTime: openedAt });
  }

  get device(): DeviceAddress | undefined {
    return this.#session?.device;
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
    const maxBytes = this.#state === 'challenged' ? PREAUTH_FRAME_MAX_BYTES : FRAME_MAX_BYTES;
    const arrival = this.#frames.offer(data, maxBytes);
    if (arrival.kind === 'too-large') {
      this.#tooLarge(arrival.error);
    } else if (arrival.kind === 'flood') {
      this.#ctx.metrics.rejections.inc({ code: ErrorCode.RATE_LIMITED });
      this.close(CloseCode.POLICY, 'too many frames in flight');
    }
  }

  /**
   * An oversized frame. Before authentication the socket is closed at once
   * with 1009 (the first one is enough: nobody legitimate sends one, and each
   * costs the relay the whole message); afterwards it counts as a bad frame.
   */
  #tooLarge(error: ParleyError): void {
    this.#ctx.metrics.framesIn.inc(typeLabel('invalid'));
    if (this.#state === 'ready') {
      this.#abuse(error);
      return;
    }
    this.#replies.error(error);
    this.close(CloseCode.TOO_BIG, 'frame too large');
  }

  async #handle(bytes: Uint8Array | undefined): Promise<void> {
    if (this.#state === 'closed') return;
    const decoded = decodeQueued(
      bytes,
      this.#state === 'ready' ? FRAME_MAX_BYTES : PREAUTH_FRAME_MAX_BYTES,
    );
    if ('error' in decoded) {
      this.#ctx.metrics.framesIn.inc(typeLabel('invalid'));
      this.#abuse(decoded.error);
      return;
    }
    const frame = decoded.frame;
    this.#ctx.metrics.framesIn.inc(typeLabel(frame.t));
    const session = this.#session;
    if (this.#state !== 'ready' || session === undefined) {
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
    return session.handle(frame);
  }

  async #auth(frame: AuthFrame): Promise<void> {
    this.#state = 'authenticating';
    const ctx = this.#ctx;
    const result = await verifyHandshake(ctx.devices, this.#challenge, frame);
    if (this.#state !== 'authenticating') return; // closed meanwhile
    if (!result.ok) {
      ctx.audit.authFailure({
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
    const who = { device, ip: this.ip, challenge: this.#challenge };
    const session = new DeviceSession(ctx, who, this.#replies, {
      isOpen: () => this.#state === 'ready',
      buffered: () => this.#buffered(),
      failed: (error) => this.#internal(error),
      refused: (error) => this.#abuse(error),
    });
    this.#session = session;
    this.#state = 'ready';
    this.#ticket?.release();
    this.#ticket = undefined;
    ctx.metrics.authenticated.add(1);
    const isReady = () => this.#state === 'ready';
    const opened = await openSession(ctx, device, this.id, (s) => this.#onSignal(s), isReady);
    if (opened === undefined) return;
    if (!isReady()) {
      // Closed during the counts: closed() found no attachment to release.
      await opened.attachment.detach();
      return;
    }
    this.#attachment = opened.attachment;
    if (!opened.exists) {
      this.close(CloseCode.REVOKED, 'device removed');
      return;
    }
    const { queued, oneTimePreKeys, oneTimeKemPreKeys } = opened;
    this.#replies.frame({
      t: 'ready',
      user: device.accountId,
      device: device.deviceId,
      queued,
      oneTimePreKeys,
      oneTimeKemPreKeys,
    });
    ctx.log.info('ws.authenticated', {
      conn: this.id,
      accountId: device.accountId,
      deviceId: device.deviceId,
      queued,
    });
    await session.pump.start();
  }

  #onSignal(signal: FanoutSignal): void {
    if (this.#state !== 'ready') return;
    switch (signal.type) {
      case 'queued':
      case 'transient':
        this.#session?.signal(signal);
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

  #buffered(): number {
    return this.#socket.bufferedAmount ?? 0;
  }

  /** Called about once a second by the hub: timeouts and resuming a paused pump. */
  tick(now: number): void {
    if (this.#state === 'closed') return;
    const verdict = this.#lifecycle.tick(now, this.#state === 'ready', this.#buffered());
    if (verdict === 'keep') {
      if (this.#state === 'ready') this.#session?.pump.resumeIfPaused();
      return;
    }
    if (verdict === 'auth-timeout') {
      const code = `${ErrorCode.AUTH_FAILED}:${AuthFailure.TIMEOUT}`;
      this.#ctx.audit.authFailure({ kind: 'ws-auth', code, ip: this.ip });
    }
    if (verdict === 'too-slow')
      this.#ctx.log.warn('ws.closed_slow', { conn: this.id, ip: this.ip });
    const { code, reason } = CLOSE_FOR[verdict];
    this.close(code, reason);
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
    this.#session?.pump.stop();
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
