/**
 * Whether the relay socket may send, and the proof that makes it so: the
 * device key alone buys a receive-only socket; the identity key's signature
 * over the socket's own challenge (`unlock`, docs/wire.md "Rights") lets it
 * send. The identity key exists only while the vault is open, so a locked
 * client has no proof to give. One instance per connection, reset per socket.
 */
import { createUnlockFrame } from '../../wire/device-auth.ts';
import type { UnlockFrame } from '../../wire/frames.ts';

/** What a socket's proof is bound to: its challenge nonce and the device it authenticated. */
export interface SocketChallenge {
  readonly nonce: Uint8Array;
  readonly user: string;
  readonly device: number;
}

export class SocketUnlock {
  readonly #key: () => CryptoKey | undefined;
  #challenge: SocketChallenge | undefined;
  #proven = false;

  /** `key`: the identity signing key while the vault is open, undefined while locked. */
  constructor(key: () => CryptoKey | undefined = () => undefined) {
    this.#key = key;
  }

  /** A new socket: nothing challenged, nothing proven. */
  reset(): void {
    this.#challenge = undefined;
    this.#proven = false;
  }

  /** The proof went out on the current socket: `send` frames may follow it. */
  get proven(): boolean {
    return this.#proven;
  }

  /** The current socket was challenged and `auth` answers it. */
  challenged(challenge: SocketChallenge): void {
    this.#challenge = challenge;
  }

  /**
   * The `unlock` frame for `challenge` (by default the current socket's), or
   * undefined while locked, before a challenge, or if signing fails (the
   * socket then stays receive-only and sends wait).
   */
  async proof(challenge = this.#challenge): Promise<UnlockFrame | undefined> {
    const key = this.#key();
    if (key === undefined || challenge === undefined) return undefined;
    try {
      return await createUnlockFrame(key, challenge.nonce, challenge.user, challenge.device);
    } catch {
      return undefined;
    }
  }

  markSent(): void {
    this.#proven = true;
  }
}
