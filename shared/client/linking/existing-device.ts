/**
 * The existing device's side of linking (docs/protocol.md, "Linking a
 * device"): from the typed code (path A) or the link string (path B), find
 * the rendezvous, answer the new device's hello, check its key confirmation,
 * ask the host for approval (the extension puts its warning screen and a
 * passkey user verification there), then send the payload sealed under the
 * channel key and wait for the new device's result. Last, once the new device
 * is registered and its queue fills, export the history and tell it where the
 * archive is, or that there is none (docs/protocol.md, "History transfer").
 * UI-agnostic.
 */
import type { Random } from '../../crypto/random.ts';
import { ErrorCode, fail, isParleyError } from '../../errors.ts';
import { type LinkKeys, wipeLinkKeys } from '../../linking/link-channel.ts';
import { parseLinkCode } from '../../linking/link-code.ts';
import {
  acceptConfirm,
  answerHello,
  type ExistingSecret,
  historyMessage,
  LinkMessageType,
  messageType,
  openDone,
  payloadMessage,
} from '../../linking/link-handshake.ts';
import { parseLinkString } from '../../linking/link-string.ts';
import type { SessionResponse } from '../../wire/rest-auth.ts';
import { LinkSide } from '../../wire/rest-link.ts';
import type { IdentityExport } from '../account/account.ts';
import type { Settings } from '../account/settings.ts';
import type { Timers } from '../deps.ts';
import type { RelayApi } from '../relay/relay-api.ts';
import { encodeHistoryOffer, type HistoryOffer } from './history-offer.ts';
import { type HistorySender, sendHistory, type TransferProgress } from './history-transfer.ts';
import { decodeDescription, decodeResult, encodeLinkPayload } from './link-payload.ts';
import { LinkMailbox } from './mailbox.ts';

export interface LinkRequest {
  /** The name the new device gave itself (authenticated by the channel, chosen by its user). */
  readonly deviceName: string;
}

export interface ExistingDeviceLinkOptions {
  /** This account's relay API (the rendezvous must be on the same relay). */
  readonly api: RelayApi;
  readonly random: Random;
  readonly timers: Timers;
  readonly now: () => number;
  /** What the user typed: `LLLL-SSSS-SSSS`, or a `parley:link?...` string. */
  readonly code: string;
  /** Path B: show this 6-digit code; the user types it into the new device. */
  onCheckCode?(code: string): void;
  /**
   * The user's explicit decision, after the channel is confirmed and before
   * any secret leaves: the place for a warning screen and user verification.
   */
  approve(request: LinkRequest): Promise<boolean>;
  /** A session token for the new device (a passkey login), fetched only after approval. */
  session(): Promise<SessionResponse>;
  identity(): Promise<IdentityExport>;
  /**
   * Makes sure the account's signed device list names this device before the
   * new one lists itself on top of it (`signedDeviceList.ensureSelfListed`):
   * an account without a list would otherwise get one naming only the new
   * device, and this one would receive nothing (docs/protocol.md, "Linking a device").
   */
  ensureListed(): Promise<unknown>;
  settings(): Settings;
  /**
   * Send the messages to the new device (default true). False is "no history":
   * the archive then carries contacts, groups, conversations and settings only.
   */
  readonly history?: boolean;
  /**
   * Exports and uploads the archive (historySenderFor(client)); without it the
   * new device is told there is none.
   */
  readonly historySender?: HistorySender;
  /** Upload progress of the history archive, in blob bytes. */
  onHistoryProgress?(progress: TransferProgress): void;
  readonly pollMs?: number;
}

/**
 * What became of the history: sent (`bytes` of archive; `messages` false for
 * "no history"), not sent because this host has no sender, or failed.
 */
export type HistoryOutcome =
  | { readonly sent: true; readonly bytes: number; readonly messages: boolean }
  | { readonly sent: false; readonly reason: 'unsupported' | 'failed'; readonly error?: unknown };

export interface LinkedDevice {
  readonly deviceId: number;
  readonly deviceName: string;
  readonly history: HistoryOutcome;
}

function readCode(text: string): { locator?: string; secret: ExistingSecret } {
  if (text.trim().startsWith('parley:')) {
    const link = parseLinkString(text);
    return { secret: { path: 'string', link } };
  }
  const code = parseLinkCode(text);
  return { locator: code.locator, secret: { path: 'code', secret: code.secret } };
}

