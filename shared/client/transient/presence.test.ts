import { describe, expect, it } from 'vitest';
import { ONLINE_WINDOW_MS, PRESENCE_INTERVAL_MS, presenceView } from './presence.ts';

describe('presence', () => {
  it('is online while fresh "online" messages arrive, last seen otherwise', () => {
    expect(presenceView(undefined, 1_000)).toEqual({ online: false, lastSeen: null });
    expect(presenceView({ at: 1_000, online: true }, 1_000 + PRESENCE_INTERVAL_MS)).toEqual({
      online: true,
      lastSeen: 1_000,
    });
    // Two refreshes missed: no longer shown online.
    expect(presenceView({ at: 1_000, online: true }, 1_000 + ONLINE_WINDOW_MS)).toEqual({
      online: false,
      lastSeen: 1_000,
    });
    expect(presenceView({ at: 5_000, online: false }, 5_001)).toEqual({
      online: false,
      lastSeen: 5_000,
    });
    expect(ONLINE_WINDOW_MS).toBeGreaterThan(2 * PRESENCE_INTERVAL_MS);
  });
});
