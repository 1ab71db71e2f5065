import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Conversation } from '../conversations/conversations.ts';
import { isNewerTimer } from './timer.ts';

const base: Conversation = {
  v: 1,
  id: 'u:x',
  kind: 'direct',
  unread: 0,
  createdAt: 0,
  updatedAt: 0,
};

describe('direct-chat timer', () => {
  it('takes the later setting, the user id breaking ties', () => {
    expect(isNewerTimer(base, 0, 'a')).toBe(true);
    const set = { ...base, timer: 30_000, timerAt: 100, timerBy: 'b' };
    expect(isNewerTimer(set, 99, 'z')).toBe(false);
    expect(isNewerTimer(set, 101, 'a')).toBe(true);
    expect(isNewerTimer(set, 100, 'a')).toBe(false);
    expect(isNewerTimer(set, 100, 'c')).toBe(true);
  });

  it("two sides applying each other's settings in any order agree (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat(1000), by: fc.constantFrom('a', 'b'), timer: fc.nat(5) }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.func(fc.boolean()),
        (settings, flip) => {
          const apply = (order: typeof settings) => {
            let c: Conversation = base;
            for (const s of order) {
              if (isNewerTimer(c, s.at, s.by))
                c = { ...c, timer: s.timer, timerAt: s.at, timerBy: s.by };
            }
            return c.timer;
          };
          const shuffled = [...settings].sort(() => (flip() ? 1 : -1));
          // Distinct (at, by) pairs decide; identical pairs carry the first timer seen.
          const unique = new Set(settings.map((s) => `${s.at}/${s.by}`)).size === settings.length;
          if (unique) expect(apply(shuffled)).toBe(apply(settings));
        },
      ),
    );
  });
});
