/**
 * The linking handshake as pure steps over mailbox messages (docs/protocol.md,
 * "Linking a device"). N is the new device, E the existing one.
 *
 *   N → E  hello     path A: 0x01 ‖ ML-KEM pub ‖ wrap(S, N's X25519 pub)
 *                    path B: 0x02 ‖ ML-KEM pub        (X25519 pub is in the link string)
 *   E → N  keys      0x03 ‖ E's X25519 pub (path A: wrapped) ‖ KEM ciphertext ‖ confirm_E
 *   N → E  confirm   0x04 ‖ confirm_N ‖ seal_N#0(device description)
 *   N → E  reject    0x05                (confirm_E was wrong: E may retype the code)
 *   E → N  payload   0x06 ‖ seal_E#0(payload)
 *   N → E  done      0x07 ‖ seal_N#1(result)
 *   E → N  history   0x08 ‖ seal_E#1(history offer: transfer blob id, root key,
 *                    digest, size; or "none")   (docs/protocol.md, "History transfer")
 *
 * The drivers (shared/client/linking) move these through the relay and count
 * strikes; nothing here does I/O.
 */
import { type Bytes, concat } from '../bytes.ts';
import {
  decapsulate,
  encapsulate,
  generateKemKeyPair,
  type KemKeyPair,
  MLKEM768_CIPHERTEXT_BYTES,
  MLKEM768_PUBLIC_KEY_BYTES,
} from '../crypto/mlkem.ts';
import type { Random } from '../crypto/random.ts';
import { type DhKeyPair, dh, generateDhKeyPair, X25519_KEY_BYTES } from '../crypto/x25519.ts';
import { ErrorCode, fail, isParleyError } from '../errors.ts';
import {
  confirmationMac,
  deriveLinkKeys,
  type LinkKeys,
  type LinkPath,
  openLinkMessage,
  sealLinkMessage,
  verifyConfirmation,
} from './link-channel.ts';
import { unwrapLinkKey, WRAPPED_KEY_BYTES, wrapLinkKey } from './link-code.ts';
import { checkKemCommitment, type LinkString } from './link-string.ts';

export const LinkMessageType = {
  HELLO_CODE: 0x01,
  HELLO_STRING: 0x02,
  KEYS: 0x03,
  CONFIRM: 0x04,
  REJECT: 0x05,
  PAYLOAD: 0x06,
  DONE: 0x07,
  HISTORY: 0x08,
} as const;
export type LinkMessageType = (typeof LinkMessageType)[keyof typeof LinkMessageType];

const MAC_BYTES = 32;

/** Where both sides run the handshake: the relay's origin and the rendezvous id. */
export interface LinkPlace {
  readonly origin: string;
  readonly rid: string;
}

/** The new device's ephemeral keys (and, on path A, the code's secret). */
export interface NewSide {
  readonly path: LinkPath;
  readonly dh: DhKeyPair;
  readonly kem: KemKeyPair;
  readonly secret?: string;
}

function malformed(what: string): never {
  return fail(ErrorCode.LINK_FAILED, `Malformed linking message: ${what}`, { reason: 'protocol' });
}

export function messageType(message: Uint8Array): number {
  if (message.length === 0) malformed('empty');
  return message[0] as number;
}

function expectType(message: Uint8Array, type: LinkMessageType, length?: number): void {
  if (messageType(message) !== type) malformed(`expected type ${type}`);
  if (length !== undefined && message.length !== length) malformed('length');
}

/** A confirmation that cannot be computed (a wrong code gave a degenerate key) is a failed one. */
async function sharedDh(priv: CryptoKey, pub: Uint8Array): Promise<Bytes> {
  try {
    return await dh(priv, pub);
  } catch (error) {
    if (isParleyError(error))
      fail(ErrorCode.LINK_FAILED, 'Key confirmation failed: wrong code, or a key was swapped', {
        reason: 'confirmation',
      });
    throw error;
  }
}

export async function createNewSide(
  path: LinkPath,
  random: Random,
  secret?: string,
): Promise<NewSide> {
  if ((path === 'code') !== (secret !== undefined))
    throw new TypeError('A secret is needed on the code path only');
  return {
    path,
    dh: await generateDhKeyPair(false),
    kem: generateKemKeyPair(random),
    ...(secret === undefined ? {} : { secret }),
  };
}

export async function helloMessage(side: NewSide, random: Random): Promise<Bytes> {
  if (side.secret === undefined)
    return concat(Uint8Array.of(LinkMessageType.HELLO_STRING), side.kem.publicKey);
  const wrapped = await wrapLinkKey(side.secret, side.dh.publicKey, random);
  return concat(Uint8Array.of(LinkMessageType.HELLO_CODE), side.kem.publicKey, wrapped);
}

/** What E needs to answer a hello: the code's secret (path A) or the link string (path B). */
export type ExistingSecret =
  | { readonly path: 'code'; readonly secret: string }
  | { readonly path: 'string'; readonly link: LinkString };

