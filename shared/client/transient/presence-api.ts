/**
 * The running client's presence: "online" to accepted contacts on every
 * ready and then every PRESENCE_INTERVAL_MS while connected, a hello answered
 * once, "offline" on stop, and nothing at all while the setting hides it.
 * Also the transient send that presence and typing share: encrypted for the
 * devices we have sessions with, never stored, never queued in the outbox.
 */
import type { ClientFrame } from '../../wire/frames.ts';
import { ContactStatus, listContacts } from '../contacts/contacts.ts';
import type { ClientHost } from '../host.ts';
import { encodeContent } from '../sessions/content.ts';
import type { SessionContext } from '../sessions/sessions.ts';
import { chunkRecipients, transientRecipients } from './transient.ts';

export interface PresenceHost
  extends Pick<ClientHost, 'records' | 'transact' | 'timers' | 'random' | 'reportError'> {
  sessionContext(): SessionContext | undefined;
  /** The socket is up and authenticated. */
  online(): boolean;
  /** Sends on the socket; false when it is not up. */
  send(frame: ClientFrame): boolean;
  /** The showPresence setting. */
  shown(): boolean;
  readonly intervalMs: number;
}

export function createPresence(host: PresenceHost) {
  const { records, transact, timers, random } = host;
  let timer: unknown;

  /** One transient, encrypted send to the devices of `users` we have sessions with. */
  async function sendTransient(
    users: readonly string[],
    content: Uint8Array,
    fetchSessions: boolean,
  ): Promise<boolean> {
    if (users.length === 0 || !host.online()) return false;
    const ctx = host.sessionContext();
    if (ctx === undefined) return false;
    const frames = await transact(async (batch) => {
      const to = await transientRecipients(ctx, batch, users, content, fetchSessions);
      return chunkRecipients(to);
    });
    let sent = false;
    for (const to of frames) {
      if (to.length === 0) continue;
      sent = host.send({ t: 'send', id: random(16), to, transient: true }) || sent;
    }
    return sent;
  }

  /** Presence to accepted contacts (all of them, or `only`); nothing when hidden. */
  async function send(online: boolean, hello: boolean, only?: readonly string[]): Promise<boolean> {
    const ctx = host.sessionContext();
    if (!host.shown() || ctx === undefined) return false;
    const own = ctx.account.userId;
    const users: string[] = [];
    for (const c of await listContacts(records)) {
      if (c.user === own || c.status !== ContactStatus.ACCEPTED || c.change !== undefined) continue;
      if (only !== undefined && !only.includes(c.user)) continue;
      users.push(c.user);
    }
    const content = encodeContent({
      v: 1,
      t: 'presence',
      online,
      ...(hello ? { hello: true } : {}),
    });
    return sendTransient(users, content, false);
  }

  /** Sends in the background; failures go to reportError. */
  function announce(online: boolean, hello: boolean, only?: readonly string[]): void {
    void send(online, hello, only).catch((e: unknown) => host.reportError(e, 'presence'));
  }

  function schedule(): void {
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = timers.setTimeout(() => {
      timer = undefined;
      if (!host.online()) return;
      void send(true, false)
        .catch((e: unknown) => host.reportError(e, 'presence'))
        .finally(schedule);
    }, host.intervalMs);
  }

  function cancel(): void {
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = undefined;
  }

  return {
    sendTransient,
    send,
    announce,
    /** After every ready: "online" with a hello (when shown), then the refresh timer. */
    onReady(): void {
      if (host.shown()) announce(true, true);
      schedule();
    },
    /** A hello from `user`: answered outside the inbox job (it must not wait for encryption). */
    answerHello(user: string): void {
      if (!host.shown()) return;
      void Promise.resolve()
        .then(() => send(true, false, [user]))
        .catch((e: unknown) => host.reportError(e, 'presence'));
    },
    /** The showPresence setting changed from `before` to the current value. */
    settingChanged(before: boolean): void {
      if (!host.online() || before === host.shown()) return;
      // Hidden from now on: a last "offline" would itself be presence; send nothing.
      if (before) cancel();
      else {
        announce(true, true);
        schedule();
      }
    },
    /** On stop: a last "offline" (when shown and able), then no more timer. */
    async stop(): Promise<void> {
      if (host.online() && host.shown() && host.sessionContext() !== undefined) {
        await send(false, false).catch((e: unknown) => host.reportError(e, 'presence'));
      }
      cancel();
    },
  };
}
