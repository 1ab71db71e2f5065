import { describe, expect, it } from 'vitest';
import type { ParleyClient } from '../../../shared/client/parley-client.ts';
import { type EventTargets, forwardClientEvents } from './client-events.ts';

/** Only `on` is used by forwardClientEvents: a fake client that records the handlers. */
function fakeClient() {
  const handlers = new Map<string, (payload: unknown) => void>();
  const client = {
    on: (type: string, handler: (payload: unknown) => void) => {
      handlers.set(type, handler);
      return () => handlers.delete(type);
    },
  } as unknown as ParleyClient;
  return { client, fire: (type: string, payload: unknown) => handlers.get(type)?.(payload) };
}

describe('client events in the worker', () => {
  it('settings synced from another device are stored through the context, not handed back to the core', async () => {
    const { client, fire } = fakeClient();
    const adopted: unknown[] = [];
    const reports: string[] = [];
    const ctx = {
      adoptSyncedSettings: async (s: unknown) => {
        adopted.push(s);
      },
    } as unknown as EventTargets['ctx'];
    forwardClientEvents(client, {
      ctx,
      views: {} as EventTargets['views'],
      feed: {} as EventTargets['feed'],
      report: (what) => reports.push(what),
      relayStatus: () => ({ state: 'online' }) as ReturnType<EventTargets['relayStatus']>,
      unreadChanged: () => {},
    });
    fire('settings', { readReceipts: false, typingIndicators: true, showPresence: false });
    await Promise.resolve();
    expect(adopted).toEqual([{ readReceipts: false, typingIndicators: true, showPresence: false }]);
    expect(reports).toEqual([]);
  });
});
