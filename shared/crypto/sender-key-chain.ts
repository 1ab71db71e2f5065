/**
 * Sender Key chains: our own sending chain per distribution id, and what we
 * know of each remote sender's chains (the record). Creating and rotating a
 * sending chain, taking in a distribution message, and finding the message
 * key for an iteration of a receiving chain (with the skipped keys that
 * leaves behind). Values in, values out: nothing is mutated, so a caller that
 * fails halfway keeps its old record.
 */
import { type Bytes, equalBytes } from '../bytes.ts';
import { ErrorCode, fail } from '../errors.ts';
import { generateSigningKeyPair, type SigningKeyPair } from './ed25519.ts';
import { kdfChain } from './kdf.ts';
import { MAX_RECEIVER_CHAINS, MAX_SKIP } from './limits.ts';
import type { Random } from './random.ts';
import {
  CHAIN_KEY_BYTES,
  checkDistributionId,
  decodeDistributionMessage,
  encodeDistributionMessage,
} from './sender-key-message.ts';
import { isExpired, SkippedKeyStore, type StoredMessageKey } from './skipped-keys.ts';

export interface SenderKeyDeps {
  readonly random: Random;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
}

/** Our own sending chain for one distribution id. Holds a private key: store it encrypted. */
export interface SenderKeyState {
  readonly distributionId: Bytes;
  readonly chainId: number;
  /** Iteration of the next message we send. */
  readonly iteration: number;
  readonly chainKey: Bytes;
  readonly signingKey: SigningKeyPair;
}

/** A skipped key of a Sender Key chain. */
export interface SkippedMessageKey extends StoredMessageKey {
  readonly iteration: number;
}

/** The skipped keys of one Sender Key chain (same store and rules as pairwise sessions). */
export type SkippedMessageKeys = SkippedKeyStore<SkippedMessageKey>;
export const NO_SKIPPED_KEYS = SkippedKeyStore.empty<SkippedMessageKey>((k) => String(k.iteration));

/** One sending chain of a remote sender, as we know it. */
export interface ReceiverChain {
  readonly chainId: number;
  /** Iteration of the next message we expect; `chainKey` belongs to it. */
  readonly iteration: number;
  readonly chainKey: Bytes;
  readonly signingPublicKey: Bytes;
  /** Keys of messages not yet received, oldest first. */
  readonly skipped: SkippedMessageKeys;
}

/** Everything we know about one (distribution id, sender device): newest chain first. */
export interface SenderKeyRecord {
  readonly distributionId: Bytes;
  readonly chains: readonly ReceiverChain[];
}

// ---------------------------------------------------------------- sending chain

function randomChainId(random: Random, avoid?: number): number {
  for (;;) {
    const b = random(4);
    const id = new DataView(b.buffer, b.byteOffset, 4).getUint32(0);
    if (id !== avoid) return id;
  }
}

/** A fresh sending chain and signing key for `distributionId`, starting at iteration 0. */
export async function createSenderKey(
  deps: Pick<SenderKeyDeps, 'random'>,
  distributionId: Uint8Array,
): Promise<SenderKeyState> {
  checkDistributionId(distributionId);
  return freshState(deps.random, distributionId.slice(), undefined);
}

/**
 * Replaces our chain and signing key (after a member leaves, or periodically):
 * new chain id, new chain key, new signing key. Send the new distribution
 * message to the remaining members; they keep the old chain for late messages.
 */
export function rotateSenderKey(
  deps: Pick<SenderKeyDeps, 'random'>,
  state: SenderKeyState,
): Promise<SenderKeyState> {
  return freshState(deps.random, state.distributionId, state.chainId);
}

