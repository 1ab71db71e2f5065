/**
 * Hand-written encoders for the three frames the relay sends per message
 * (`deliver`, `stored`, `pong`), writing Parley's deterministic CBOR straight
 * into one buffer. Their fields come from rows and frames that were already
 * validated on the way in, so the generic path (schema check, key sorting,
 * cbor-x, copy) would only repeat work; a property test checks that both
 * paths produce the same bytes. Every other frame uses encodeServerFrame.
 */
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import { SERVER_FRAME_MAX_BYTES } from '../../shared/wire/limits.ts';

export interface DeliverFields {
  readonly qid?: number;
  readonly id: Uint8Array;
  readonly from: string;
  readonly fromDevice: number;
  readonly body: Uint8Array;
  readonly sentAt: number;
  readonly expiresAt?: number;
}

const utf8 = new TextEncoder();
const KEY = {
  t: utf8.encode('t'),
  n: utf8.encode('n'),
  id: utf8.encode('id'),
  qid: utf8.encode('qid'),
  body: utf8.encode('body'),
  from: utf8.encode('from'),
  sentAt: utf8.encode('sentAt'),
  expiresAt: utf8.encode('expiresAt'),
  fromDevice: utf8.encode('fromDevice'),
  serverTime: utf8.encode('serverTime'),
  deliver: utf8.encode('deliver'),
  stored: utf8.encode('stored'),
  pong: utf8.encode('pong'),
};

/** Size of a CBOR head for `value` (shortest form, RFC 8949 §4.2.1). */
function headSize(value: number): number {
  if (value < 24) return 1;
  if (value < 0x100) return 2;
  if (value < 0x1_0000) return 3;
  if (value <= 0xffff_ffff) return 5;
  return 9;
}

class Writer {
  readonly bytes: Uint8Array;
  #at = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }

  head(major: number, value: number): void {
    const b = this.bytes;
    const m = major << 5;
    if (value < 24) {
      b[this.#at++] = m | value;
    } else if (value < 0x100) {
      b[this.#at++] = m | 24;
      b[this.#at++] = value;
    } else if (value < 0x1_0000) {
      b[this.#at++] = m | 25;
      b[this.#at++] = value >>> 8;
      b[this.#at++] = value & 0xff;
    } else if (value <= 0xffff_ffff) {
      b[this.#at++] = m | 26;
      this.#u32(value);
    } else {
      b[this.#at++] = m | 27;
      this.#u32(Math.floor(value / 0x1_0000_0000));
      this.#u32(value >>> 0);
    }
  }

  #u32(value: number): void {
    const b = this.bytes;
    b[this.#at++] = value >>> 24;
    b[this.#at++] = (value >>> 16) & 0xff;
    b[this.#at++] = (value >>> 8) & 0xff;
    b[this.#at++] = value & 0xff;
  }

  /** A text string whose UTF-8 bytes are given (keys and ASCII values). */
  text(encoded: Uint8Array): void {
    this.head(3, encoded.length);
    this.bytes.set(encoded, this.#at);
    this.#at += encoded.length;
  }

  byteString(value: Uint8Array): void {
    this.head(2, value.length);
    this.bytes.set(value, this.#at);
    this.#at += value.length;
  }

  uint(value: number): void {
    this.head(0, value);
  }

  get length(): number {
    return this.#at;
  }
}

const textSize = (encoded: Uint8Array) => headSize(encoded.length) + encoded.length;

function checkSize(size: number): void {
  if (size > SERVER_FRAME_MAX_BYTES) {
    throw new ParleyError(
      ErrorCode.FRAME_TOO_LARGE,
      `Cannot encode frame: ${size} bytes exceeds the ${SERVER_FRAME_MAX_BYTES}-byte limit`,
      { size, max: SERVER_FRAME_MAX_BYTES },
    );
  }
}

/** Map keys in canonical order: by length, then bytewise (t, id, qid, body, from, sentAt, expiresAt, fromDevice). */
export function encodeDeliver(d: DeliverFields): Uint8Array {
  const from = utf8.encode(d.from);
  const entries = 6 + (d.qid === undefined ? 0 : 1) + (d.expiresAt === undefined ? 0 : 1);
  let size =
    1 +
    textSize(KEY.t) +
    textSize(KEY.deliver) +
    textSize(KEY.id) +
    headSize(d.id.length) +
    d.id.length +
    textSize(KEY.body) +
    headSize(d.body.length) +
    d.body.length +
    textSize(KEY.from) +
    textSize(from) +
    textSize(KEY.sentAt) +
    headSize(d.sentAt) +
    textSize(KEY.fromDevice) +
    headSize(d.fromDevice);
  if (d.qid !== undefined) size += textSize(KEY.qid) + headSize(d.qid);
  if (d.expiresAt !== undefined) size += textSize(KEY.expiresAt) + headSize(d.expiresAt);
  checkSize(size);
  const w = new Writer(size);
  w.head(5, entries);
  w.text(KEY.t);
  w.text(KEY.deliver);
  w.text(KEY.id);
  w.byteString(d.id);
  if (d.qid !== undefined) {
    w.text(KEY.qid);
    w.uint(d.qid);
  }
  w.text(KEY.body);
  w.byteString(d.body);
  w.text(KEY.from);
  w.text(from);
  w.text(KEY.sentAt);
  w.uint(d.sentAt);
  if (d.expiresAt !== undefined) {
    w.text(KEY.expiresAt);
    w.uint(d.expiresAt);
  }
  w.text(KEY.fromDevice);
  w.uint(d.fromDevice);
  return w.bytes;
}

/** Keys: t, id, serverTime. */
export function encodeStored(id: Uint8Array, serverTime: number): Uint8Array {
  const size =
    1 +
    textSize(KEY.t) +
    textSize(KEY.stored) +
    textSize(KEY.id) +
    headSize(id.length) +
    id.length +
    textSize(KEY.serverTime) +
    headSize(serverTime);
  const w = new Writer(size);
  w.head(5, 3);
  w.text(KEY.t);
  w.text(KEY.stored);
  w.text(KEY.id);
  w.byteString(id);
  w.text(KEY.serverTime);
  w.uint(serverTime);
  return w.bytes;
}

/** Keys: n, t ("n" sorts before "t"). */
export function encodePong(n: number): Uint8Array {
  const w = new Writer(1 + textSize(KEY.n) + headSize(n) + textSize(KEY.t) + textSize(KEY.pong));
  w.head(5, 2);
  w.text(KEY.n);
  w.uint(n);
  w.text(KEY.t);
  w.text(KEY.pong);
  return w.bytes;
}
