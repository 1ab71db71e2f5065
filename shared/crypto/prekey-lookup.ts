/**
 * The responder's side of session setup: its private prekeys, looked up by
 * (kind, id), with the kind and id of every answer checked.
 */
import { ErrorCode, fail } from '../errors.ts';
import type { PreKeyKind, PreKeyPair, PreKeyPairOf } from './prekeys.ts';

/**
 * The responder's private prekeys, asked for by kind and id. Implementations
 * keep one store per kind; Parley still checks the kind and id of what comes
 * back, so a store bug cannot hand a key of one kind to a slot of another.
 */
export interface PreKeyLookup {
  getPreKey(kind: PreKeyKind, id: number): Promise<PreKeyPair | undefined>;
}

export async function lookupPreKey<K extends PreKeyKind>(
  lookup: PreKeyLookup,
  kind: K,
  id: number,
): Promise<PreKeyPairOf<K>> {
  const found = await lookup.getPreKey(kind, id);
  if (found === undefined) {
    fail(ErrorCode.PREKEY_MISSING, `No ${kind} with id ${id}`, { kind, id });
  }
  if (found.kind !== kind || found.id !== id) {
    fail(ErrorCode.KEY_TYPE, `Lookup for ${kind} ${id} returned a ${found.kind} ${found.id}`, {
      kind,
      id,
    });
  }
  return found as PreKeyPairOf<K>;
}

/** In-memory lookup over a key set (tests; the client keeps its own stores). */
export function memoryPreKeyLookup(keys: readonly PreKeyPair[]): PreKeyLookup {
  const byKind = new Map<PreKeyKind, Map<number, PreKeyPair>>();
  for (const key of keys) {
    let forKind = byKind.get(key.kind);
    if (forKind === undefined) {
      forKind = new Map();
      byKind.set(key.kind, forKind);
    }
    forKind.set(key.id, key);
  }
  return {
    getPreKey: async (kind, id) => byKind.get(kind)?.get(id),
  };
}
