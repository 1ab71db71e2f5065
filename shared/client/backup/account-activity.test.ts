import { describe, expect, it } from 'vitest';
import { recentlyActiveDevice, STILL_ACTIVE_WINDOW_MS } from './account-activity.ts';

const NOW = 1_800_000_000_000;
const DAY = 24 * 3600_000;

describe('recentlyActiveDevice', () => {
  it('picks the most recently seen device inside the window', () => {
    const found = recentlyActiveDevice(
      [
        { id: 1, addedAt: NOW - 90 * DAY, lastSeenAt: NOW - 3 * DAY },
        { id: 2, addedAt: NOW - 90 * DAY, lastSeenAt: NOW - DAY },
        { id: 3, addedAt: NOW - 90 * DAY },
      ],
      NOW,
    );
    expect(found).toEqual({ id: 2, addedAt: NOW - 90 * DAY, lastSeenAt: NOW - DAY });
  });

  it('counts the window edge in and anything older, or never seen, out', () => {
    const edge = { id: 1, addedAt: 0, lastSeenAt: NOW - STILL_ACTIVE_WINDOW_MS };
    expect(recentlyActiveDevice([edge], NOW)?.id).toBe(1);
    expect(
      recentlyActiveDevice([{ ...edge, lastSeenAt: edge.lastSeenAt - 1 }], NOW),
    ).toBeUndefined();
    expect(recentlyActiveDevice([{ id: 2, addedAt: NOW }], NOW)).toBeUndefined();
    expect(recentlyActiveDevice([], NOW)).toBeUndefined();
    expect(STILL_ACTIVE_WINDOW_MS).toBe(14 * DAY);
  });
});
