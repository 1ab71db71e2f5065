/**
 * What the crypto suite needs from each implementation. Both peers are driven
 * by the same loops (measure.ts), so they do identical work: same message
 * size, same number of operations, bytes in and bytes out of every call.
 */

/** Two parties with an established session: A initiated, B has replied once. */
export interface SessionPair {
  aEncrypt(plaintext: Uint8Array): Promise<Uint8Array>;
  bDecrypt(ciphertext: Uint8Array): Promise<Uint8Array>;
  bEncrypt(plaintext: Uint8Array): Promise<Uint8Array>;
  aDecrypt(ciphertext: Uint8Array): Promise<Uint8Array>;
}

export interface CryptoPeer {
  readonly name: string;
  createPair(): Promise<SessionPair>;
  /**
   * Prepares `count` session setups: identities and the responder's prekeys
   * (signed, one-time, KEM) are generated here, untimed, as they would be at
   * registration. Each call of the returned function performs one setup: the
   * initiator processes the bundle and encrypts a first message, the
   * responder processes and decrypts it.
   */
  prepareSetups(count: number, plaintext: Uint8Array): Promise<() => Promise<void>>;
  /** One safety number (60 digits) for two fixed identities and user ids. */
  prepareSafetyNumber(): Promise<() => Promise<string>>;
}
