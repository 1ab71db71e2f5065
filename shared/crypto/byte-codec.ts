/**
 * A strict cursor over untrusted bytes and a growable writer, for Parley's fixed
 * binary layouts (ciphertext messages, session state). Every read is bounds
 * checked and fails with one caller-chosen ParleyError code, so hostile input
 * never surfaces as a RangeError or TypeError.
 */
import { type Bytes, copy } from '../bytes.ts';
import { type ErrorCode, ParleyError } from '../errors.ts';

export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #code: ErrorCode;
  readonly #what: string;
  #offset = 0;

  constructor(bytes: Uint8Array, code: ErrorCode, what: string) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#code = code;
    this.#what = what;
  }

  get offset(): number {
    return this.#offset;
  }

  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  fail(reason: string): never {
    throw new ParleyError(this.#code, `Cannot decode ${this.#what}: ${reason}`, {
      offset: this.#offset,
    });
  }

  #need(n: number): number {
    if (this.remaining < n) this.fail(`truncated (need ${n} more bytes)`);
    const at = this.#offset;
    this.#offset += n;
    return at;
  }

  u8(): number {
    return this.#view.getUint8(this.#need(1));
  }

  u16(): number {
    return this.#view.getUint16(this.#need(2));
  }

  u32(): number {
    return this.#view.getUint32(this.#need(4));
  }

  f64(): number {
    return this.#view.getFloat64(this.#need(8));
  }

  /** A view into the input (no copy): use for bytes consumed immediately. */
  view(n: number): Uint8Array {
    const at = this.#need(n);
    return this.#bytes.subarray(at, at + n);
  }

  /** An owned copy: use for bytes that outlive the input buffer. */
  bytes(n: number): Bytes {
    return copy(this.view(n));
  }

  end(): void {
    if (this.remaining !== 0) this.fail(`${this.remaining} unexpected trailing bytes`);
  }
}

export class ByteWriter {
  #buffer: Uint8Array;
  #view: DataView;
  #length = 0;

  constructor(initialCapacity = 256) {
    this.#buffer = new Uint8Array(initialCapacity);
    this.#view = new DataView(this.#buffer.buffer);
  }

  #reserve(n: number): number {
    const at = this.#length;
    if (at + n > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(this.#buffer.length * 2, at + n));
      grown.set(this.#buffer.subarray(0, at));
      this.#buffer = grown;
      this.#view = new DataView(grown.buffer);
    }
    this.#length += n;
    return at;
  }

  u8(n: number): this {
    // Reserve before touching #buffer/#view: reserving may replace both.
    const at = this.#reserve(1);
    this.#view.setUint8(at, n);
    return this;
  }

  u16(n: number): this {
    const at = this.#reserve(2);
    this.#view.setUint16(at, n);
    return this;
  }

  u32(n: number): this {
    const at = this.#reserve(4);
    this.#view.setUint32(at, n);
    return this;
  }

  f64(n: number): this {
    const at = this.#reserve(8);
    this.#view.setFloat64(at, n);
    return this;
  }

  bytes(b: Uint8Array): this {
    const at = this.#reserve(b.length);
    this.#buffer.set(b, at);
    return this;
  }

  finish(): Bytes {
    return this.#buffer.slice(0, this.#length);
  }
}
