/**
 * The running client's lifecycle: start (load the account, open the relay
 * socket), what every `ready` sets going, stop (a last presence, timers off,
 * socket closed, queued work finished), and the extension's locked vault:
 * frames kept while locked replayed, caches dropped on lock, the outbox sent
 * again on unlock.
 */
import { decodeServerFrame } from '../wire/codec.ts';
import type { DeviceAddress } from './account/account.ts';
import type { createAccountApi } from './account/account-api.ts';
import type { createUpkeep, ReadyPrekeyStock } from './account/upkeep.ts';
import type { createContactApi } from './contacts/contact-api.ts';
import type { createExpiryTimer } from './disappearing/expiry-timer.ts';
import type { ClientHost } from './host.ts';
import type { createIncoming } from './inbox/incoming.ts';
import type { Sender } from './outbox/sender.ts';
import type { ParleyClient } from './parley-client.ts';
import type { RelayLink } from './relay/relay-link.ts';
import type { createPresence } from './transient/presence-api.ts';
import type { createTyping } from './transient/typing.ts';

export interface LifecycleParts
  extends Pick<ClientHost, 'queue' | 'events' | 'reportError' | 'now'> {
  isLocked(): boolean;
  readonly link: RelayLink;
  readonly account: ReturnType<typeof createAccountApi>;
  readonly sender: Sender;
  readonly incoming: ReturnType<typeof createIncoming>;
  readonly upkeep: ReturnType<typeof createUpkeep>;
  readonly presence: ReturnType<typeof createPresence>;
  readonly typing: ReturnType<typeof createTyping>;
  readonly expiry: ReturnType<typeof createExpiryTimer>;
  readonly contacts: Pick<ReturnType<typeof createContactApi>, 'reconcileBlocks'>;
}

export type LifecycleApi = Pick<
  ParleyClient,
  'start' | 'stop' | 'ingestFrame' | 'onUnlocked' | 'redeliverSkipped' | 'onLocked'
>;

export function createLifecycle(parts: LifecycleParts) {
  const { link, account, sender, incoming, upkeep, presence, isLocked } = parts;

  /** After every (re)connect: refresh our own device list, send the outbox, keep prekeys stocked. */
  async function afterReady(stock?: ReadyPrekeyStock): Promise<void> {
    await upkeep.refreshOwnDevices();
    sender.pump();
    void parts.expiry.refresh();
    void parts.contacts.reconcileBlocks().catch((e: unknown) => parts.reportError(e, 'block list'));
    presence.onReady();
    await upkeep.onReady(stock);
  }

  const api: LifecycleApi = {
    async start(options: { readonly address?: DeviceAddress } = {}): Promise<void> {
      if (link.running()) return;
      if (!isLocked()) await account.api.load();
      const target = account.connectTarget(options.address);
      link.requireTransport();
      account.connectingTo(target);
      link.open(target.relayUrl, {
        credentials: () => account.credentials(target),
        onFrame: incoming.onFrame,
        onStatus: (status) => {
          parts.events.emit('status', status);
          // The relay closed us as removed: this browser was unlinked (docs/client.md, "Linked devices").
          if (status.state === 'stopped' && status.reason === 'revoked')
            parts.events.emit('unlinked', { at: parts.now(), reason: 'revoked' });
        },
        onDisconnect: () => {
          sender.onDisconnect();
          incoming.onDisconnect();
        },
        unlockKey: account.unlockKey,
        onWritable: () => sender.pump(),
      });
      upkeep.start();
    },
    async stop(): Promise<void> {
      await presence.stop();
      parts.expiry.stop();
      parts.typing.stop();
      link.close();
      sender.stop();
      upkeep.stop();
      await parts.queue.idle();
    },
    async ingestFrame(bytes: Uint8Array): Promise<void> {
      await account.api.load();
      const frame = decodeServerFrame(bytes);
      if (frame.t !== 'deliver') return;
      await incoming.ingest(frame);
    },
    async onUnlocked(): Promise<void> {
      await account.api.load();
      if (!link.online()) return;
      // Proven before the outbox pumps, so its sends are not refused as SEND_NOT_ALLOWED.
      await link.unlock();
      await afterReady();
    },
    redeliverSkipped(): void {
      if (isLocked()) return;
      if (incoming.takeSkipped()) link.recycle();
    },
    onLocked(): void {
      account.dropSessions();
      sender.onDisconnect();
    },
  };
  return { afterReady, api };
}
