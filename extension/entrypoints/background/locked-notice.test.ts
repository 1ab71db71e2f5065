import { describe, expect, it } from 'vitest';
import { manualClock, memorySession } from '../../testing/fakes.ts';
import {
  LOCKED_NOTICE_INTERVAL_MS,
  LOCKED_NOTICE_MESSAGE,
  LOCKED_NOTIFICATION_ID,
  LockedNotice,
  type NotificationsApi,
} from './locked-notice.ts';

function fakeNotifications() {
  const shown = new Map<string, { title: string; message: string }>();
  let creates = 0;
  const api: NotificationsApi = {
    async create(id, options) {
      creates++;
      shown.set(id, { title: options.title, message: options.message });
    },
    async clear(id) {
      return shown.delete(id);
    },
  };
  return {
    api,
    shown,
    get creates() {
      return creates;
    },
  };
}

function setup(enabled = true) {
  const notifications = fakeNotifications();
  const clock = manualClock();
  const session = memorySession();
  let on = enabled;
  const notice = new LockedNotice({
    notifications: notifications.api,
    session,
    now: clock.now,
    enabled: async () => on,
    iconUrl: 'chrome-extension://x/icon/128.png',
  });
  return { notice, notifications, clock, session, setEnabled: (v: boolean) => (on = v) };
}

describe('LockedNotice', () => {
  it('says that messages wait, with no sender and no text, once per interval', async () => {
    const { notice, notifications, clock } = setup();
    const burst = await Promise.all([notice.arrived(), notice.arrived(), notice.arrived()]);
    expect(burst).toEqual([true, false, false]);
    expect(notifications.creates).toBe(1);
    expect([...notifications.shown]).toEqual([
      [LOCKED_NOTIFICATION_ID, { title: 'Parley', message: LOCKED_NOTICE_MESSAGE }],
    ]);
    expect(LOCKED_NOTICE_MESSAGE).toBe('New messages — unlock Parley to read');
    clock.advance(LOCKED_NOTICE_INTERVAL_MS - 1);
    expect(await notice.arrived()).toBe(false);
    clock.advance(1);
    expect(await notice.arrived()).toBe(true);
    expect(notifications.creates).toBe(2);
  });

  it('keeps the rate limit across worker restarts (session memory), and starts over after unlock', async () => {
    const first = setup();
    await first.notice.arrived();
    const again = new LockedNotice({
      notifications: first.notifications.api,
      session: first.session,
      now: first.clock.now,
      enabled: async () => true,
      iconUrl: '',
    });
    expect(await again.arrived()).toBe(false);
    await again.clear();
    expect(first.notifications.shown.size).toBe(0);
    expect(await again.arrived()).toBe(true); // the next lock tells again at once
  });

  it('stays quiet when notifications are off', async () => {
    const { notice, notifications, setEnabled } = setup(false);
    expect(await notice.arrived()).toBe(false);
    expect(notifications.creates).toBe(0);
    setEnabled(true);
    expect(await notice.arrived()).toBe(true);
  });
});
