/**
 * What an archive snapshot carries (docs/protocol.md "Archive", "What is
 * included"): an ALLOWLIST of record kinds, each with the key prefix it lives
 * under and a check that a record read from an archive is one the client
 * itself would have written (its schema, and a key that agrees with the
 * value). Everything else never leaves the device: sessions, prekeys, sender
 * keys (gsend/gkey), the account record (identity and device keys), the
 * outbox, retry and receipt queues, seen markers, presence. Indexes
 * (msgidx, expiry) are not carried either: the importer derives them from the
 * messages, so they can never disagree with them.
 */
import { decodeDeviceList } from '../../crypto/device-list.ts';
import { SettingsSchema } from '../account/settings.ts';
import { decodeContact } from '../contacts/contacts.ts';
import { decodeConversation } from '../conversations/conversations.ts';
import { DraftSchema } from '../conversations/drafts.ts';
import { decodeMessage, type MessageRecord, messageKeyOf } from '../conversations/messages.ts';
import { HeldSchema } from '../devices/held-lists.ts';
import { JoinedSchema } from '../groups/joined.ts';
import { decodeGroupRecord, groupHex } from '../groups/store.ts';
import { decodeRecord } from '../store/record-codec.ts';
import { Keys } from '../store/storage-keys.ts';

export interface SnapshotKind {
  readonly name: string;
  /** The key prefix walked on export (or the one key, for singletons). */
  readonly prefix: string;
  /** Carried only when history is asked for. */
  readonly history: boolean;
  /** Throws unless `value` is a valid record of this kind stored under `key`. */
  check(key: string, value: Uint8Array): void;
}

function mustMatch(condition: boolean, kind: string): void {
  if (!condition) throw new TypeError(`${kind}: key does not match the record`);
}

/**
 * The message kind's check, returning the decoded message so the importer
 * can stage it (its indexes, the stamp clock) without decoding it again.
 */
export function checkMessage(key: string, value: Uint8Array): MessageRecord {
  const message = decodeMessage(value);
  mustMatch(key === messageKeyOf(message), 'message');
  return message;
}

/** The single path segment after `prefix`, or undefined. */
function rest(key: string, prefix: string): string | undefined {
  const tail = key.slice(prefix.length);
  return tail === '' || tail.includes('/') ? undefined : tail;
}

export const SNAPSHOT_KINDS: readonly SnapshotKind[] = [
  {
    name: 'settings',
    prefix: Keys.settings,
    history: false,
    check: (key, value) => {
      mustMatch(key === Keys.settings, 'settings');
      decodeRecord(SettingsSchema, value, 'settings');
    },
  },
  {
    name: 'contact',
    prefix: Keys.contacts,
    history: false,
    check: (key, value) => mustMatch(key === Keys.contact(decodeContact(value).user), 'contact'),
  },
  {
    name: 'device list',
    prefix: 'devlist/',
    history: false,
    check: (key, value) => {
      const user = rest(key, 'devlist/');
      mustMatch(user !== undefined, 'device list');
      const held = decodeRecord(HeldSchema, value, 'device list');
      decodeDeviceList(held.list);
      if (held.fork !== undefined) decodeDeviceList(held.fork);
    },
  },
  {
    name: 'group',
    prefix: Keys.groups,
    history: false,
    check: (key, value) => {
      const record = decodeGroupRecord(value);
      mustMatch(record !== undefined && key === Keys.group(groupHex(record.id)), 'group');
    },
  },
  {
    name: 'group member joined',
    prefix: 'gjoin/',
    history: false,
    check: (key, value) => {
      mustMatch(/^gjoin\/[0-9a-f]{32}\/[^/]+$/.test(key), 'group member joined');
      decodeRecord(JoinedSchema, value, 'group member joined');
    },
  },
  {
    name: 'conversation',
    prefix: Keys.conversations,
    history: false,
    check: (key, value) =>
      mustMatch(key === Keys.conversation(decodeConversation(value).id), 'conversation'),
  },
  {
    name: 'draft',
    prefix: 'draft/',
    history: false,
    check: (key, value) => {
      mustMatch(rest(key, 'draft/') !== undefined, 'draft');
      decodeRecord(DraftSchema, value, 'draft');
    },
  },
  {
    name: 'message',
    prefix: 'msg/',
    history: true,
    check: checkMessage,
  },
];

/** The kind a key belongs to, or undefined for anything not on the allowlist. */
export function kindOfKey(key: string): SnapshotKind | undefined {
  return SNAPSHOT_KINDS.find((k) =>
    k.prefix.endsWith('/') ? key.startsWith(k.prefix) : key === k.prefix,
  );
}

/** The message kind (its records get derived indexes on import). */
export function isMessageKey(key: string): boolean {
  return key.startsWith('msg/');
}

/** Messages whose countdown ends within this long of the export are left out (Signal does the same). */
export const EXPIRING_SOON_MS = 24 * 60 * 60 * 1000;

export function expiresSoon(message: MessageRecord, now: number): boolean {
  return message.expiresAt !== undefined && message.expiresAt <= now + EXPIRING_SOON_MS;
}
