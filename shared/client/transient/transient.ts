/**
 * Transient sends (typing indicators, presence): encrypted over the pairwise
 * sessions like everything else, sent with `transient: true` so the relay
 * only hands them to connected devices and never stores them, and never
 * queued here (an indicator that cannot go now is worthless later).
 */
import type { SendRecipient } from '../../wire/frames.ts';
import { SEND_MAX_RECIPIENT_USERS } from '../../wire/limits.ts';
import {
  encryptFor,
  ensureSessions,
  hasSession,
  knownDevices,
  type SessionContext,
} from '../sessions/sessions.ts';
import type { Batch } from '../store/batch.ts';

/**
 * Encrypts `content` for the devices of `users`. With `fetch`, missing
 * sessions are set up from bundles (REST); without it, only devices we
 * already have a session with are addressed.
 */
export async function transientRecipients(
  ctx: SessionContext,
  batch: Batch,
  users: readonly string[],
  content: Uint8Array,
  fetch: boolean,
): Promise<SendRecipient[]> {
  const to: SendRecipient[] = [];
  for (const user of users) {
    let devices: number[] = [];
    if (fetch) {
      const outcome = await ensureSessions(ctx, batch, user);
      if (outcome.identityChanged) continue;
      devices = outcome.devices;
    } else {
      for (const device of (await knownDevices(batch, user)) ?? []) {
        if (await hasSession(ctx, batch, user, device)) devices.push(device);
      }
    }
    if (devices.length === 0) continue;
    const bodies = [];
    for (const device of devices) {
      bodies.push({ device, body: await encryptFor(ctx, batch, user, device, content) });
    }
    to.push({ user, devices: bodies });
  }
  return to;
}

/** Splits recipients into frame-sized groups of users. */
export function chunkRecipients(to: readonly SendRecipient[]): SendRecipient[][] {
  const out: SendRecipient[][] = [];
  for (let i = 0; i < to.length; i += SEND_MAX_RECIPIENT_USERS) {
    out.push(to.slice(i, i + SEND_MAX_RECIPIENT_USERS));
  }
  return out;
}
