/**
 * The client core (shared/client) living in an MV3 worker that can be
 * stopped at any moment: the extension's storage (sealed IndexedDB records,
 * the device key as a non-extractable CryptoKey), the worker's WebSocket,
 * fetch and timers, and the vault's lock state go in; relay status, badge
 * counts and page events come out (client-events.ts); worker-client.ts builds it.
 *
 *  - worker start / wake alarm → `resume()`: the vault is always locked in a
 *    fresh worker, so the client connects with the device address kept in
 *    plain `meta` and the device key (usable while locked); deliveries go to
 *    the locked inbox, sealed, and are acked only after that write.
 *  - unlock → `onUnlocked()`: load the account, replay the locked inbox
 *    oldest first, then let the client send its outbox (which survived the
 *    worker's death in sealed records) and do its maintenance.
 *  - lock → `onLocked()`: the client drops its decrypted caches; the socket
 *    stays up.
 * The relay socket's 20 s keepalive pings (relay-connection.ts) are what
 * keep the worker alive while locked; while unlocked the shell's keepalive
 * does it too. Settings belong to the extension (settings.ts): the client is
 * told them (`useHostSettings`) and keeps no copy of its own.
 *
 * Runs in: the service worker and Node (tests, with `ws` and memory storage).
 */
import type { DeviceAddress, ParleyClient } from '../../../shared/client/client.ts';
import type { LinkPayload } from '../../../shared/client/linking/link-payload.ts';
import { registerLinkedDevice } from '../../../shared/client/linking/register-linked-device.ts';
import type { AccountInfo } from '../../../shared/client/views.ts';
import type { RegistrationResponse, SessionResponse } from '../../../shared/wire/rest-auth.ts';
import type {
  RegistrationCredentialJson,
  RegistrationStart,
  RelayStatus,
  Settings,
} from '../../lib/protocol.ts';
import { ChangeFeed } from './change-feed.ts';
import type { ChatViews } from './chat-views.ts';
import { forwardClientEvents } from './client-events.ts';
import type { RuntimeContext } from './runtime-context.ts';
import {
  type AddressStore,
  type ClientPlatform,
  sameAddress,
  toRelayStatus,
} from './worker-client.ts';

export interface RuntimeParts {
  readonly ctx: RuntimeContext;
  readonly platform: ClientPlatform;
  readonly addresses: AddressStore;
  readonly client: ParleyClient;
  readonly views: ChatViews;
}

export class ClientRuntime {
  readonly #ctx: RuntimeContext;
  readonly #platform: ClientPlatform;
  readonly #addresses: AddressStore;
  readonly #client: ParleyClient;
  readonly #views: ChatViews;
  readonly #feed: ChangeFeed;
  #started = false;
  #starting: Promise<void> | undefined;
  #unlocking: Promise<void> | undefined;
  #unread: number | undefined;
  /** Bumped whenever the cached total may be stale (a read that started earlier must not store it). */
  #unreadGeneration = 0;
  #lastUnread = -1;

