/**
 * Frames that arrive while the vault is locked. They are already end-to-end
 * ciphertext, but their envelopes (sender, device, relay timestamps) are not,
 * so each frame is sealed again before it touches the disk: to an X25519
 * "inbox" key whose public half is stored in the clear and whose private half
 * is a vault record, readable only after unlock.
 *
 * The box is shared/crypto/sealed-box.ts (vectors in
 * shared/crypto/vectors/sealed-box.json, which frames already on disk match).
 * Order is the arrival order (the queue's auto-increment key).
 *
 * For the client core: while `vault.isUnlocked()` is false, persist each
 * incoming frame with `put` and only then ack it to the relay; after unlock,
 * `drain` hands the frames back oldest first, removing each one only after the
 * handler (decrypt + persist) resolved.
 *
 * The queue is capped (frames and bytes; docs/extension.md, "Vault and locking"): a sender flooding
 * a locked browser must not fill the disk. Past the cap `put` answers
 * 'full' and the caller leaves the frame un-acked, so it stays on the relay
 * (whose per-recipient caps then apply) and is delivered again after unlock:
 * nothing is lost. Once one frame was refused, every later one is refused
 * too until a drain empties the queue, so a small frame can never overtake a
 * refused big one and the relay's order survives.
 *
 * Runs in: the service worker and Node (tests).
 */
import { type Bytes, concat } from '../../../shared/bytes.ts';
import type { RecordStore } from '../../../shared/client/store/store.ts';
import { LOCKED_INBOX_INFO, open, seal } from '../../../shared/crypto/sealed-box.ts';
import {
  type DhKeyPair,
  exportDhPrivateRaw,
  generateDhKeyPair,
  importDhKeyPair,
} from '../../../shared/crypto/x25519.ts';
import { ExtErrorCode, extError } from '../../lib/errors.ts';
import type { InboxQueue, MetaStore } from './idb-store.ts';

export const INBOX_PUBLIC_META = 'inbox-public-key';
export const INBOX_PRIVATE_RECORD = 'vault/inbox-private-key';

/** Seals a frame to the inbox key (format: shared/crypto/sealed-box.ts). */
export function sealForInbox(inboxPublic: Uint8Array, frame: Uint8Array): Promise<Bytes> {
  return seal(inboxPublic, frame, LOCKED_INBOX_INFO);
}

export function openFromInbox(inbox: DhKeyPair, sealed: Uint8Array): Promise<Bytes> {
  return open(inbox, sealed, LOCKED_INBOX_INFO);
}

/** Frames kept while locked; past this the relay keeps them. */
export const LOCKED_INBOX_MAX_FRAMES = 5_000;
/** Bytes of sealed frames kept while locked (frames are small; attachments are separate). */
export const LOCKED_INBOX_MAX_BYTES = 32 * 1024 * 1024;

export type PutResult = 'stored' | 'full';

export interface LockedInboxDeps {
  readonly queue: InboxQueue;
  readonly meta: MetaStore;
  /** Sealed records (vault key): holds the inbox private key. */
  readonly records: RecordStore;
  readonly maxFrames?: number;
  readonly maxBytes?: number;
}

export class LockedInbox {
  readonly #deps: LockedInboxDeps;
  /** What the queue holds, read once from disk and then kept up to date here. */
  #usage: { count: number; bytes: number } | undefined;
  /** Set by the first refused frame; cleared when a drain empties the queue. */
  #refusing = false;

  constructor(deps: LockedInboxDeps) {
    this.#deps = deps;
  }

  async #currentUsage(): Promise<{ count: number; bytes: number }> {
    this.#usage ??= { ...(await this.#deps.queue.usage()) };
    return this.#usage;
  }

  /** Creates the inbox key pair if there is none; needs the vault open. */
  async ensureKeys(): Promise<void> {
    if ((await this.#deps.meta.get(INBOX_PUBLIC_META)) instanceof Uint8Array) return;
    const pair = await generateDhKeyPair(true);
    const privateRaw = await exportDhPrivateRaw(pair.privateKey);
    await this.#deps.records.write([
      { op: 'set', key: INBOX_PRIVATE_RECORD, value: concat(privateRaw, pair.publicKey) },
    ]);
    await this.#deps.meta.set(INBOX_PUBLIC_META, pair.publicKey);
  }

  /**
   * Seals and queues one frame; works while locked. 'full': nothing was
   * stored, so the caller must not ack the frame.
   */
  async put(frame: Uint8Array): Promise<PutResult> {
    const inboxPublic = await this.#deps.meta.get(INBOX_PUBLIC_META);
    if (!(inboxPublic instanceof Uint8Array)) {
      throw extError(
        ExtErrorCode.VAULT_NOT_FOUND,
        'Cannot queue a frame: the vault has no inbox key',
      );
    }
    const usage = await this.#currentUsage();
    const sealed = await sealForInbox(inboxPublic, frame);
    const maxFrames = this.#deps.maxFrames ?? LOCKED_INBOX_MAX_FRAMES;
    const maxBytes = this.#deps.maxBytes ?? LOCKED_INBOX_MAX_BYTES;
    if (this.#refusing || usage.count + 1 > maxFrames || usage.bytes + sealed.length > maxBytes) {
      this.#refusing = true;
      return 'full';
    }
    await this.#deps.queue.append(sealed);
    usage.count++;
    usage.bytes += sealed.length;
    return 'stored';
  }

  /** True once a frame was refused and left on the relay (until a drain empties the queue). */
  get refusing(): boolean {
    return this.#refusing;
  }

  count(): Promise<number> {
    return this.#deps.queue.count();
  }

  /**
   * Hands queued frames to `handle`, oldest first; each is removed only after
   * `handle` resolved, so a crash in between replays it (handlers dedup by id).
   */
  async drain(handle: (frame: Bytes) => Promise<void>, batch = 50): Promise<number> {
    const stored = await this.#deps.records.get(INBOX_PRIVATE_RECORD);
    if (stored === undefined) return 0;
    const inbox = await importDhKeyPair(stored.subarray(0, 32), stored.subarray(32), false);
    let drained = 0;
    for (;;) {
      const frames = await this.#deps.queue.peek(batch);
      if (frames.length === 0) {
        this.#usage = { count: 0, bytes: 0 };
        this.#refusing = false;
        return drained;
      }
      for (const [id, sealed] of frames) {
        await handle(await openFromInbox(inbox, sealed));
        await this.#deps.queue.remove([id]);
        if (this.#usage !== undefined) {
          this.#usage.count--;
          this.#usage.bytes -= sealed.length;
        }
        drained++;
      }
    }
  }
}
