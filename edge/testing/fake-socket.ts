/**
 * An in-memory socket for hub tests: records what the relay sends (decoded
 * with the shared codec) and how it closed, and feeds frames in.
 */
import { encodeCbor } from '../../shared/wire/cbor.ts';
import { decodeServerFrame, encodeClientFrame } from '../../shared/wire/codec.ts';
import type {
  ClientFrame,
  ServerFrame,
  ServerFrameOf,
  ServerFrameType,
} from '../../shared/wire/frames.ts';
import type { Relay } from '../relay.ts';
import type { Connection } from '../ws/connection.ts';
import type { RelaySocket } from '../ws/socket.ts';
import { authFrameFor, type TestDevice, unlockFrameFor } from './client.ts';
import { framesOf, waitForFrames } from './received-frames.ts';

export class FakeSocket implements RelaySocket {
  readonly received: ServerFrame[] = [];
  closedWith: { code: number; reason: string } | undefined;
  connection: Connection | undefined;
  bufferedAmount = 0;

  send(data: Uint8Array): void {
    this.received.push(decodeServerFrame(data));
  }

  close(code: number, reason: string): void {
    this.closedWith ??= { code, reason };
  }

  /** Raw bytes (or text) into the relay, as the transport would deliver them. */
  push(data: unknown): void {
    this.connection?.receive(data);
  }

  sendFrame(frame: ClientFrame): void {
    this.push(encodeClientFrame(frame));
  }

  sendRaw(value: Record<string, unknown>): void {
    this.push(encodeCbor(value));
  }

  of<T extends ServerFrameType>(type: T): ServerFrameOf<T>[] {
    return framesOf(this.received, type);
  }

  /** Waits until `count` frames of `type` have arrived (or the socket closed). */
  waitFor<T extends ServerFrameType>(
    type: T,
    count = 1,
    timeoutMs = 3000,
  ): Promise<ServerFrameOf<T>[]> {
    return waitForFrames(this.received, type, count, () => this.closedWith, timeoutMs, 2);
  }

  async waitClosed(timeoutMs = 3000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (this.closedWith === undefined) {
      if (Date.now() > deadline) throw new Error('socket did not close');
      await new Promise((r) => setTimeout(r, 2));
    }
    return this.closedWith;
  }
}

/** Opens a fake socket to the hub (challenge received, not authenticated). */
export function openSocket(relay: Relay, ip = '203.0.113.9'): FakeSocket {
  const socket = new FakeSocket();
  socket.connection = relay.hub.accept(socket, ip);
  return socket;
}

/**
 * Opens and authenticates `device`, unlocked (the identity key's proof right
 * behind `auth`) unless `unlock` is false; resolves after `ready`.
 */
export async function connectDevice(
  relay: Relay,
  device: TestDevice,
  options: { readonly unlock?: boolean } = {},
): Promise<FakeSocket> {
  const socket = openSocket(relay);
  const challenge = socket.of('challenge')[0];
  if (challenge === undefined) throw new Error('no challenge');
  socket.sendFrame(await authFrameFor(device, challenge.nonce));
  if (options.unlock !== false) socket.sendFrame(await unlockFrameFor(device, challenge.nonce));
  await socket.waitFor('ready');
  return socket;
}