async function freshState(
  random: Random,
  distributionId: Bytes,
  previousChainId: number | undefined,
): Promise<SenderKeyState> {
  const chainKey = random(CHAIN_KEY_BYTES);
  if (chainKey.length !== CHAIN_KEY_BYTES)
    throw new RangeError('Sender key: random source returned too few bytes');
  return {
    distributionId,
    chainId: randomChainId(random, previousChainId),
    iteration: 0,
    chainKey,
    signingKey: await generateSigningKeyPair(true),
  };
}

/** What the group layer sends to each member over the pairwise sessions. */
export function createDistributionMessage(state: SenderKeyState): Bytes {
  return encodeDistributionMessage({
    distributionId: state.distributionId,
    chainId: state.chainId,
    iteration: state.iteration,
    chainKey: state.chainKey,
    signingPublicKey: state.signingKey.publicKey,
  });
}

// ---------------------------------------------------------------- receiving chains

/**
 * Adds the chain announced by a distribution message. A repeated message for
 * a chain we already have keeps our state (a replayed distribution must not
 * rewind the chain and re-open old messages); the same chain id with another
 * signing key replaces it. At most MAX_RECEIVER_CHAINS chains are kept.
 */
export function processDistributionMessage(
  record: SenderKeyRecord | undefined,
  distribution: Uint8Array,
): SenderKeyRecord {
  const message = decodeDistributionMessage(distribution);
  if (record !== undefined && !equalBytes(record.distributionId, message.distributionId)) {
    fail(
      ErrorCode.BAD_ARGUMENT,
      'Sender key: distribution message belongs to another distribution id',
    );
  }
  const existing = record?.chains.find(
    (c) =>
      c.chainId === message.chainId && equalBytes(c.signingPublicKey, message.signingPublicKey),
  );
  const chain: ReceiverChain = existing ?? {
    chainId: message.chainId,
    iteration: message.iteration,
    chainKey: message.chainKey,
    signingPublicKey: message.signingPublicKey,
    skipped: NO_SKIPPED_KEYS,
  };
  const others = (record?.chains ?? []).filter((c) => c.chainId !== message.chainId);
  return {
    distributionId: message.distributionId,
    chains: [chain, ...others].slice(0, MAX_RECEIVER_CHAINS),
  };
}

export interface KeySearch {
  readonly messageKey: Bytes;
  /** The chain as it is once this message key has been used. */
  readonly chain: ReceiverChain;
}

/** Finds or derives the message key for `iteration`, returning the chain as it would be afterwards. */
export function messageKeyFor(chain: ReceiverChain, iteration: number, now: number): KeySearch {
  if (iteration < chain.iteration) {
    const found = chain.skipped.get({ iteration });
    if (found === undefined) {
      fail(
        ErrorCode.DUPLICATE_MESSAGE,
        'Group message already received (or its key was discarded)',
        {
          iteration,
        },
      );
    }
    if (isExpired(found, now)) {
      fail(ErrorCode.MESSAGE_KEY_EXPIRED, 'Group message arrived after its skipped key expired', {
        iteration,
      });
    }
    return {
      messageKey: found.messageKey,
      chain: { ...chain, skipped: chain.skipped.without({ iteration }) },
    };
  }
  const gap = iteration - chain.iteration;
  if (gap > MAX_SKIP) {
    fail(ErrorCode.TOO_MANY_SKIPPED, `Group message skips too many keys (${gap} > ${MAX_SKIP})`, {
      gap,
      max: MAX_SKIP,
    });
  }
  const fresh: SkippedMessageKey[] = [];
  let chainKey: Bytes = chain.chainKey;
  for (let i = chain.iteration; i < iteration; i++) {
    const step = kdfChain(chainKey);
    fresh.push({ iteration: i, messageKey: step.messageKey, storedAt: now });
    chainKey = step.chainKey;
  }
  const step = kdfChain(chainKey);
  return {
    messageKey: step.messageKey,
    chain: {
      ...chain,
      iteration: iteration + 1,
      chainKey: step.chainKey,
      skipped: chain.skipped.withoutExpired(now).withAdded(fresh),
    },
  };
}
