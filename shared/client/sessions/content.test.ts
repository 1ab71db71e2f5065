import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isParleyError } from '../../errors.ts';
import { errorOf } from '../../testing/errors.ts';
import { encodeCbor } from '../../wire/cbor.ts';
import {
  ATTACHMENT_THUMB_MAX_BYTES,
  CONTENT_MAX_BYTES,
  type Content,
  decodeContent,
  encodeContent,
  RESERVED_CONTENT_TYPES,
  TEXT_MAX_CHARS,
  type TextContent,
} from './content.ts';

const USER = '0b5f3a2e-9c1d-4e8f-a7b6-5d4c3b2a1f00';
const id = new Uint8Array(16).fill(7) as TextContent['id'];

const text: TextContent = {
  v: 1,
  t: 'text',
  id,
  to: { u: USER },
  sentAt: 1_700_000_000_000,
  text: 'hello',
  fh: 'alice',
};

describe('content', () => {
  it('round-trips every content type', () => {
    const samples: Content[] = [
      text,
      { v: 1, t: 'receipt', kind: 'read', author: USER, ids: [id, id] },
      { v: 1, t: 'typing', to: { u: USER }, typing: true },
      { v: 1, t: 'reset' },
      { v: 1, t: 'typing', to: { g: id }, typing: false },
      { ...text, to: { g: id }, seq: 7, exp: 30_000 },
      { v: 1, t: 'group-update', g: id, body: new Uint8Array(40), sig: new Uint8Array(64) },
      { v: 1, t: 'sender-key', g: id, dist: new Uint8Array(90), seq: 3 },
      { v: 1, t: 'sender-key-request', g: id },
      { v: 1, t: 'timer', to: { u: USER }, timer: 300_000, at: 5 },
      { v: 1, t: 'presence', online: true, hello: true },
      {
        ...text,
        att: [
          {
            id: new Uint8Array(16),
            key: new Uint8Array(32),
            digest: new Uint8Array(32),
            size: 10,
            mime: 'image/png',
            name: 'a.png',
          },
        ],
        exp: 30_000,
      },
    ];
    for (const sample of samples) expect(decodeContent(encodeContent(sample))).toEqual(sample);
  });

  it('attachment pointers: media fields round-trip, old pointers stay valid, thumbs are small', () => {
    const old = {
      id: new Uint8Array(16),
      key: new Uint8Array(32),
      digest: new Uint8Array(32),
      size: 10,
      mime: 'image/png',
    };
    const media = {
      ...old,
      width: 640,
      height: 480,
      durationMs: 12_500,
      thumb: new Uint8Array(ATTACHMENT_THUMB_MAX_BYTES),
      flags: 1,
    };
    expect(decodeContent(encodeCbor({ ...text, att: [old] }))).toEqual({ ...text, att: [old] });
    expect(decodeContent(encodeContent({ ...text, att: [media] }))).toEqual({
      ...text,
      att: [media],
    });
    for (const bad of [
      { ...media, thumb: new Uint8Array(ATTACHMENT_THUMB_MAX_BYTES + 1) },
      { ...media, width: -1 },
      { ...media, durationMs: 25 * 60 * 60 * 1000 },
    ]) {
      expect(errorOf(() => decodeContent(encodeCbor({ ...text, att: [bad] }))).code).toBe(
        ErrorCode.CONTENT_INVALID,
      );
    }
  });

  it('attachment pointers carry any digest scheme 0..255 (the download refuses unknown ones)', () => {
    const pointer = {
      id: new Uint8Array(16),
      key: new Uint8Array(32),
      digest: new Uint8Array(32),
      size: 10,
      mime: 'application/pdf',
    };
    for (const digestScheme of [2, 0, 255]) {
      const att = [{ ...pointer, digestScheme }];
      expect(decodeContent(encodeContent({ ...text, att }))).toEqual({ ...text, att });
    }
    for (const digestScheme of [256, -1]) {
      const att = [{ ...pointer, digestScheme }];
      expect(errorOf(() => decodeContent(encodeCbor({ ...text, att }))).code).toBe(
        ErrorCode.CONTENT_INVALID,
      );
    }
  });

  it('ignores unknown fields from newer senders', () => {
    const bytes = encodeCbor({ ...text, future: 'x' });
    expect(decodeContent(bytes)).toEqual(text);
  });

  it('reports reserved, unknown and newer-version types as unsupported', () => {
    for (const type of [...RESERVED_CONTENT_TYPES, 'something-new']) {
      expect(decodeContent(encodeCbor({ v: 1, t: type }))).toEqual({
        t: 'unsupported',
        type,
        version: 1,
      });
    }
    expect(decodeContent(encodeCbor({ ...text, v: 2 }))).toMatchObject({
      t: 'unsupported',
      version: 2,
    });
  });

  it('rejects malformed content with CONTENT_INVALID', () => {
    const bad = [
      new Uint8Array([0xff]),
      encodeCbor({ t: 'text' }),
      encodeCbor({ ...text, id: new Uint8Array(3) }),
      encodeCbor({ ...text, to: { u: 'not-a-user' } }),
      encodeCbor({ v: 1, t: 'receipt', kind: 'seen', author: USER, ids: [id] }),
      encodeCbor({ v: 1, t: 'receipt', kind: 'read', author: USER, ids: [] }),
      encodeCbor({ v: 1, t: 'timer', to: { u: USER }, timer: 1234, at: 5 }),
      encodeCbor({ v: 1, t: 'timer', to: { g: id }, timer: 30_000, at: 5 }),
      encodeCbor({
        v: 1,
        t: 'group-update',
        g: id,
        body: new Uint8Array(40),
        sig: new Uint8Array(3),
      }),
      encodeCbor({ v: 1, t: 'sender-key', g: new Uint8Array(4), dist: new Uint8Array(90), seq: 1 }),
      encodeCbor({ v: 1, t: 'presence' }),
    ];
    for (const bytes of bad) {
      expect(() => decodeContent(bytes)).toThrow(
        expect.objectContaining({ code: 'CONTENT_INVALID' }),
      );
    }
  });

  it('refuses to encode invalid or oversized content before anything is encrypted', () => {
    expect(() => encodeContent({ ...text, text: 'x'.repeat(TEXT_MAX_CHARS + 1) })).toThrow(
      expect.objectContaining({ code: 'CONTENT_INVALID' }),
    );
    expect(() => encodeContent({ ...text, sentAt: -1 })).toThrow(
      expect.objectContaining({ code: 'CONTENT_INVALID' }),
    );
    expect(TEXT_MAX_CHARS * 3).toBeLessThan(CONTENT_MAX_BYTES);
  });

  it('never throws anything but CONTENT_INVALID on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          decodeContent(bytes);
        } catch (e) {
          return isParleyError(e, 'CONTENT_INVALID');
        }
        return true;
      }),
    );
  });
});
