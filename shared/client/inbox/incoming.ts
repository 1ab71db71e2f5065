/**
 * Incoming traffic: every frame the relay sends, routed. Deliveries are
 * applied on the serial queue in relay order (inbox.ts) and acked in
 * batches once applied; while the vault is locked they go to the
 * extension's locked inbox instead (locked-deliveries.ts). Receipts owed for
 * what arrived are encrypted once the queue has no delivery waiting.
 */
import { ParleyError } from '../../errors.ts';
import type { DeliverFrame, ServerFrame } from '../../wire/frames.ts';
import { ACK_MAX_QIDS } from '../../wire/limits.ts';
import type { ReadyPrekeyStock } from '../account/upkeep.ts';
import type { InboxEffect } from '../effects.ts';
import type { ClientHost } from '../host.ts';
import type { Sender } from '../outbox/sender.ts';
import type { RelayApi } from '../relay/relay-api.ts';
import type { SessionContext } from '../sessions/sessions.ts';
import { Batch } from '../store/batch.ts';
import { processDelivery } from './inbox.ts';
import { createLockedDeliveries, type LockedDeliveriesHost } from './locked-deliveries.ts';
import { flushReceipts } from './receipts.ts';

const ACK_BATCH = 64;

export interface IncomingHost
  extends Pick<
      ClientHost,
      'records' | 'queue' | 'transact' | 'now' | 'random' | 'stamps' | 'events' | 'reportError'
    >,
    LockedDeliveriesHost {
  sessionContext(): SessionContext | undefined;
  requireSessions(): SessionContext;
  requireApi(): RelayApi;
  isLocked(): boolean;
  /** A new socket: the relay delivers what was not acked again. */
  recycle(): void;
  readReceipts(): boolean;
  emit(effects: readonly InboxEffect[]): void;
  readonly sender: Pick<Sender, 'pump' | 'onStored' | 'onMismatch' | 'onError'>;
  answerHello(user: string): void;
  onReady(stock: ReadyPrekeyStock): void;
}

export function createIncoming(host: IncomingHost) {
  const { records, queue, transact, now, random, stamps, events } = host;
  let pendingAcks: number[] = [];
  let deliveriesQueued = 0;
  let receiptsPending = false;
  const locked = createLockedDeliveries(host);

  async function handleDelivery(frame: DeliverFrame): Promise<boolean> {
    const ctx = host.requireSessions();
    const verifyHandle = async (user: string, claimed: string) => {
      try {
        const found = await host.requireApi().lookupHandle(claimed);
        return found.user === user ? found.handle : undefined;
      } catch {
        return undefined;
      }
    };
    const outcome = await processDelivery(
      { sessions: ctx, stamps, verifyHandle },
      new Batch(records),
      frame,
    );
    host.emit(outcome.effects);
    if (
      outcome.effects.some(
        (e) => e.type === 'message' && !e.message.outgoing && e.message.kind === 'text',
      )
    ) {
      receiptsPending = true;
    }
    if (outcome.receiptsReleased === true) receiptsPending = true;
    if (outcome.queuedOutbox) host.sender.pump();
    if (outcome.helloFrom !== undefined) host.answerHello(outcome.helloFrom);
    return outcome.ack;
  }

  function flushAcks(): void {
    while (pendingAcks.length > 0) {
      const qids = pendingAcks.slice(0, ACK_MAX_QIDS);
      if (!host.send({ t: 'ack', qids })) {
        // Not online: the relay redelivers, the inbox dedupes.
        pendingAcks = [];
        return;
      }
      pendingAcks = pendingAcks.slice(qids.length);
    }
  }

  function onDeliver(frame: DeliverFrame): void {
    if (host.isLocked()) {
      locked.accept(frame);
      return;
    }
    deliveriesQueued++;
    queue
      .run(() => handleDelivery(frame))
      .then(
        (ack) => {
          if (ack && frame.qid !== undefined) pendingAcks.push(frame.qid);
        },
        (e: unknown) => {
          // Not acked: a new socket makes the relay deliver it again (the inbox dedupes what was applied).
          host.reportError(e, 'inbox');
          host.recycle();
        },
      )
      .finally(() => {
        deliveriesQueued--;
        if (pendingAcks.length >= ACK_BATCH || deliveriesQueued === 0) flushAcks();
        if (deliveriesQueued === 0 && receiptsPending) scheduleReceipts();
      });
  }

  function scheduleReceipts(): void {
    receiptsPending = false;
    transact(async (batch) => {
      const ctx = host.sessionContext();
      if (ctx === undefined) return 0;
      return flushReceipts(
        { ownUser: ctx.account.userId, readReceipts: host.readReceipts(), now, random, stamps },
        batch,
      );
    })
      .then((queued) => {
        if (queued > 0) host.sender.pump();
      })
      .catch((e: unknown) => host.reportError(e, 'receipts'));
  }

  function onFrame(frame: ServerFrame): void {
    const locked = host.isLocked();
    switch (frame.t) {
      case 'ready':
        if (!locked) {
          host.onReady({
            oneTimePreKeys: frame.oneTimePreKeys,
            oneTimeKemPreKeys: frame.oneTimeKemPreKeys,
          });
        }
        return;
      case 'deliver':
        onDeliver(frame);
        return;
      case 'drained':
        events.emit('drained', { at: now() });
        return;
      case 'stored':
        // While locked the outbox cannot be updated; it resends after unlock and hears again.
        if (!locked) host.sender.onStored(frame);
        return;
      case 'mismatch':
        if (!locked) host.sender.onMismatch(frame);
        return;
      case 'error':
        if (!locked) host.sender.onError(frame);
        if (frame.ref === undefined)
          host.reportError(new ParleyError(frame.code, frame.message), 'relay');
        return;
      default:
        return;
    }
  }

  return {
    onFrame,
    scheduleReceipts,
    /** The socket closed: unsent acks are moot (the relay redelivers). */
    onDisconnect(): void {
      pendingAcks = [];
    },
    /** Applies a frame the locked inbox kept (already acked to the relay). */
    async ingest(frame: DeliverFrame): Promise<void> {
      await queue.run(() => handleDelivery(frame));
      if (receiptsPending) scheduleReceipts();
    },
    /** After unlock: true once if the full locked inbox left frames on the relay. */
    takeSkipped: locked.takeSkipped,
  };
}
