/**
 * Timers that must survive the service worker's sleep, on chrome.alarms:
 *  - auto-lock: fires once, `autoLockMinutes` after the last activity in a
 *    Parley page; rescheduled (at most every few seconds) on activity. A new
 *    worker that reopened the vault from its session copy takes the deadline
 *    back from the alarm (`AutoLock.resume`).
 *  - wake: every minute while an account exists, so a stopped worker starts
 *    again and the core reconnects to the relay even with no page open.
 *  - expiry: at the end of the next disappearing-message countdown, so the
 *    message is deleted on time even when the worker was stopped and the
 *    vault is locked (the sweep needs record keys only).
 *  - backup: every hour while an account exists; a daily backup runs when
 *    it is due and the vault is open (backups.ts).
 * And the keepalive: while the vault is open the worker calls a cheap
 * extension API every 20 s, which resets Chrome's 30 s idle timer. Not for
 * the key (that survives a stop: vault-session.ts) but so the page RPCs and
 * the unread badge answer without a cold start.
 *
 * Runs in: the service worker; the scheduling logic is testable with a fake AlarmsApi.
 */
export const ALARM_AUTO_LOCK = 'parley/auto-lock';
export const ALARM_WAKE = 'parley/wake';
export const ALARM_EXPIRY = 'parley/expiry';
/** Hourly: is the daily backup due? (backups.ts decides; it needs the open vault.) */
export const ALARM_BACKUP = 'parley/backup';
export const BACKUP_CHECK_MINUTES = 60;
export const WAKE_PERIOD_MINUTES = 1;
export const KEEPALIVE_MS = 20_000;
/** Activity closer than this to the last reschedule does not touch chrome.alarms again. */
const RESCHEDULE_SLACK_MS = 5_000;

/** The slice of chrome.alarms used here. */
export interface AlarmsApi {
  create(name: string, info: { when?: number; periodInMinutes?: number }): Promise<void> | void;
  clear(name: string): Promise<boolean> | Promise<void> | void;
  get(name: string): Promise<{ scheduledTime: number } | undefined>;
}

export class AutoLock {
  readonly #alarms: AlarmsApi;
  readonly #now: () => number;
  #deadline: number | null = null;
  #minutes = 0;

  constructor(alarms: AlarmsApi, now: () => number) {
    this.#alarms = alarms;
    this.#now = now;
  }

  /** Epoch ms at which the vault locks, or null when no lock is scheduled. */
  deadline(): number | null {
    return this.#deadline;
  }

  /** Starts (or restarts) the countdown from now. */
  async arm(minutes: number): Promise<void> {
    this.#minutes = minutes;
    this.#deadline = this.#now() + minutes * 60_000;
    await this.#alarms.create(ALARM_AUTO_LOCK, { when: this.#deadline });
  }

  /**
   * A new worker with the vault reopened from its session copy: the deadline
   * is the pending alarm's (it survived the worker). False when no alarm is
   * pending: it fired while the worker was stopped (this very start may be
   * that alarm's) or Chrome dropped it; either way the caller locks, since
   * an open vault without a running countdown would never lock.
   */
  async resume(minutes: number): Promise<boolean> {
    this.#minutes = minutes;
    const pending = await this.#alarms.get(ALARM_AUTO_LOCK);
    if (pending === undefined) return false;
    this.#deadline = pending.scheduledTime;
    return true;
  }

  /** Activity: push the deadline out, without hammering chrome.alarms. */
  async touch(): Promise<void> {
    if (this.#deadline === null) return;
    const next = this.#now() + this.#minutes * 60_000;
    if (next - this.#deadline < RESCHEDULE_SLACK_MS) return;
    this.#deadline = next;
    await this.#alarms.create(ALARM_AUTO_LOCK, { when: next });
  }

  async disarm(): Promise<void> {
    this.#deadline = null;
    await this.#alarms.clear(ALARM_AUTO_LOCK);
  }

  /** True when an auto-lock alarm that fired should lock now (it may be stale after a reschedule). */
  isDue(): boolean {
    return this.#deadline !== null && this.#now() >= this.#deadline - 1_000;
  }
}

export function scheduleWake(alarms: AlarmsApi): Promise<void> | void {
  return alarms.create(ALARM_WAKE, { periodInMinutes: WAKE_PERIOD_MINUTES });
}

export function scheduleBackupCheck(alarms: AlarmsApi): Promise<void> | void {
  return alarms.create(ALARM_BACKUP, { periodInMinutes: BACKUP_CHECK_MINUTES });
}

/** Calls `ping` (an extension API) every KEEPALIVE_MS until the returned stop function runs. */
export function startKeepalive(ping: () => Promise<unknown>): () => void {
  const timer = setInterval(() => {
    ping().catch(() => undefined);
  }, KEEPALIVE_MS);
  return () => clearInterval(timer);
}

/**
 * Keeps the expiry alarm at `at` (epoch ms), or removes it when nothing
 * counts down. Chromium delays alarms of packed extensions to at least 30 s
 * after they are set; the client core's own timer covers the moments the
 * worker runs anyway, the alarm the moments it does not.
 */
export async function scheduleExpiry(alarms: AlarmsApi, at: number | null): Promise<void> {
  if (at === null) await alarms.clear(ALARM_EXPIRY);
  else await alarms.create(ALARM_EXPIRY, { when: at });
}