  constructor({ ctx, platform, addresses, client, views }: RuntimeParts) {
    this.#ctx = ctx;
    this.#platform = platform;
    this.#addresses = addresses;
    this.#client = client;
    this.#views = views;
    this.#feed = new ChangeFeed({
      emit: ctx.emit,
      schedule: (callback, ms) => void platform.timers.setTimeout(callback, ms),
      onConversationsChanged: () => {
        this.#invalidateUnread();
        void this.#publishUnread();
      },
    });
    forwardClientEvents(client, {
      ctx,
      views,
      feed: this.#feed,
      report: platform.report,
      relayStatus: () => this.relayStatus(),
      unreadChanged: () => this.#invalidateUnread(),
    });
  }

  // ── Lifecycle ───────────────────────────────────────────────────────────

  /** The person asked to retry now: connect at once, whatever the backoff says. May run while locked. */
  async reconnectNow(): Promise<void> {
    if (this.#started) this.#client.reconnectNow();
    else await this.resume();
  }

  /** Worker start or alarm wake: reconnect if an account exists. Idempotent; may run while locked. */
  async resume(): Promise<void> {
    if (this.#started) {
      // Woken by the alarm or the network coming back while waiting to
      // retry an unreachable relay: try now rather than after the backoff.
      const status = this.#client.status();
      if (status.state === 'retrying' && status.problem === 'unreachable')
        this.#client.reconnectNow();
      return;
    }
    this.#starting ??= this.#start().finally(() => {
      this.#starting = undefined;
    });
    await this.#starting;
  }

  async #start(): Promise<void> {
    let address: DeviceAddress | undefined;
    await this.#useSettings();
    if (this.#ctx.isUnlocked()) {
      const info = await this.#client.load();
      address = this.#client.deviceAddress();
      if (info !== undefined && address !== undefined) await this.#rememberAddress(address);
    }
    address ??= await this.#addresses.load();
    if (address === undefined) return; // no account yet
    await this.#client.start({ address });
    this.#started = true;
    await this.#ctx.scheduleWake();
    await this.#armExpiry();
  }

  /**
   * After a worker start: the alarm for the next disappearing message, and
   * whatever ran out while the worker was stopped goes now. Record keys only,
   * so this works while the vault is locked.
   */
  async #armExpiry(): Promise<void> {
    try {
      const locked = this.#ctx.lockedSweep !== undefined && !this.#ctx.isUnlocked();
      const next =
        (locked
          ? await this.#ctx.lockedSweep?.nextLockedSweep()
          : await this.#client.nextExpiry()) ?? null;
      await this.#ctx.scheduleExpiry(next);
      if (next !== null && next <= this.#ctx.now()) await this.expireDue();
    } catch (e) {
      this.#platform.report('expiry', e);
    }
  }

  async #rememberAddress(address: DeviceAddress): Promise<void> {
    if (!sameAddress(await this.#addresses.load(), address)) await this.#addresses.save(address);
  }

  /** After every unlock: drain the locked inbox in order, flush the outbox. */
  onUnlocked(): Promise<void> {
    // Serialised: a quick lock/unlock must not drain the inbox twice at once.
    const previous = this.#unlocking ?? Promise.resolve();
    const run = previous.then(() => this.#afterUnlock());
    this.#unlocking = run.finally(() => {
      if (this.#unlocking === run) this.#unlocking = undefined;
    });
    return run;
  }

  async #afterUnlock(): Promise<void> {
    if (!this.#ctx.isUnlocked()) return;
    const info = await this.#client.load();
    if (info === undefined) return; // onboarding: no account yet
    const address = this.#client.deviceAddress();
    if (address !== undefined) await this.#rememberAddress(address);
    await this.#useSettings();
    if (!this.#started) await this.resume();
    // Oldest first; each frame leaves the inbox only after the client wrote
    // what it carried (ingestFrame resolves after the store write).
    const ingest = (frame: Uint8Array) => this.#client.ingestFrame(frame);
    await this.#ctx.lockedInbox.drain(ingest);
    await this.#client.onUnlocked();
    // Frames that were being put while the vault opened are queued behind
    // everything above; pick them up too.
    await this.#client.idle();
    await this.#ctx.lockedInbox.drain(ingest);
    // Frames the full inbox refused are still on the relay: fetch them now.
    this.#client.redeliverSkipped();
    this.#invalidateUnread();
    this.#lastUnread = -1;
    this.#feed.conversation();
  }

  /** On lock: drop decrypted caches; keep the relay socket, routing frames to the locked inbox. */
  onLocked(): void {
    this.#client.onLocked();
    this.#views.typing.clear();
    this.#invalidateUnread();
    this.#feed.flush(); // what changed before the lock is told now, not after it
  }

  /**
   * Settings changed (settings.ts owns them): the client acts on the new
   * values; while locked it cannot (presence needs the contacts), and the
   * next unlock tells it.
   */
  onSettings(settings: Settings): void {
    if (this.#ctx.isUnlocked()) this.#client.useHostSettings(settings);
  }

  async #useSettings(): Promise<void> {
    this.#client.useHostSettings(await this.#ctx.settings());
  }

  /** Closes the socket and waits for queued work (tests; a worker just stops). */
  stop(): Promise<void> {
    return this.#client.stop();
  }

  // ── Onboarding: the WebAuthn ceremony runs in the page between these two ──

  /** Asks the relay for creation options. Errors: HANDLE_TAKEN, RELAY_UNREACHABLE. */
  async beginRegistration(input: { relayUrl: string; handle: string }): Promise<RegistrationStart> {
    const options = await this.#client.beginRegistration(input);
    return { publicKey: options as Readonly<Record<string, unknown>> };
  }

  /** Vault open: the relay verifies the passkey; identity and device keys, device, prekeys. */
  async finishRegistration(input: {
    relayUrl: string;
    handle: string;
    credential: RegistrationCredentialJson;
  }): Promise<void> {
    await this.#useSettings();
    await this.#client.finishRegistration({
      relayUrl: input.relayUrl,
      handle: input.handle,
      deviceName: 'Parley for Chromium',
      // The request schema checked the shape; the client checks it again
      // against the relay's own schema before it leaves.
      credential: input.credential as unknown as RegistrationResponse,
    });
    const address = this.#client.deviceAddress();
    if (address !== undefined) await this.#addresses.save(address);
  }

  /**
   * Linking (docs/protocol.md, "Linking a device"): the payload another
   * device of the account sent makes this browser one of its devices.
   */
  async joinLinked(payload: LinkPayload, deviceName: string): Promise<AccountInfo> {
    await this.#useSettings();
    const info = await registerLinkedDevice(this.#client, payload, { deviceName });
    const address = this.#client.deviceAddress();
    if (address !== undefined) await this.#addresses.save(address);
    return info;
  }

  /**
   * "Remove and reset identity" (docs/client.md, "Identity changes"): a new
   * account identity with this browser its only device; the new device
   * address is what a locked worker start connects with.
   */
  async resetIdentity(session: SessionResponse): Promise<AccountInfo> {
    const info = await this.#client.resetIdentity({ session });
    const address = this.#client.deviceAddress();
    if (address !== undefined) await this.#addresses.save(address);
    return info;
  }

  /** This browser was removed from its account: no more connecting (its data is wiped next). */
  async stopForGood(): Promise<void> {
    this.#started = false;
    await this.#client.stop();
  }

  // ── Disappearing messages, unread count, relay status ─────────────────────

  /**
   * The expiry alarm fired: delete every disappearing message whose countdown
   * ended. Works while the vault is locked (record keys only).
   */
  async expireDue(): Promise<number> {
    const sweep = this.#ctx.lockedSweep;
    if (sweep === undefined || this.#ctx.isUnlocked()) return this.#client.expireDue();
    // Locked: whole buckets that have ended, then the alarm for the next one.
    // Our own files of the messages that went: deleted on the relay with the
    // device key, which works while locked (best effort; retention does the rest).
    const swept = await sweep.sweepLocked(this.#ctx.now(), (ids) => {
      for (const id of ids) {
        this.#client
          .deleteOwnUpload(id)
          .catch((e: unknown) => this.#platform.report('attachments', e));
      }
    });
    await this.#ctx.scheduleExpiry(await sweep.nextLockedSweep());
    return swept;
  }

  async unreadTotal(): Promise<number> {
    if (this.#unread !== undefined) return this.#unread;
    const generation = this.#unreadGeneration;
    const total = await this.#client.unreadTotal();
    if (generation === this.#unreadGeneration) this.#unread = total;
    return total;
  }

  #invalidateUnread(): void {
    this.#unread = undefined;
    this.#unreadGeneration++;
  }

  async #publishUnread(): Promise<void> {
    if (!this.#ctx.isUnlocked()) return;
    try {
      const total = await this.unreadTotal();
      if (total === this.#lastUnread) return;
      this.#lastUnread = total;
      this.#ctx.setUnread(total);
    } catch (e) {
      this.#platform.report('unread', e);
    }
  }

  relayStatus(): RelayStatus {
    return toRelayStatus(this.#client.status(), this.#platform.online?.() ?? true);
  }
}
