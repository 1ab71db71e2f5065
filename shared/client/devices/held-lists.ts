/**
 * The signed device lists we hold for each user, ours included (docs/client.md,
 * storage; docs/protocol.md, "Device list"). What the relay serves is checked
 * here and only ever moves the held list forward:
 *  - every served list must verify against the identity we pinned for the user;
 *  - the first list seen for a user is held as it is (trust on first use, like
 *    the identity key itself);
 *  - after that only a newer version whose hash chain reaches the held one
 *    replaces it; an older one (rollback) is ignored;
 *  - a different list with the held version is a fork: the user is marked
 *    forked (sending to them stops) until a newer version chains from either
 *    branch, or the user re-verifies the contact (resetDeviceList).
 * A user whose account never published a list holds none: its devices are
 * checked by their certificates alone, as before signed lists existed.
 */
import * as v from 'valibot';
import { equalBytes } from '../../bytes.ts';
import {
  type AcceptOutcome,
  acceptNext,
  decodeDeviceList,
  type SignedDeviceList,
  verifyDeviceList,
} from '../../crypto/device-list.ts';
import { isParleyError } from '../../errors.ts';
import type { Batch } from '../store/batch.ts';
import { BytesField, decodeRecord, encodeRecord } from '../store/record-codec.ts';
import { Keys } from '../store/storage-keys.ts';

export const HeldSchema = v.object({
  v: v.literal(1),
  list: BytesField,
  /** The other list of the held version, while the fork is unresolved. */
  fork: v.optional(BytesField),
});

export interface HeldDeviceList {
  readonly list: SignedDeviceList;
  readonly fork?: SignedDeviceList | undefined;
}

export type ObserveOutcome = AcceptOutcome['kind'] | 'none' | 'invalid' | 'resolved';

export interface Observed {
  /** What is held after this observation (undefined: the user has no list). */
  readonly held: HeldDeviceList | undefined;
  /** What the newest served list did to the held one. */
  readonly outcome: ObserveOutcome;
  /** The list held before, when the outcome replaced it. */
  readonly previous?: SignedDeviceList | undefined;
}

/** Lists we stored were verified when stored: decoding is enough. */
function decodeHeld(bytes: Uint8Array): SignedDeviceList {
  return decodeDeviceList(bytes).list;
}

export async function readHeldList(
  batch: Batch,
  user: string,
): Promise<HeldDeviceList | undefined> {
  const raw = await batch.get(Keys.deviceList(user));
  if (raw === undefined) return undefined;
  const r = decodeRecord(HeldSchema, raw, 'device list');
  return {
    list: decodeHeld(r.list),
    ...(r.fork === undefined ? {} : { fork: decodeHeld(r.fork) }),
  };
}

function heldRecord(held: HeldDeviceList): Uint8Array {
  return encodeRecord({
    v: 1,
    list: held.list.encoded,
    ...(held.fork === undefined ? {} : { fork: held.fork.encoded }),
  });
}

function stageHeld(batch: Batch, user: string, held: HeldDeviceList): void {
  batch.set(Keys.deviceList(user), heldRecord(held));
}

/**
 * A fork is written at once, outside the batch: the send that found it fails
 * (its batch is dropped), but the warning must stay.
 */
async function recordFork(batch: Batch, user: string, held: HeldDeviceList): Promise<void> {
  stageHeld(batch, user, held);
  await batch.records.write([{ op: 'set', key: Keys.deviceList(user), value: heldRecord(held) }]);
}

/** Forgets the held list (the user re-verified the contact): the next one served is held anew. */
export function resetDeviceList(batch: Batch, user: string): void {
  batch.delete(Keys.deviceList(user));
}

/**
 * The user re-verified the contact (compared safety numbers) while its list
 * is forked: the held list and the addressed devices are forgotten, so the
 * next send fetches fresh bundles and holds the list served with them anew
 * (docs/protocol.md, "Device list"). False (nothing changed) when not forked.
 */
