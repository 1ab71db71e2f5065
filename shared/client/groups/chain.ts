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
 * rejected, and one whose parent has not arrived yet is kept aside (a few,
 * only with a valid signature, capped per author, non-members evicted
 * first) and retried after each accepted state.
 *
 * A member also keeps the history from the group's first state (while it
 * fits GROUP_HISTORY_MAX_BYTES): an invitation carries it, and a reader not
 * (or no longer) in the group accepts a state only with a history that
 * verifies from the first state, bound to the creator (adoptChain).
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
  GroupRole,
  type GroupState,
  keyOf,
  roleOf,
  roleRank,
  type SignedGroupState,
  type TransitionCheck,
  validateTransition,
  verifyAuthor,
  verifyGenesis,
  verifyGroupStateSignature,
} from './state.ts';

/** Hashes remembered to recognise replays. */
export const SEEN_STATES_MAX = 64;
/** States kept while their parent is missing. */
export const ORPHANS_MAX = 32;
/**
 * ... of which one author may hold this many. Others' states are safe anyway
 * (eviction takes from whoever holds the most); this bounds one author's
 * share while leaving room for an admin's burst of changes delivered out of
 * order (the convergence property in chain.test.ts needs up to 9).
 */
export const ORPHANS_PER_AUTHOR = 12;
/** ... and authors who are not in our head or its parent share this many. */
export const ORPHANS_OUTSIDERS_MAX = 4;
/**
 * Bytes (bodies + signatures) of the history an invitation carries: with the
 * state itself (at most 20 KiB) it must fit one pairwise body (64 KiB).
 */
export const GROUP_HISTORY_MAX_BYTES = 36 * 1024;

