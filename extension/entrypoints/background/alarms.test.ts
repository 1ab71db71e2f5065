import { describe, expect, it } from 'vitest';
import { fakeAlarms, manualClock } from '../../testing/fakes.ts';
import {
  ALARM_AUTO_LOCK,
  ALARM_BACKUP,
  ALARM_EXPIRY,
  ALARM_WAKE,
  AutoLock,
  scheduleBackupCheck,
  scheduleExpiry,
  scheduleWake,
} from './alarms.ts';

describe('AutoLock', () => {
  it('schedules the lock the configured minutes after arming', async () => {
    const alarms = fakeAlarms();
    const clock = manualClock();
    const lock = new AutoLock(alarms, clock.now);
    await lock.arm(15);
    expect(lock.deadline()).toBe(clock.now() + 15 * 60_000);
    expect(alarms.alarms.get(ALARM_AUTO_LOCK)).toEqual({ when: clock.now() + 15 * 60_000 });
    expect(lock.isDue()).toBe(false);
    clock.advance(15 * 60_000);
    expect(lock.isDue()).toBe(true);
  });

  it('moves the deadline on activity, without rescheduling for every keystroke', async () => {
    const alarms = fakeAlarms();
    const clock = manualClock();
    const lock = new AutoLock(alarms, clock.now);
    await lock.arm(5);
    const first = alarms.creates;
    clock.advance(1_000);
    await lock.touch();
    expect(alarms.creates).toBe(first); // within the slack
    clock.advance(60_000);
    await lock.touch();
    expect(alarms.creates).toBe(first + 1);
    expect(lock.deadline()).toBe(clock.now() + 5 * 60_000);
    // A stale alarm (fired for the old deadline) must not lock.
    clock.advance(4 * 60_000);
    expect(lock.isDue()).toBe(false);
  });

  it('does nothing on activity while disarmed, and disarm clears the alarm', async () => {
    const alarms = fakeAlarms();
    const clock = manualClock();
    const lock = new AutoLock(alarms, clock.now);
    await lock.touch();
    expect(alarms.alarms.size).toBe(0);
    await lock.arm(1);
    await lock.disarm();
    expect(lock.deadline()).toBeNull();
    expect(alarms.alarms.has(ALARM_AUTO_LOCK)).toBe(false);
    expect(lock.isDue()).toBe(false);
  });
});

describe('scheduleWake', () => {
  it('registers a periodic wake-up alarm', async () => {
    const alarms = fakeAlarms();
    await scheduleWake(alarms);
    expect(alarms.alarms.get(ALARM_WAKE)).toEqual({ periodInMinutes: 1 });
  });
});

describe('scheduleBackupCheck', () => {
  it('registers an hourly alarm that asks whether the daily backup is due', async () => {
    const alarms = fakeAlarms();
    await scheduleBackupCheck(alarms);
    expect(alarms.alarms.get(ALARM_BACKUP)).toEqual({ periodInMinutes: 60 });
  });
});

describe('expiry alarm', () => {
  it('follows the next disappearing-message deadline and goes away when none is left', async () => {
    const alarms = fakeAlarms();
    await scheduleExpiry(alarms, 1_700_000_030_000);
    expect(alarms.alarms.get(ALARM_EXPIRY)).toEqual({ when: 1_700_000_030_000 });
    await scheduleExpiry(alarms, 1_700_000_005_000);
    expect(alarms.alarms.get(ALARM_EXPIRY)).toEqual({ when: 1_700_000_005_000 });
    await scheduleExpiry(alarms, null);
    expect(alarms.alarms.has(ALARM_EXPIRY)).toBe(false);
  });
});

describe('AutoLock in a new worker', () => {
  it('takes the deadline back from the pending alarm; with none pending (it fired while stopped) says lock', async () => {
    const alarms = fakeAlarms();
    const clock = manualClock();
    await new AutoLock(alarms, clock.now).arm(60);
    const deadline = clock.now() + 60 * 60_000;
    clock.advance(30 * 60_000);
    const next = new AutoLock(alarms, clock.now); // the worker was stopped and started
    expect(next.isDue()).toBe(false);
    expect(await next.resume(60)).toBe(true);
    expect(next.deadline()).toBe(deadline);
    clock.advance(30 * 60_000);
    expect(next.isDue()).toBe(true);

    // The one-shot alarm fired (and is gone) and woke a new worker: it must not start a new
    // countdown, or the vault would stay open past its deadline.
    alarms.alarms.clear();
    const woken = new AutoLock(alarms, clock.now);
    expect(await woken.resume(60)).toBe(false);
    expect(woken.deadline()).toBe(null);
    expect(alarms.alarms.has(ALARM_AUTO_LOCK)).toBe(false);
  });
});
