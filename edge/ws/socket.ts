/**
 * What the hub needs from a WebSocket: send binary, close, and how much is
 * still buffered (for back-pressure). main.ts adapts Deno's WebSocket to it;
 * unit tests use a fake.
 */
export interface RelaySocket {
  send(data: Uint8Array): void;
  close(code: number, reason: string): void;
  /** Bytes queued but not yet sent; undefined when the runtime does not say. */
  readonly bufferedAmount?: number;
}

/** Close codes the relay uses (RFC 6455 §7.4 plus the private 4000-4999 range). */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  POLICY: 1008,
  TOO_BIG: 1009,
  INTERNAL: 1011,
  /** No frame (not even a ping) within the idle timeout, or no auth within the auth timeout. */
  TIMEOUT: 4000,
  /** The device was removed from its account. */
  REVOKED: 4001,
  /** The same device authenticated on a newer socket. */
  REPLACED: 4002,
  /** The socket's send buffer stayed over the back-pressure mark too long (it stopped reading). */
  TOO_SLOW: 4003,
} as const;