export interface GroupChain {
  readonly head: SignedGroupState;
  /** The states before the head, oldest first: from the first state if `complete`, else just the parent. */
  readonly ancestors: readonly SignedGroupState[];
  /** `ancestors` start at the group's first state (false once the history outgrew its cap). */
  readonly complete: boolean;
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

export function startChain(
  root: SignedGroupState,
  ancestors: readonly SignedGroupState[] = [],
): GroupChain {
  // A history larger than we would send ourselves (a sender's choice) is not kept whole.
  const fits = historyBytes(ancestors) <= GROUP_HISTORY_MAX_BYTES;
  return {
    head: root,
    ancestors: fits ? ancestors : ancestors.slice(-1),
    complete: fits,
    seen: remember(
      ancestors.map((a) => toHex(a.hash)),
      root.hash,
    ),
    orphans: [],
  };
}

export function parentOf(chain: GroupChain): SignedGroupState | undefined {
  return chain.ancestors.at(-1);
}

function historyBytes(states: readonly SignedGroupState[]): number {
  return states.reduce((n, s) => n + s.body.length + s.signature.length, 0);
}

/** `chain` with its head moved into the ancestors and `next` as head (history capped). */
function advance(chain: GroupChain, next: SignedGroupState): GroupChain {
  const ancestors = [...chain.ancestors, chain.head];
  const fits = chain.complete && historyBytes(ancestors) <= GROUP_HISTORY_MAX_BYTES;
  return {
    ...chain,
    head: next,
    ancestors: fits ? ancestors : [chain.head],
    complete: fits,
    seen: remember(chain.seen, next.hash),
  };
}

/** The history an invitation to the current head carries; GROUP_HISTORY_TOO_LONG once it outgrew the cap. */
export function historyOf(chain: GroupChain): readonly SignedGroupState[] {
  if (!chain.complete) {
    throw new ParleyError(
      ErrorCode.GROUP_HISTORY_TOO_LONG,
      'The group history no longer fits in an invitation',
      { maxBytes: GROUP_HISTORY_MAX_BYTES },
    );
  }
  return chain.ancestors;
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
  const { head } = chain;
  const parent = parentOf(chain);
  const s = incoming.state;
  if (equalBytes(s.previous, head.hash)) {
    const change = await validateTransition(head, incoming, check);
    return {
      kind: 'accepted',
      chain: advance(chain, incoming),
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
    try {
      await checkOrphan(chain, incoming, check);
    } catch (e) {
      if (!isParleyError(e)) throw e;
      return { kind: 'rejected', chain, error: e };
    }
    return {
      kind: 'pending',
      chain: { ...chain, orphans: keepAside(chain, chain.orphans, incoming) },
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

/**
 * A state whose parent has not arrived is kept aside only if its signature
 * verifies: with the key the head lists for an owner/admin, else the one we
 * trust for its author (states come pairwise from their author, so we have
 * one). Its author's standing decides how safe it is there (keepAside).
 */
async function checkOrphan(
  chain: GroupChain,
  incoming: SignedGroupState,
  check: TransitionCheck,
): Promise<void> {
  const author = incoming.state.author;
  const listed = keyOf(chain.head.state, author);
  if (listed !== undefined) await verifyGroupStateSignature(incoming, listed);
  else await verifyAuthor(incoming, check);
}

/**
 * Whether `author` is a member of the head, or of its parent while a sibling
 * of the head may still win (the head is not the owner's: a state building on
 * such a sibling is as legitimate). Someone the owner just removed has none.
 */
function standing(chain: GroupChain, author: string): boolean {
  if (roleOf(chain.head.state, author) !== undefined) return true;
  const parent = parentOf(chain);
  return (
    parent !== undefined &&
    roleOf(parent.state, author) !== undefined &&
    roleOf(parent.state, chain.head.state.author) !== GroupRole.OWNER
  );
}

/** The oldest state of whoever holds the most among `pool`. */
function oldestOfTop(pool: readonly SignedGroupState[]): SignedGroupState | undefined {
  const counts = new Map<string, number>();
  for (const o of pool) counts.set(o.state.author, (counts.get(o.state.author) ?? 0) + 1);
  let top: string | undefined;
  for (const [user, n] of counts) if (top === undefined || n > (counts.get(top) ?? 0)) top = user;
  return pool.find((o) => o.state.author === top);
}

/**
 * Adds `incoming` to the orphans. Beyond ORPHANS_PER_AUTHOR its author's
 * oldest goes. States by authors without standing (not in the head or its
 * parent: former members, or members added in a state we have not seen)
 * share ORPHANS_OUTSIDERS_MAX slots and go first; beyond ORPHANS_MAX the
 * oldest of the author holding the most goes. So neither a former member nor
 * a flooding member can push out someone else's out-of-order state.
 */
function keepAside(
  chain: GroupChain,
  orphans: readonly SignedGroupState[],
  incoming: SignedGroupState,
): SignedGroupState[] {
  const author = incoming.state.author;
  let kept = [...orphans, incoming];
  const drop = (victim: SignedGroupState | undefined) => {
    kept = kept.filter((o) => o !== victim);
  };
  const own = kept.filter((o) => o.state.author === author);
  if (own.length > ORPHANS_PER_AUTHOR) drop(own[0]);
  const outsiders = kept.filter((o) => !standing(chain, o.state.author));
  if (outsiders.length > ORPHANS_OUTSIDERS_MAX) drop(oldestOfTop(outsiders));
  if (kept.length > ORPHANS_MAX) {
    const pool = kept.filter((o) => !standing(chain, o.state.author));
    drop(oldestOfTop(pool.length > 0 ? pool : kept));
  }
  return kept;
}

export type AdoptOutcome =
  | {
      readonly kind: 'accepted';
      readonly chain: GroupChain;
      /** The states beyond what we held, with their change against their parent. */
      readonly applied: readonly AppliedState[];
      /** Our states the history replaced (a losing branch). */
      readonly superseded: readonly SignedGroupState[];
    }
  | { readonly kind: 'rejected'; readonly error: ParleyError };

/**
 * A state with the history before it (`history`: from the group's first
 * state to its parent), for a reader that cannot chain it from its head: not
 * (or no longer) in the group, or on a branch that lost. Accepted when
 *   1. `history[0]` is a first state bound to its creator (verifyGenesis);
 *   2. every later state is a valid transition from the one before (author's
 *      role and key in the parent, permissions, version + 1, parent hash;
 *      a plain member's leave may go unverified except as the last state);
 *   3. against what we hold (`held`): it extends our head, or departs from
 *      our history at a state that wins the fork choice over ours there.
 */
export async function adoptChain(
  held: GroupChain | undefined,
  history: readonly SignedGroupState[],
  incoming: SignedGroupState,
  check: TransitionCheck,
): Promise<AdoptOutcome> {
  try {
    const line = [...history, incoming];
    const root = line[0] as SignedGroupState;
    if (!equalBytes(root.state.group, incoming.state.group)) {
      throw new ParleyError(ErrorCode.GROUP_STATE_INVALID, 'Group history of another group');
    }
    if (root.state.version !== 1) {
      throw new ParleyError(
        ErrorCode.GROUP_HISTORY_MISSING,
        'Group state without the history from the first state',
      );
    }
    await verifyGenesis(root);
    const changes: GroupChange[] = [];
    for (let i = 1; i < line.length; i++) {
      changes[i] = await validateTransition(
        line[i - 1] as SignedGroupState,
        line[i] as SignedGroupState,
        { ...check, unverifiedLeaves: i < line.length - 1 },
      );
    }
    const from = held === undefined ? line.length : checkAgainstHeld(held, line);
    const applied: AppliedState[] = [];
    for (let i = Math.max(1, from); i < line.length; i++) {
      applied.push({
        state: line[i] as SignedGroupState,
        parent: line[i - 1] as SignedGroupState,
        change: changes[i] as GroupChange,
      });
    }
    const mine = held === undefined ? [] : [...held.ancestors, held.head];
    const offset = (mine[0]?.state.version ?? 1) - 1;
    const superseded = mine.slice(Math.max(0, from - offset));
    return { kind: 'accepted', chain: startChain(incoming, history), applied, superseded };
  } catch (e) {
    if (!isParleyError(e)) throw e;
    return { kind: 'rejected', error: e };
  }
}

function outranks(a: SignedGroupState, b: SignedGroupState, parent: GroupState): boolean {
  const rank = (s: SignedGroupState) =>
    roleRank(roleOf(parent, s.state.author) ?? GroupRole.MEMBER);
  return rank(a) < rank(b);
}

/** Where `line` departs from what we hold (index in `line`); throws when it may not. */
function checkAgainstHeld(held: GroupChain, line: readonly SignedGroupState[]): number {
  const mine = [...held.ancestors, held.head];
  const offset = (mine[0] as SignedGroupState).state.version - 1;
  const last = line.at(-1) as SignedGroupState;
  if (last.state.version <= held.head.state.version) {
    throw equalBytes(line[held.head.state.version - 1]?.hash ?? new Uint8Array(), held.head.hash)
      ? new ParleyError(ErrorCode.GROUP_REPLAY, 'Group state seen before')
      : stale();
  }
  for (let i = 0; i < mine.length; i++) {
    const ours = mine[i] as SignedGroupState;
    const theirs = line[offset + i] as SignedGroupState;
    if (equalBytes(ours.hash, theirs.hash)) continue;
    // Departs from what we hold. At our head: the fork choice, as for any sibling.
    // Deeper: only a strictly higher role (the owner over an admin), never the hash
    // tie-break, which an admin could grind to undo what followed (their removal).
    const parent = line[offset + i - 1];
    if (i === 0 || parent === undefined) throw stale();
    const wins =
      i === mine.length - 1
        ? beats(theirs, ours, parent.state)
        : outranks(theirs, ours, parent.state);
    if (!wins) throw stale();
    return offset + i;
  }
  return offset + mine.length;
}
