/**
 * The new device's side of linking (docs/protocol.md, "Linking a device"):
 * open a rendezvous, show the code (or the link string), wait for the existing
 * device, check its key confirmation (path A) or the check code the user
 * types (path B), describe ourselves, receive the payload, and register
 * through registerLinkedDevice. Then the history (docs/protocol.md, "History
 * transfer"): wait for the existing device's offer, download and verify the
 * archive, import it and ACK the blob, all before the host starts the client,
 * so the queue that filled since registration is drained only after the
 * history is in (Signal's order; duplicates are skipped by message id).
 * UI-agnostic: the host shows and asks through callbacks. Three failed
 * confirmations kill the code (here and at the relay).
 */
import type { Random } from '../../crypto/random.ts';
import { ErrorCode, fail, isParleyError } from '../../errors.ts';
import { type LinkKeys, wipeLinkKeys } from '../../linking/link-channel.ts';
import { formatLinkCode, newLinkSecret } from '../../linking/link-code.ts';
import {
  acceptKeys,
  confirmMessage,
  createNewSide,
  doneMessage,
  helloMessage,
  LinkMessageType,
  type LinkPlace,
  messageType,
  type NewSide,
  openHistory,
  openPayload,
  rejectMessage,
  verifyCheckCode,
} from '../../linking/link-handshake.ts';
import { formatLinkString } from '../../linking/link-string.ts';
import { LINK_MAX_STRIKES } from '../../wire/limits.ts';
import { LinkSide } from '../../wire/rest-link.ts';
import type { Timers } from '../deps.ts';
import type { RelayApi } from '../relay/relay-api.ts';
import type { AccountInfo } from '../views.ts';
import { decodeHistoryOffer, hasArchive } from './history-offer.ts';
import { type HistoryReceiver, receiveHistory } from './history-transfer.ts';
import {
  decodeLinkPayload,
  encodeDescription,
  encodeResult,
  type LinkPayload,
} from './link-payload.ts';
import { LinkMailbox, type MailboxMessage } from './mailbox.ts';

/** What the new device shows: the typed code (path A) or the link string (path B). */
export interface LinkInvitation {
  readonly code?: string;
  readonly linkString?: string;
  readonly expiresAt: number;
}

export interface NewDeviceLinkOptions {
  /** An API for the relay (no signer needed: the rendezvous is anonymous). */
  readonly api: RelayApi;
  readonly random: Random;
  readonly timers: Timers;
  readonly now: () => number;
  /** Shown on the existing device's approval screen. */
  readonly deviceName: string;
  /** 'code' (default): a typed code; 'string': a link string plus a check code. */
  readonly path?: 'code' | 'string';
  /** Show this to the user. */
  onInvitation(invitation: LinkInvitation): void;
  /** Path B: ask the user for the 6-digit code the existing device shows. */
  askCheckCode?(attempt: number): Promise<string>;
  /** Path B: the typed check code matched; the existing device now asks its user to approve. */
  onCheckCodeMatched?(): void;
  /** A wrong code was typed on the existing device (strikes so far). */
  onStrike?(strikes: number): void;
  /** Registers the device from the payload: registerLinkedDevice, bound to the client. */
  register(payload: LinkPayload): Promise<AccountInfo>;
  /** Imports and ACKs the history archive (bound to the registered client); without it, none. */
  readonly historyReceiver?: HistoryReceiver;
  /** Where linking is: registering, then the history download (blob bytes), then done. */
  onProgress?(progress: NewDeviceProgress): void;
  readonly pollMs?: number;
}

export interface NewDeviceProgress {
  readonly phase: 'registering' | 'history' | 'done';
  readonly doneBytes?: number;
  readonly totalBytes?: number;
}

/**
 * What came of the history: `records` imported (`skipped`: already here);
 * none because the existing device sent none (`declined`: it has no sender),
 * failed to export, this device has no receiver, the existing device stopped
 * before it sent the offer (`interrupted`: the rendezvous expired first), or
 * (a resumed download) the blob was gone (`expired`: its hour ended).
 */
export type HistoryResult =
  | {
      readonly imported: true;
      readonly records: number;
      readonly skipped: number;
      readonly bytes: number;
    }
  | {
      readonly imported: false;
      readonly reason: 'declined' | 'failed' | 'unsupported' | 'expired' | 'interrupted';
    };

export interface LinkedAccount extends AccountInfo {
  readonly history: HistoryResult;
}

function originOf(url: string): string {
  return new URL(url).origin;
}

/** Waits for the existing device's keys until one confirms; strikes count failures. */
async function awaitKeys(
  o: NewDeviceLinkOptions,
  mailbox: LinkMailbox,
  side: NewSide,
  place: LinkPlace,
): Promise<{ keys: LinkKeys; seq: number }> {
  let after = 0;
  let strikes = 0;
  for (;;) {
    const message = await mailbox.next(after);
    after = message.seq;
    if (messageType(message.body) !== LinkMessageType.KEYS) continue;
    try {
      return { keys: await acceptKeys(side, message.body, place), seq: after };
    } catch (error) {
      if (!isParleyError(error, ErrorCode.LINK_FAILED)) throw error;
      strikes++;
      const alive = await mailbox.strike();
      o.onStrike?.(strikes);
      if (!alive || strikes >= LINK_MAX_STRIKES) {
        await mailbox.close().catch(() => undefined);
        fail(ErrorCode.LINK_FAILED, 'Three wrong codes: this code is dead, start again', {
          reason: 'strikes',
        });
      }
      await mailbox.post(rejectMessage());
    }
  }
}

