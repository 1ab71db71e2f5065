import { describe, expect, it } from 'vitest';
import { ErrorCode, isParleyError } from '../errors.ts';
import { ByteReader, ByteWriter } from './byte-codec.ts';

describe('ByteWriter', () => {
  it('grows past its initial capacity without losing bytes', () => {
    const w = new ByteWriter(3);
    w.u8(1).u16(0x0203).u32(0x04050607).f64(1.5).bytes(new Uint8Array(40).fill(9)).u32(0xffffffff);
    const out = w.finish();
    expect(out.length).toBe(1 + 2 + 4 + 8 + 40 + 4);
    const r = new ByteReader(out, ErrorCode.STATE_CORRUPT, 'test');
    expect([r.u8(), r.u16(), r.u32(), r.f64()]).toEqual([1, 0x0203, 0x04050607, 1.5]);
    expect(r.bytes(40).every((b) => b === 9)).toBe(true);
    expect(r.u32()).toBe(0xffffffff);
    r.end();
  });
});

describe('ByteReader', () => {
  it('fails with its own code on truncation, never a RangeError', () => {
    for (const read of [
      (r: ByteReader) => r.u8(),
      (r: ByteReader) => r.u16(),
      (r: ByteReader) => r.u32(),
      (r: ByteReader) => r.f64(),
      (r: ByteReader) => r.bytes(5),
    ]) {
      const r = new ByteReader(new Uint8Array(1).subarray(1), ErrorCode.MESSAGE_MALFORMED, 'thing');
      let error: unknown;
      try {
        read(r);
      } catch (e) {
        error = e;
      }
      expect(isParleyError(error, ErrorCode.MESSAGE_MALFORMED)).toBe(true);
    }
  });

  it('reads from a view with a byte offset', () => {
    const backing = new Uint8Array([0xaa, 0, 0, 0, 5, 0xbb]);
    const r = new ByteReader(backing.subarray(1, 5), ErrorCode.STATE_CORRUPT, 'x');
    expect(r.u32()).toBe(5);
    r.end();
  });

  it('rejects trailing bytes', () => {
    const r = new ByteReader(new Uint8Array(2), ErrorCode.STATE_CORRUPT, 'x');
    r.u8();
    expect(() => r.end()).toThrow(/trailing/);
  });

  it('copies with bytes() but not with view()', () => {
    const src = new Uint8Array([1, 2, 3, 4]);
    const r = new ByteReader(src, ErrorCode.STATE_CORRUPT, 'x');
    const copied = r.bytes(2);
    const viewed = r.view(2);
    src.fill(0);
    expect([...copied]).toEqual([1, 2]);
    expect([...viewed]).toEqual([0, 0]);
  });
});
