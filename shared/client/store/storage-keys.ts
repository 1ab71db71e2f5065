/**
 * Every record key the client core writes, in one place (docs/client.md lists
 * them). Keys are `/`-separated paths; numbers inside keys are zero-padded so
 * lexicographic order is numeric order, which is what `RecordStore.list`
 * walks. User ids are canonical UUIDs and conversation ids never contain `/`.
 */
import { toHex } from '../../bytes.ts';

/** Fixed width for u32 ids (prekeys, devices). */
export function pad10(n: number): string {
  return n.toString().padStart(10, '0');
}

/** Fixed width for millisecond stamps (up to 8.64e15). */
export function pad16(n: number): string {
  return n.toString().padStart(16, '0');
}

export const Keys = {
  /** The account: ids, relay URL, identity private keys, prekey counters. */
  account: 'account',
  /** Last local stamp handed out (monotonic sort keys survive restarts). */
  clock: 'clock',
  /** When prekey maintenance last ran. */
  maintenance: 'maintenance',

  signedPreKey: (id: number) => `prekey/spk/${pad10(id)}`,
  signedPreKeys: 'prekey/spk/',
  kemPreKey: (id: number) => `prekey/kem/${pad10(id)}`,
  kemPreKeys: 'prekey/kem/',
  oneTimePreKey: (id: number) => `prekey/opk/${pad10(id)}`,
  oneTimePreKeys: 'prekey/opk/',
  oneTimeKemPreKey: (id: number) => `prekey/okem/${pad10(id)}`,
  oneTimeKemPreKeys: 'prekey/okem/',

  contact: (user: string) => `contact/${user}`,
  contacts: 'contact/',
  /** The device ids we address for a user (Sesame's user record). */
  devices: (user: string) => `devices/${user}`,
  /** The newest valid signed device list we hold for a user, and a fork of it if one was seen. */
  deviceList: (user: string) => `devlist/${user}`,
  /** Our own device list as last announced on this device (devices/announce.ts). */
  deviceListAnnounced: 'devlist-announced',
  session: (user: string, device: number) => `session/${user}/${pad10(device)}`,
  sessionsOf: (user: string) => `session/${user}/`,
  /** When we last asked a device to reset its session with us (rate limit). */
  sessionReset: (user: string, device: number) => `reset/${user}/${pad10(device)}`,

  conversation: (id: string) => `conv/${id}`,
  conversations: 'conv/',
  /** The composer's unsent text in a conversation (conversations/drafts.ts). */
  draft: (conversation: string) => `draft/${conversation}`,
  message: (conversation: string, stamp: number, id: Uint8Array) =>
    `msg/${conversation}/${pad16(stamp)}/${toHex(id)}`,
  messagesOf: (conversation: string) => `msg/${conversation}/`,
  /** (author, message id) -> message key, for receipts. */
  messageIndex: (author: string, id: Uint8Array) => `msgidx/${author}/${toHex(id)}`,

  /** Dedupe marker per (sender user, sender device, client message id). */
  seen: (user: string, device: number, id: Uint8Array) =>
    `seen/${user}/${pad10(device)}/${toHex(id)}`,
  seenAll: 'seen/',

  /**
   * Recently sent contents by frame id (retry.ts): resent when a recipient
   * device says it could not decrypt that frame. Pruned after 24 h / 1000.
   */
  sent: (id: Uint8Array) => `sent/${toHex(id)}`,
  sentAll: 'sent/',
  /** Retry requests we sent to a device in the current window (rate limit). */
  retryOut: (user: string, device: number) => `retryout/${user}/${pad10(device)}`,
  /** Resends we made for a device's retry requests in the current window (rate limit). */
  retryIn: (user: string, device: number) => `retryin/${user}/${pad10(device)}`,

  /** Uploads a page started and has not sent yet (pending-uploads.ts): resumed after a restart. */
  pendingUpload: (id: string) => `upload/${id}`,
  pendingUploads: 'upload/',
  /**
   * A linked device's history offer (blob id, archive root key, digest, size)
   * until its archive is imported and ACKed, so a stopped device resumes the
   * download (linking/pending-history.ts). Holds key material: only ever a
   * record (sealed by the extension's vault), never host metadata.
   */
  pendingHistory: 'linkhistory',
  outboxEntry: (stamp: number, id: Uint8Array) => `outbox/${pad16(stamp)}/${toHex(id)}`,
  outbox: 'outbox/',

  /**
   * Message expiry index: `expiry/<time>/<author>/<message key>[/<upload ids>]`.
   * Everything a sweep deletes is named in the key itself, so it works on
   * keys alone (while the extension's vault is locked and values cannot be
   * read). For our own messages with files the relay ids of the uploads
   * follow, joined by `.`, so a locked sweep can delete them on the relay
   * too (docs/client.md "Attachments").
   */
  expiry: (at: number, author: string, messageKey: string, uploads: readonly string[] = []) =>
    `expiry/${pad16(at)}/${author}/${messageKey}${uploads.length === 0 ? '' : `/${uploads.join('.')}`}`,
  expiries: 'expiry/',

  /** Group state chain (groups/store.ts), by group id in hex. */
  group: (group: string) => `group/${group}`,
  groups: 'group/',
  /** Our sending chain for a group: sender key state, sequence counter, who has it. */
  groupSender: (group: string) => `gsend/${group}`,
  /** A member device's sender key record (their chains) and the sequence number we expect. */
  groupKey: (group: string, user: string, device: number) =>
    `gkey/${group}/${user}/${pad10(device)}`,
  groupKeysOf: (group: string) => `gkey/${group}/`,
  groupKeysOfUser: (group: string, user: string) => `gkey/${group}/${user}/`,
  /** A member we know joined (not just invited): `gjoin/<group>/<user>` (groups/joined.ts). */
  groupJoined: (group: string, user: string) => `gjoin/${group}/${user}`,
  groupJoinedOf: (group: string) => `gjoin/${group}/`,
  /**
   * Group traffic that arrived before the signed state making its sender (or
   * us) a member: `gpark/<group>/<stamp>`, replayed in arrival order.
   */
  groupParked: (group: string, stamp: number) => `gpark/${group}/${pad16(stamp)}`,
  groupParkedOf: (group: string) => `gpark/${group}/`,
  groupParkedAll: 'gpark/',
  /** When we last asked a device to resend its sender key (rate limit). */
  groupKeyRequest: (group: string, user: string, device: number) =>
    `gkreq/${group}/${user}/${pad10(device)}`,

  /** Local settings: read receipts, typing indicators, presence. */
  settings: 'settings',
  /** Last presence heard from a contact. */
  presence: (user: string) => `presence/${user}`,

  /** Receipts waiting to be batched into one encrypted message per (recipient, kind). */
  pendingReceipt: (kind: string, author: string, id: Uint8Array) =>
    `receiptq/${kind}/${author}/${toHex(id)}`,
  pendingReceipts: 'receiptq/',
  /**
   * Receipts held back until a request is accepted, by what must be accepted:
   * `u:<user>` (a message request) or `g:<group hex>` (a group invitation).
   */
  heldReceipt: (subject: string, kind: string, author: string, id: string) =>
    `receipth/${subject}/${kind}/${author}/${id}`,
  heldReceipts: (subject: string) => `receipth/${subject}/`,
} as const;

/** The name of the device key in the KeyHandleStore. */
export const DEVICE_KEY_NAME = 'device-key';
