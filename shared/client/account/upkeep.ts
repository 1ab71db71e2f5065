/**
 * The running client's upkeep: after every ready, our own device list is
 * refreshed (a new or removed device of this account: own-devices-upkeep.ts); every hour, and
 * sooner when the relay reports few one-time prekeys left, prekeys are
 * refilled and rotated and the dedupe and resend records pruned. The last
 * run is persisted: an MV3 worker rarely lives an hour.
 */
import * as v from 'valibot';
import {
  ONE_TIME_KEM_PREKEYS_REFILL_BELOW,
  ONE_TIME_PREKEYS_REFILL_BELOW,
} from '../../wire/limits.ts';
import type { ClientHost } from '../host.ts';
import { pruneSeen } from '../inbox/inbox.ts';
import { pruneSent } from '../inbox/retry.ts';
import { decodeRecord, encodeRecord, IntField } from '../store/record-codec.ts';
import { Keys } from '../store/storage-keys.ts';
import type { ClientStorage } from '../store/store.ts';
import { type MaintenanceResult, maintainPrekeys } from './account.ts';
import { createOwnDevicesUpkeep, type OwnDevicesUpkeepHost } from './own-devices-upkeep.ts';

const MAINTENANCE_INTERVAL_MS = 60 * 60 * 1000;
const AtSchema = v.object({ at: IntField });

export interface UpkeepHost extends OwnDevicesUpkeepHost, Pick<ClientHost, 'timers' | 'random'> {
  readonly storage: ClientStorage;
}

/** The one-time prekey counts a `ready` frame reports (an older relay omits the ML-KEM one). */
export interface ReadyPrekeyStock {
  readonly oneTimePreKeys?: number | undefined;
  readonly oneTimeKemPreKeys?: number | undefined;
}

/** Below the refill mark of either kind: maintenance now rather than at the hour. */
export function runsLow(stock: ReadyPrekeyStock): boolean {
  const { oneTimePreKeys, oneTimeKemPreKeys } = stock;
  return (
    (oneTimePreKeys !== undefined && oneTimePreKeys < ONE_TIME_PREKEYS_REFILL_BELOW) ||
    (oneTimeKemPreKeys !== undefined && oneTimeKemPreKeys < ONE_TIME_KEM_PREKEYS_REFILL_BELOW)
  );
}

export function createUpkeep(host: UpkeepHost) {
  const { records, transact, timers, now, random, storage } = host;
  let timer: unknown;

  /** When prekeys were last checked. */
  async function lastMaintenance(): Promise<number | undefined> {
    const raw = await records.get(Keys.maintenance);
    return raw === undefined ? undefined : decodeRecord(AtSchema, raw, 'maintenance').at;
  }

  const ownDevices = createOwnDevicesUpkeep(host);

  async function runMaintenance(): Promise<MaintenanceResult | undefined> {
    const ctx = host.sessionContext();
    if (ctx === undefined) return undefined;
    try {
      return await transact(async (batch) => {
        const result = await maintainPrekeys({ storage, now, random }, ctx.api, ctx.account);
        await pruneSeen(batch, now());
        await pruneSent(batch, now());
        batch.set(Keys.maintenance, encodeRecord({ at: now() }));
        return result;
      });
    } catch (e) {
      host.reportError(e, 'prekey maintenance');
      return undefined;
    }
  }

  function schedule(): void {
    timer = timers.setTimeout(() => {
      void runMaintenance().finally(() => {
        if (timer !== undefined) schedule();
      });
    }, MAINTENANCE_INTERVAL_MS);
  }

  return {
    runMaintenance,
    ...ownDevices,
    /**
     * After a ready: maintenance when an hour has passed or the relay runs low
     * on either kind of our one-time prekeys.
     */
    async onReady(stock: ReadyPrekeyStock = {}): Promise<void> {
      const last = await lastMaintenance();
      const due = last === undefined || now() - last >= MAINTENANCE_INTERVAL_MS;
      if (due || runsLow(stock)) void runMaintenance();
    },
    start: schedule,
    stop(): void {
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
    },
  };
}
