/**
 * What a locked Parley says when messages arrive: one content-free system
 * notification ("New messages — unlock Parley to read": no sender, no text,
 * not even which conversation, because nothing is decrypted while locked),
 * at most once per `LOCKED_NOTICE_INTERVAL_MS`, only if notifications are on.
 * Its click opens the unlock screen (index.ts); unlocking clears it.
 *
 * When it was last shown is kept in session memory (`storage.session`), so
 * the rate limit holds across worker restarts; a browser restart starts over.
 *
 * Runs in: the service worker; testable with fakes (the APIs are injected).
 */
import type { SessionArea } from './vault-session.ts';

export const LOCKED_NOTIFICATION_ID = 'parley/locked';
export const LOCKED_NOTICE_TITLE = 'Parley';
export const LOCKED_NOTICE_MESSAGE = 'New messages — unlock Parley to read';
/** A second burst within this time updates the badge only. */
export const LOCKED_NOTICE_INTERVAL_MS = 5 * 60_000;
export const SESSION_LOCKED_NOTICE_AT = 'parley/locked-notice-at';

/** The slice of chrome.notifications used here. */
export interface NotificationsApi {
  create(
    id: string,
    options: { type: 'basic'; iconUrl: string; title: string; message: string; priority: number },
  ): Promise<unknown>;
  clear(id: string): Promise<unknown>;
}

export interface LockedNoticeDeps {
  readonly notifications: NotificationsApi;
  readonly session: SessionArea;
  readonly now: () => number;
  /** The notifications setting, read at each arrival (it may change while locked). */
  readonly enabled: () => Promise<boolean>;
  readonly iconUrl: string;
}

export class LockedNotice {
  readonly #d: LockedNoticeDeps;
  /** Serialises arrivals: a burst of frames must not race past the rate limit. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(deps: LockedNoticeDeps) {
    this.#d = deps;
  }

  /** A sealed message frame was queued while locked. Resolves true if a notification was shown. */
  arrived(): Promise<boolean> {
    const run = this.#queue.then(() => this.#arrived());
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #arrived(): Promise<boolean> {
    const { session, now, notifications } = this.#d;
    if (!(await this.#d.enabled())) return false;
    const last = (await session.get(SESSION_LOCKED_NOTICE_AT))[SESSION_LOCKED_NOTICE_AT];
    if (typeof last === 'number' && now() - last < LOCKED_NOTICE_INTERVAL_MS && now() >= last)
      return false;
    await session.set({ [SESSION_LOCKED_NOTICE_AT]: now() });
    await notifications.create(LOCKED_NOTIFICATION_ID, {
      type: 'basic',
      iconUrl: this.#d.iconUrl,
      title: LOCKED_NOTICE_TITLE,
      message: LOCKED_NOTICE_MESSAGE,
      priority: 1,
    });
    return true;
  }

  /** Unlocked (the waiting messages are about to be shown): the notice goes, the next lock starts afresh. */
  async clear(): Promise<void> {
    await this.#d.session.remove(SESSION_LOCKED_NOTICE_AT);
    await this.#d.notifications.clear(LOCKED_NOTIFICATION_ID);
  }
}