async function findRendezvous(o: ExistingDeviceLinkOptions, text: string) {
  const { locator, secret } = readCode(text);
  let rid: string;
  let expiresAt: number;
  try {
    if (locator !== undefined) {
      ({ rid, expiresAt } = await o.api.call('linkFind', { params: { locator } }));
    } else {
      rid = (secret as { link: { rid: string } }).link.rid;
      expiresAt = o.now() + 5 * 60_000;
    }
  } catch (error) {
    if (isParleyError(error, ErrorCode.NOT_FOUND))
      fail(ErrorCode.LINK_FAILED, 'No device is waiting with this code (expired?)', {
        reason: 'expired',
      });
    throw error;
  }
  return { mailbox: new LinkMailbox(o, rid, LinkSide.EXISTING, expiresAt), secret };
}

/** Answers the hello; resolves with the keys once the new device confirmed them. */
async function handshake(
  o: ExistingDeviceLinkOptions,
  mailbox: LinkMailbox,
  secret: ExistingSecret,
): Promise<{ keys: LinkKeys; request: LinkRequest; seq: number }> {
  const hello = await mailbox.next(0);
  const origin = new URL(o.api.baseUrl).origin;
  const earlier = await mailbox.peek(hello.seq);
  let seq = earlier.at(-1)?.seq ?? hello.seq;
  const { keys, message } = await answerHello(
    hello.body,
    secret,
    { origin, rid: mailbox.rid },
    o.random,
  );
  await mailbox.post(message);
  if (secret.path === 'string') o.onCheckCode?.(keys.checkCode);
  for (;;) {
    const reply = await mailbox.next(seq);
    seq = reply.seq;
    const type = messageType(reply.body);
    if (type === LinkMessageType.REJECT)
      fail(ErrorCode.LINK_FAILED, 'The new device did not confirm: wrong code?', {
        reason: 'confirmation',
      });
    if (type !== LinkMessageType.CONFIRM) continue;
    try {
      const request = { deviceName: decodeDescription(acceptConfirm(keys, reply.body)) };
      return { keys, request, seq };
    } catch (error) {
      if (isParleyError(error, ErrorCode.LINK_FAILED)) await mailbox.strike();
      throw error;
    }
  }
}

/**
 * The history offer for the new device. An export or upload that fails still
 * ends the link cleanly: the new device is told there is none and goes on.
 */
async function offerHistory(
  o: ExistingDeviceLinkOptions,
): Promise<{ offer: HistoryOffer; outcome: HistoryOutcome }> {
  const sender = o.historySender;
  if (sender === undefined)
    return { offer: { none: true }, outcome: { sent: false, reason: 'unsupported' } };
  const messages = o.history !== false;
  try {
    const offer = await sendHistory(sender, messages, o, (p) => o.onHistoryProgress?.(p));
    return { offer, outcome: { sent: true, bytes: offer.size, messages } };
  } catch (error) {
    return {
      offer: { none: true, failed: true },
      outcome: { sent: false, reason: 'failed', error },
    };
  }
}

/**
 * Runs the existing device's side; resolves with the new device once it
 * registered and the history offer went out (the new device closes the
 * rendezvous once it read it).
 */
export async function approveLink(o: ExistingDeviceLinkOptions): Promise<LinkedDevice> {
  const { mailbox, secret } = await findRendezvous(o, o.code);
  const { keys, request, seq } = await handshake(o, mailbox, secret);
  try {
    if (!(await o.approve(request))) {
      await mailbox.close();
      fail(ErrorCode.LINK_FAILED, 'Linking was declined on this device', { reason: 'declined' });
    }
    await o.ensureListed();
    const payload = encodeLinkPayload({
      relayUrl: o.api.baseUrl,
      session: await o.session(),
      identity: await o.identity(),
      settings: o.settings(),
    });
    await mailbox.post(payloadMessage(keys, payload));
    payload.fill(0);
    const done = await mailbox.next(seq);
    const deviceId = decodeResult(openDone(keys, done.body));
    const { offer, outcome } = await offerHistory(o);
    await mailbox.post(historyMessage(keys, encodeHistoryOffer(offer)));
    if ('root' in offer) offer.root.fill(0);
    return { deviceId, deviceName: request.deviceName, history: outcome };
  } finally {
    wipeLinkKeys(keys);
  }
}
