/**
 * Deliveries while the extension's vault is locked: records cannot be read,
 * so each frame goes to the extension's locked inbox (ClientDeps.locked.put)
 * in relay order and is acked once stored. A frame the inbox refuses ('full')
 * stays un-acked on the relay; after unlock `takeSkipped` says a new socket
 * is needed to have the relay send it again.
 */
import { encodeServerFrame } from '../../wire/codec.ts';
import type { ClientFrame, DeliverFrame } from '../../wire/frames.ts';
import type { ClientHost } from '../host.ts';

export interface LockedDeliveriesHost extends Pick<ClientHost, 'queue' | 'reportError'> {
  /** The extension's locked inbox (ClientDeps.locked.put). */
  readonly lockedPut: ((frame: Uint8Array) => Promise<'stored' | 'full'>) | undefined;
  /** Sends on the socket; false when it is not up. */
  send(frame: ClientFrame): boolean;
}

export function createLockedDeliveries(host: LockedDeliveriesHost) {
  /** A delivery the locked inbox refused (left un-acked on the relay) since the last unlock. */
  let skippedWhileLocked = false;

  return {
    accept(frame: DeliverFrame): void {
      const put = host.lockedPut;
      // Transients (typing, presence) are about now: replayed after unlock
      // they would be wrong, and written to disk while locked they would only
      // be metadata. Dropped, as if this device had been offline.
      if (put === undefined || frame.qid === undefined) return;
      // Through the queue: the locked inbox must keep the relay's order.
      host.queue
        .run(() => put(encodeServerFrame(frame)))
        .then((result) => {
          if (result === 'full') {
            skippedWhileLocked = true;
            return;
          }
          if (frame.qid !== undefined) host.send({ t: 'ack', qids: [frame.qid] });
        })
        .catch((e: unknown) => host.reportError(e, 'locked inbox'));
    },
    /** After unlock: true once if the full locked inbox left frames on the relay. */
    takeSkipped(): boolean {
      const skipped = skippedWhileLocked;
      skippedWhileLocked = false;
      return skipped;
    },
  };
}
