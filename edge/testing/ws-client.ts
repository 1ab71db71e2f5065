/**
 * A WebSocket client for integration tests against a real relay process
 * (the `ws` package under Node): decodes every server frame with the shared
 * codec, answers the challenge with a real device-key signature (followed by
 * the identity key's unlock proof unless the test wants a receive-only
 * socket), and lets a test wait for frames or for the close.
 */
import WebSocket from 'ws';
import type { Bytes } from '../../shared/bytes.ts';
import { decodeServerFrame, encodeClientFrame } from '../../shared/wire/codec.ts';
import type {
  ClientFrame,
  ServerFrame,
  ServerFrameOf,
  ServerFrameType,
} from '../../shared/wire/frames.ts';
import { authFrameFor, type TestDevice, unlockFrameFor } from './client.ts';
import { framesOf, waitForFrames } from './received-frames.ts';

export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

export class WsTestClient {
  readonly received: ServerFrame[] = [];
  readonly closed: Promise<CloseInfo>;
  #closeInfo: CloseInfo | undefined;
  readonly #socket: WebSocket;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.binaryType = 'nodebuffer';
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      this.received.push(
        decodeServerFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)),
      );
    });
    this.closed = new Promise((resolveClose) => {
      socket.on('close', (code, reason) => {
        this.#closeInfo = { code, reason: reason.toString('utf8') };
        resolveClose(this.#closeInfo);
      });
    });
    socket.on('error', () => {
      // Surfaced through `closed`.
    });
  }

  /** Opens a socket and waits for the relay's challenge. */
  static async open(url: string): Promise<WsTestClient> {
    const socket = new WebSocket(url);
    const client = new WsTestClient(socket);
    await new Promise<void>((resolveOpen, reject) => {
      socket.once('open', () => resolveOpen());
      socket.once('error', reject);
    });
    await client.waitFor('challenge');
    return client;
  }

  /**
   * Opens and authenticates `device` (unlocked, so it may send, unless
   * `unlock` is false: a locked client's receive-only socket); resolves
   * after `ready`.
   */
  static async connect(
    url: string,
    device: TestDevice,
    options: { readonly unlock?: boolean } = {},
  ): Promise<WsTestClient> {
    const client = await WsTestClient.open(url);
    await client.authenticate(device, options);
    await client.waitFor('ready');
    return client;
  }

  get nonce(): Bytes {
    const challenge = this.of('challenge')[0];
    if (challenge === undefined) throw new Error('no challenge yet');
    return challenge.nonce;
  }

  /** `auth`, and right behind it (unless `unlock` is false) the identity key's `unlock`. */
  async authenticate(
    device: TestDevice,
    options: { readonly unlock?: boolean } = {},
  ): Promise<void> {
    const auth = await authFrameFor(device, this.nonce);
    const unlock = options.unlock === false ? undefined : await unlockFrameFor(device, this.nonce);
    this.send(auth);
    if (unlock !== undefined) this.send(unlock);
  }

  send(frame: ClientFrame): void {
    this.#socket.send(encodeClientFrame(frame));
  }

  sendBytes(bytes: Uint8Array): void {
    this.#socket.send(bytes);
  }

  sendText(text: string): void {
    this.#socket.send(text);
  }

  of<T extends ServerFrameType>(type: T): ServerFrameOf<T>[] {
    return framesOf(this.received, type);
  }

  waitFor<T extends ServerFrameType>(
    type: T,
    count = 1,
    timeoutMs = 10_000,
  ): Promise<ServerFrameOf<T>[]> {
    return waitForFrames(this.received, type, count, () => this.#closeInfo, timeoutMs, 5);
  }

  async waitClosed(timeoutMs = 10_000): Promise<CloseInfo> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const result = await Promise.race([
      this.closed,
      new Promise<CloseInfo>((_, reject) => {
        timer = setTimeout(() => reject(new Error('socket did not close')), timeoutMs);
      }),
    ]);
    if (timer !== undefined) clearTimeout(timer);
    return result;
  }

  close(): void {
    this.#socket.close(1000, 'bye');
  }

  /** 'open' until the socket starts closing. */
  get state(): 'open' | 'closing' {
    return this.#socket.readyState === WebSocket.OPEN ? 'open' : 'closing';
  }

  /** Stops reading from the TCP connection (a client that fell behind): the relay's writes pile up. */
  pauseReading(): void {
    this.#socket.pause();
  }

  /** Drops the TCP connection without a close handshake (a crashed client). */
  terminate(): void {
    this.#socket.terminate();
  }
}