/**
 * Path B: asks for the check code until it matches. After the last wrong
 * one the existing device is told (a reject), so it stops waiting for a
 * confirmation that will never come and sends nothing.
 */
async function checkTypedCode(
  o: NewDeviceLinkOptions,
  mailbox: LinkMailbox,
  keys: LinkKeys,
): Promise<void> {
  const ask = o.askCheckCode;
  if (ask === undefined) throw new TypeError('Path B needs askCheckCode');
  for (let attempt = 1; ; attempt++) {
    try {
      verifyCheckCode(keys, await ask(attempt));
      return;
    } catch (error) {
      if (!isParleyError(error, ErrorCode.LINK_FAILED) || attempt >= LINK_MAX_STRIKES) {
        await mailbox.post(rejectMessage()).catch(() => undefined);
        throw error;
      }
    }
  }
}

/** Waits for the offer, closes the rendezvous, and brings the history in. */
async function takeHistory(
  o: NewDeviceLinkOptions,
  mailbox: LinkMailbox,
  keys: LinkKeys,
  after: number,
  relayUrl: string,
): Promise<HistoryResult> {
  let message: MailboxMessage;
  try {
    message = await mailbox.next(after);
  } catch (error) {
    // The existing device stopped before it sent the offer (its MV3 worker,
    // say): we are registered and listed, so the link stands without history.
    // The bound is the rendezvous' lifetime (LINK_RENDEZVOUS_TTL_MS).
    if (!isParleyError(error, ErrorCode.LINK_FAILED)) throw error;
    await mailbox.close().catch(() => undefined);
    return { imported: false, reason: 'interrupted' };
  }
  const offer = decodeHistoryOffer(openHistory(keys, message.body));
  const receiver = hasArchive(offer) ? o.historyReceiver : undefined;
  // Kept before the rendezvous goes, so a device stopped from here on resumes.
  if (hasArchive(offer)) await receiver?.remember?.(offer);
  await mailbox.close().catch(() => undefined);
  if (!hasArchive(offer))
    return { imported: false, reason: offer.failed === true ? 'failed' : 'declined' };
  if (receiver === undefined) return { imported: false, reason: 'unsupported' };
  o.onProgress?.({ phase: 'history', doneBytes: 0, totalBytes: offer.size });
  try {
    const { records, skipped } = await receiveHistory(receiver, relayUrl, offer, o, (p) =>
      o.onProgress?.({ phase: 'history', ...p }),
    );
    return { imported: true, records, skipped: skipped ?? 0, bytes: offer.size };
  } finally {
    offer.root.fill(0);
  }
}

/**
 * Runs the new device's side to the end; resolves with the registered
 * account once the history is imported (or there is none). Start the client
 * only after this resolves.
 */
export async function linkAsNewDevice(o: NewDeviceLinkOptions): Promise<LinkedAccount> {
  const path = o.path ?? 'code';
  const created = await o.api.call('linkCreate', { body: {} });
  const mailbox = new LinkMailbox(o, created.rid, LinkSide.NEW, created.expiresAt);
  const place: LinkPlace = { origin: originOf(o.api.baseUrl), rid: created.rid };
  const secret = path === 'code' ? newLinkSecret(o.random) : undefined;
  const side = await createNewSide(path, o.random, secret);
  await mailbox.post(await helloMessage(side, o.random));
  o.onInvitation(
    secret === undefined
      ? {
          linkString: formatLinkString(created.rid, side.dh.publicKey, side.kem.publicKey),
          expiresAt: created.expiresAt,
        }
      : {
          code: formatLinkCode({ locator: created.locator, secret }),
          expiresAt: created.expiresAt,
        },
  );
  const { keys, seq } = await awaitKeys(o, mailbox, side, place);
  try {
    if (path === 'string') {
      await checkTypedCode(o, mailbox, keys);
      o.onCheckCodeMatched?.();
    }
    await mailbox.post(confirmMessage(keys, encodeDescription(o.deviceName)));
    const payloadMessage = await mailbox.next(seq);
    const payload = decodeLinkPayload(openPayload(keys, payloadMessage.body));
    o.onProgress?.({ phase: 'registering' });
    const info = await o.register(payload);
    await mailbox.post(doneMessage(keys, encodeResult(info.deviceId)));
    const history = await takeHistory(o, mailbox, keys, payloadMessage.seq, payload.relayUrl);
    o.onProgress?.({ phase: 'done' });
    return { ...info, history };
  } finally {
    wipeLinkKeys(keys);
    side.kem.secretKey.fill(0);
  }
}
