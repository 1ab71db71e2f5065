// While the vault is locked the worker's IndexedDB store cannot read the
// expiry index (its keys are opaque: record-keys.ts), so the core hands the
// disappearing-message sweep to the store's bucketed `lockedSweep`, and back
// to the client core once unlocked. No relay needed: nothing here connects.
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { nodeFetch, nodeTimers } from '../../../shared/client/testing/harness.ts';
import { systemRandom } from '../../../shared/crypto/random.ts';
import { DEFAULT_SETTINGS } from '../../lib/protocol.ts';
import { lockableStorage, memoryMeta, memoryQueue } from '../../testing/fakes.ts';
import { DeviceAddressStore } from './account.ts';
import { ChatViews } from './chat-views.ts';
import { ClientRuntime } from './client-runtime.ts';
import { LockedInbox } from './locked-inbox.ts';
import type { RuntimeContext } from './runtime-context.ts';
import { createWorkerClient } from './worker-client.ts';

describe('the disappearing-message sweep while locked', () => {
  it('goes to the store by bucket while locked and to the client core once unlocked', async () => {
    const storage = lockableStorage();
    storage.locked = true;
    const meta = memoryMeta();
    const alarms: Array<number | null> = [];
    const sweeps: number[] = [];
    const reports: string[] = [];
    let nextBucket: number | null = 120_000;
    const platform = {
      fetch: nodeFetch,
      webSocket: WebSocket,
      timers: nodeTimers,
      report: (what: string) => reports.push(what),
    };
    const ctx: RuntimeContext = {
      storage,
      lockedInbox: new LockedInbox({ queue: memoryQueue(), meta, records: storage.records }),
      isUnlocked: () => !storage.locked,
      settings: async () => DEFAULT_SETTINGS,
      emit: () => {},
      setRelayStatus: () => {},
      notify: () => {},
      isViewing: () => false,
      setUnread: () => {},
      scheduleWake: async () => {},
      scheduleExpiry: async (at) => void alarms.push(at),
      lockedSweep: {
        nextLockedSweep: async () => nextBucket,
        sweepLocked: async (now) => {
          sweeps.push(now);
          nextBucket = 180_000;
          return 2;
        },
      },
      now: () => 125_000,
      random: systemRandom,
    };
    const client = createWorkerClient(ctx, platform);
    const core = new ClientRuntime({
      ctx,
      platform,
      addresses: new DeviceAddressStore(meta),
      client,
      views: new ChatViews(client),
    });

    expect(await core.expireDue()).toBe(2);
    expect(sweeps).toEqual([125_000]);
    expect(alarms).toEqual([180_000]); // the next bucket's end

    storage.locked = false;
    expect(await core.expireDue()).toBe(0); // the client core's own sweep: nothing due
    expect(sweeps).toHaveLength(1);
    expect(reports).toEqual([]);
    await core.stop();
  });
});
