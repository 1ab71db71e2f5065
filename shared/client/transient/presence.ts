/**
 * Presence ("online" / "last seen"), only between accepted contacts, and
 * hideable. Design (docs/protocol.md "Presence"):
 *
 *   - a client that shows its presence sends an encrypted `presence` message
 *     with `transient: true` (the relay hands it to connected devices only and
 *     never stores it) to every accepted contact: `{online, hello}` when it
 *     connects, `{online}` every PRESENCE_INTERVAL_MS while connected, and
 *     `{online: false}` when it stops;
 *   - a contact that receives a `hello` answers once with its own presence, so
 *     both learn about each other at once;
 *   - "last seen" is when the last presence message arrived (our clock);
 *     "online" means the last one said online and came within
 *     ONLINE_WINDOW_MS (a missed refresh or two do not flip it);
 *   - hidden: nothing is sent at all (contacts see neither online nor last
 *     seen); requests and blocked users never get or give presence.
 */
import * as v from 'valibot';
import { decodeRecord, IntField } from '../store/record-codec.ts';
import { Keys } from '../store/storage-keys.ts';
import type { RecordStore } from '../store/store.ts';

export const PRESENCE_INTERVAL_MS = 60_000;
export const ONLINE_WINDOW_MS = 150_000;

const PresenceSchema = v.object({ at: IntField, online: v.boolean() });

export interface PresenceView {
  readonly online: boolean;
  /** When we last heard from them (our clock), or null. */
  readonly lastSeen: number | null;
}

/** What the UI shows for a contact's last presence message (pure). */
export function presenceView(
  last: { readonly at: number; readonly online: boolean } | undefined,
  now: number,
): PresenceView {
  if (last === undefined) return { online: false, lastSeen: null };
  return { online: last.online && now - last.at < ONLINE_WINDOW_MS, lastSeen: last.at };
}

export async function readPresence(
  records: Pick<RecordStore, 'get'>,
  user: string,
  now: number,
): Promise<PresenceView> {
  const raw = await records.get(Keys.presence(user));
  return presenceView(
    raw === undefined ? undefined : decodeRecord(PresenceSchema, raw, 'presence'),
    now,
  );
}
