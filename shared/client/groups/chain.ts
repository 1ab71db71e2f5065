/**
 * Which signed group state is current, as each member decides it (pure).
 *
 * A member holds the current state (the head) and its parent. An incoming
 * state is accepted when it
 *   - extends the head: version head + 1, names the head's hash, and the
 *     transition is allowed (state.ts validateTransition); or
 *   - competes with the head: a sibling (same parent, same version) that wins
 *     the fork choice (the author with the higher role, then the lower hash).
 *     Two admins who change the group at the same moment thus end on the
 *     same state everywhere, whatever order the relay delivered them in.
 * Anything older is stale and rejected, a state seen before is a replay and
 * rejected, and one whose parent has not arrived yet is kept aside (a few)
 * and retried after each accepted state.
 *
 * Someone who builds on a state that later loses a fork is left on the
 * losing side (their next change is stale for the others); docs/protocol.md
 * lists this limitation.
 */
import { equalBytes, toHex } from '../../bytes.ts';
import { ErrorCode, isParleyError, ParleyError } from '../../errors.ts';
import {
  beats,
  type GroupChange,
  type SignedGroupState,
  type TransitionCheck,
  validateTransition,
} from './state.ts';

/** Hashes remembered to recognise replays. */
export const SEEN_STATES_MAX = 64;
/** States kept while their parent is missing. */
export const ORPHANS_MAX = 16;

export interface GroupChain {
  readonly head: SignedGroupState;
  readonly parent?: SignedGroupState;
  /** Hex hashes of states accepted or rejected as stale, oldest first. */
  readonly seen: readonly string[];
  readonly orphans: readonly SignedGroupState[];
}

export interface AppliedState {
  readonly state: SignedGroupState;
  readonly parent: SignedGroupState;
  readonly change: GroupChange;
}

export type ChainOutcome =
  | {
      readonly kind: 'accepted';
      readonly chain: GroupChain;
      /** States that became the head, in order, with their change against their parent. */
      readonly applied: readonly AppliedState[];
      /** Heads replaced by a winning sibling (their changes no longer hold). */
      readonly superseded: readonly SignedGroupState[];
    }
  | { readonly kind: 'pending'; readonly chain: GroupChain }
  | { readonly kind: 'rejected'; readonly chain: GroupChain; readonly error: ParleyError };

export function startChain(root: SignedGroupState): GroupChain {
  return { head: root, seen: [toHex(root.hash)], orphans: [] };
}

function remember(seen: readonly string[], hash: Uint8Array): string[] {
  const next = [...seen, toHex(hash)];
  return next.length > SEEN_STATES_MAX ? next.slice(next.length - SEEN_STATES_MAX) : next;
}

function stale(): ParleyError {
  return new ParleyError(ErrorCode.GROUP_STALE, 'Group state is older than the current one');
}

type Step =
  | {
      readonly kind: 'accepted';
      readonly chain: GroupChain;
      readonly applied: AppliedState;
      readonly superseded?: SignedGroupState;
    }
  | { readonly kind: 'pending' }
  | { readonly kind: 'rejected'; readonly chain: GroupChain; readonly error: ParleyError };

async function step(
  chain: GroupChain,
  incoming: SignedGroupState,
  check: TransitionCheck,
): Promise<Step> {
  const { head, parent } = chain;
  const s = incoming.state;
  if (equalBytes(s.previous, head.hash)) {
    const change = await validateTransition(head, incoming, check);
    return {
      kind: 'accepted',
      chain: { ...chain, head: incoming, parent: head, seen: remember(chain.seen, incoming.hash) },
      applied: { state: incoming, parent: head, change },
    };
  }
  if (
    parent !== undefined &&
    s.version === head.state.version &&
    equalBytes(s.previous, parent.hash)
  ) {
    const change = await validateTransition(parent, incoming, check);
    if (!beats(incoming, head, parent.state)) {
      return {
        kind: 'rejected',
        chain: { ...chain, seen: remember(chain.seen, incoming.hash) },
        error: stale(),
      };
    }
    return {
      kind: 'accepted',
      chain: { ...chain, head: incoming, seen: remember(chain.seen, incoming.hash) },
      applied: { state: incoming, parent, change },
      superseded: head,
    };
  }
  if (s.version <= head.state.version) {
    return {
      kind: 'rejected',
      chain: { ...chain, seen: remember(chain.seen, incoming.hash) },
      error: stale(),
    };
  }
  return { kind: 'pending' };
}

/**
 * Offers one signed state to the chain. Validation failures (wrong author,
 * forbidden change, bad signature, malformed) reject it without remembering
 * it; nothing about the chain changes then.
 */
export async function addToChain(
  chain: GroupChain,
  incoming: SignedGroupState,
  check: TransitionCheck,
): Promise<ChainOutcome> {
  if (!equalBytes(incoming.state.group, chain.head.state.group)) {
    return {
      kind: 'rejected',
      chain,
      error: new ParleyError(ErrorCode.GROUP_STATE_INVALID, 'Group state of another group'),
    };
  }
  const hex = toHex(incoming.hash);
  if (chain.seen.includes(hex) || chain.orphans.some((o) => equalBytes(o.hash, incoming.hash))) {
    return {
      kind: 'rejected',
      chain,
      error: new ParleyError(ErrorCode.GROUP_REPLAY, 'Group state seen before'),
    };
  }
  let first: Step;
  try {
    first = await step(chain, incoming, check);
  } catch (e) {
    if (!isParleyError(e)) throw e;
    return { kind: 'rejected', chain, error: e };
  }
  if (first.kind === 'rejected') return first;
  if (first.kind === 'pending') {
    const orphans = [...chain.orphans, incoming];
    return {
      kind: 'pending',
      chain: { ...chain, orphans: orphans.slice(Math.max(0, orphans.length - ORPHANS_MAX)) },
    };
  }
  let current = first.chain;
  const applied: AppliedState[] = [first.applied];
  const superseded: SignedGroupState[] = first.superseded === undefined ? [] : [first.superseded];
  // Orphans whose parent just arrived (or that compete with the new head).
  let progress = true;
  while (progress) {
    progress = false;
    for (const orphan of current.orphans) {
      let result: Step;
      try {
        result = await step({ ...current, orphans: [] }, orphan, check);
      } catch (e) {
        if (!isParleyError(e)) throw e;
        result = { kind: 'rejected', chain: current, error: e };
      }
      if (result.kind === 'pending') continue;
      const rest = current.orphans.filter((o) => o !== orphan);
      current = { ...result.chain, orphans: rest };
      if (result.kind === 'accepted') {
        applied.push(result.applied);
        if (result.superseded !== undefined) superseded.push(result.superseded);
      }
      progress = true;
      break;
    }
  }
  return { kind: 'accepted', chain: current, applied, superseded };
}