/** E's answer to N's hello: the channel keys and the `keys` message (confirm_E included). */
export async function answerHello(
  hello: Uint8Array,
  known: ExistingSecret,
  place: LinkPlace,
  random: Random,
): Promise<{ keys: LinkKeys; message: Bytes }> {
  const kemEnd = 1 + MLKEM768_PUBLIC_KEY_BYTES;
  const newKem = hello.slice(1, kemEnd);
  let newDh: Uint8Array;
  if (known.path === 'code') {
    expectType(hello, LinkMessageType.HELLO_CODE, kemEnd + WRAPPED_KEY_BYTES);
    newDh = await unwrapLinkKey(known.secret, hello.subarray(kemEnd));
  } else {
    expectType(hello, LinkMessageType.HELLO_STRING, kemEnd);
    checkKemCommitment(known.link, newKem);
    newDh = known.link.newDh;
  }
  const own = await generateDhKeyPair(false);
  const dhSecret = await sharedDh(own.privateKey, newDh);
  const { cipherText, sharedSecret } = encapsulate(newKem, random);
  const keys = deriveLinkKeys(dhSecret, sharedSecret, {
    path: known.path,
    ...place,
    newDh,
    newKem,
    existingDh: own.publicKey,
    kemCipherText: cipherText,
  });
  const sentDh =
    known.path === 'code' ? await wrapLinkKey(known.secret, own.publicKey, random) : own.publicKey;
  const message = concat(
    Uint8Array.of(LinkMessageType.KEYS),
    sentDh,
    cipherText,
    confirmationMac(keys, 'existing'),
  );
  return { keys, message };
}

/**
 * N reads E's `keys` message: derives the channel keys and checks confirm_E.
 * LINK_FAILED `confirmation` when the code was wrong or a key was swapped.
 * On path B this does not yet prove that E is the user's device (a relay can
 * play E): the check code does (verifyCheckCode).
 */
export async function acceptKeys(
  side: NewSide,
  message: Uint8Array,
  place: LinkPlace,
): Promise<LinkKeys> {
  const dhBytes = side.secret === undefined ? X25519_KEY_BYTES : WRAPPED_KEY_BYTES;
  expectType(message, LinkMessageType.KEYS, 1 + dhBytes + MLKEM768_CIPHERTEXT_BYTES + MAC_BYTES);
  const sentDh = message.subarray(1, 1 + dhBytes);
  const cipherText = message.slice(1 + dhBytes, 1 + dhBytes + MLKEM768_CIPHERTEXT_BYTES);
  const mac = message.subarray(1 + dhBytes + MLKEM768_CIPHERTEXT_BYTES);
  const existingDh =
    side.secret === undefined ? Uint8Array.from(sentDh) : await unwrapLinkKey(side.secret, sentDh);
  const dhSecret = await sharedDh(side.dh.privateKey, existingDh);
  const kemSecret = decapsulate(cipherText, side.kem.secretKey);
  const keys = deriveLinkKeys(dhSecret, kemSecret, {
    path: side.path,
    ...place,
    newDh: side.dh.publicKey,
    newKem: side.kem.publicKey,
    existingDh,
    kemCipherText: cipherText,
  });
  verifyConfirmation(keys, 'existing', mac);
  return keys;
}

/** Path B: the user typed the check code E shows; LINK_FAILED `check-code` if it differs. */
export function verifyCheckCode(keys: LinkKeys, typed: string): void {
  if (typed.replace(/\s/g, '') !== keys.checkCode)
    fail(ErrorCode.LINK_FAILED, 'The check code does not match the other device', {
      reason: 'check-code',
    });
}

export function confirmMessage(keys: LinkKeys, description: Uint8Array): Bytes {
  return concat(
    Uint8Array.of(LinkMessageType.CONFIRM),
    confirmationMac(keys, 'new'),
    sealLinkMessage(keys, 'new', 0, description),
  );
}

/** E checks confirm_N and reads N's self-description (shown on the approval screen). */
export function acceptConfirm(keys: LinkKeys, message: Uint8Array): Bytes {
  expectType(message, LinkMessageType.CONFIRM);
  if (message.length < 1 + MAC_BYTES) malformed('length');
  verifyConfirmation(keys, 'new', message.subarray(1, 1 + MAC_BYTES));
  return openLinkMessage(keys, 'new', 0, message.subarray(1 + MAC_BYTES));
}

export const rejectMessage = (): Bytes => Uint8Array.of(LinkMessageType.REJECT);

export function payloadMessage(keys: LinkKeys, payload: Uint8Array): Bytes {
  return concat(
    Uint8Array.of(LinkMessageType.PAYLOAD),
    sealLinkMessage(keys, 'existing', 0, payload),
  );
}

export function openPayload(keys: LinkKeys, message: Uint8Array): Bytes {
  expectType(message, LinkMessageType.PAYLOAD);
  return openLinkMessage(keys, 'existing', 0, message.subarray(1));
}

export function doneMessage(keys: LinkKeys, result: Uint8Array): Bytes {
  return concat(Uint8Array.of(LinkMessageType.DONE), sealLinkMessage(keys, 'new', 1, result));
}

export function openDone(keys: LinkKeys, message: Uint8Array): Bytes {
  expectType(message, LinkMessageType.DONE);
  return openLinkMessage(keys, 'new', 1, message.subarray(1));
}

/** E's last message, after N's `done`: where N finds the history archive (or that there is none). */
export function historyMessage(keys: LinkKeys, offer: Uint8Array): Bytes {
  return concat(
    Uint8Array.of(LinkMessageType.HISTORY),
    sealLinkMessage(keys, 'existing', 1, offer),
  );
}

export function openHistory(keys: LinkKeys, message: Uint8Array): Bytes {
  expectType(message, LinkMessageType.HISTORY);
  return openLinkMessage(keys, 'existing', 1, message.subarray(1));
}