export async function forgetForkedList(batch: Batch, user: string): Promise<boolean> {
  const held = await readHeldList(batch, user);
  if (held?.fork === undefined) return false;
  resetDeviceList(batch, user);
  batch.delete(Keys.devices(user));
  return true;
}

async function verifiedLists(
  user: string,
  identityKey: Uint8Array,
  served: readonly Uint8Array[],
): Promise<SignedDeviceList[]> {
  const out: SignedDeviceList[] = [];
  for (const bytes of served) {
    try {
      out.push(await verifyDeviceList(bytes, { userId: user, identityKey }));
    } catch (e) {
      if (!isParleyError(e)) throw e;
    }
  }
  return out.sort((a, b) => a.version - b.version);
}

/** The newest served list that verifies under `identityKey`, without holding it. */
export async function newestValidList(
  user: string,
  identityKey: Uint8Array,
  served: readonly Uint8Array[] | undefined,
): Promise<SignedDeviceList | undefined> {
  const lists = await verifiedLists(user, identityKey, served ?? []);
  return lists[lists.length - 1];
}

/** Another list of the held version among those served: a fork. */
function forkAmong(held: SignedDeviceList, lists: readonly SignedDeviceList[]) {
  return lists.find((l) => l.version === held.version && !equalBytes(l.hash, held.hash));
}

/**
 * Checks the lists the relay served for `user` (oldest first, as the relay
 * sends them) against the held one and stages what is held after.
 * `identityKey` is the user's pinned identity signing key.
 */
export async function observeDeviceLists(
  batch: Batch,
  user: string,
  identityKey: Uint8Array,
  served: readonly Uint8Array[] | undefined,
): Promise<Observed> {
  const held = await readHeldList(batch, user);
  if (served === undefined || served.length === 0) return { held, outcome: 'none' };
  const lists = await verifiedLists(user, identityKey, served);
  const newest = lists[lists.length - 1];
  if (newest === undefined) return { held, outcome: 'invalid' };
  if (held === undefined) {
    const next = { list: newest };
    stageHeld(batch, user, next);
    return { held: next, outcome: 'accepted' };
  }
  if (held.fork !== undefined) {
    for (const branch of [held.list, held.fork]) {
      const outcome = acceptNext(branch, newest, lists);
      if (outcome.kind === 'accepted' && newest.version > branch.version) {
        const next = { list: newest };
        stageHeld(batch, user, next);
        return { held: next, outcome: 'resolved', previous: held.list };
      }
    }
    return { held, outcome: 'fork' };
  }
  const other = forkAmong(held.list, lists);
  const outcome = other === undefined ? acceptNext(held.list, newest, lists) : undefined;
  if (outcome === undefined || outcome.kind === 'fork') {
    const next = { list: held.list, fork: other ?? newest };
    await recordFork(batch, user, next);
    return { held: next, outcome: 'fork' };
  }
  if (outcome.kind === 'accepted') {
    const next = { list: outcome.list };
    stageHeld(batch, user, next);
    return { held: next, outcome: 'accepted', previous: held.list };
  }
  return { held, outcome: outcome.kind };
}

/** Is this device (with this key) in the list? */
export function isListed(
  list: SignedDeviceList,
  deviceId: number,
  deviceKey?: Uint8Array,
): boolean {
  const entry = list.devices.find((d) => d.deviceId === deviceId);
  return entry !== undefined && (deviceKey === undefined || equalBytes(entry.deviceKey, deviceKey));
}

/** Device ids of `before` that `after` no longer lists. */
export function droppedDevices(before: SignedDeviceList, after: SignedDeviceList): number[] {
  return before.devices
    .map((d) => d.deviceId)
    .filter((id) => !after.devices.some((d) => d.deviceId === id));
}

/** Device ids `after` lists that `before` did not. */
export function addedDevices(
  before: SignedDeviceList | undefined,
  after: SignedDeviceList,
): number[] {
  return after.devices
    .map((d) => d.deviceId)
    .filter((id) => before === undefined || !before.devices.some((d) => d.deviceId === id));
}
