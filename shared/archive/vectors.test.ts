// The frozen archive vectors: key derivations and signed headers recomputed
// byte for byte, the derivations checked once more against noble's HKDF and
// HMAC following docs/protocol.md "Archive" literally, and every frozen
// archive opened to its frames.
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex, utf8 } from '../bytes.ts';
import { openArchive } from './archive.ts';
import { collectFrames, piecesOf } from './testing/collect.ts';
import vectors from './vectors/archive-v1.json' with { type: 'json' };
import {
  computeHeaderVectors,
  computeKeyVectors,
  type FrameSpec,
  frameOf,
} from './vectors/compute.ts';

describe('archive v1 vectors', () => {
  it('reproduces the key derivations and the signed headers', async () => {
    expect(await computeKeyVectors()).toEqual(vectors.keys);
    expect(await computeHeaderVectors()).toEqual(vectors.archives.map((a) => a.header));
  });

  it('an independent reading of the spec derives the same keys', () => {
    const root = fromHex(vectors.inputs.root);
    const kc = hkdf(sha256, root, undefined, utf8('PARLEY-v1:key-check'), 32);
    expect(toHex(hmac(sha256, kc, utf8('check')))).toBe(vectors.keys.keyCheck);
    const ak = hkdf(sha256, root, fromHex(vectors.inputs.salt), utf8('PARLEY-v1:archive'), 32);
    expect(toHex(ak)).toBe(vectors.keys.archiveKey);
    const stream = hkdf(sha256, ak, undefined, utf8('Parley/v1/archive/stream-header'), 23);
    expect(toHex(stream)).toBe(vectors.keys.streamSalt + vectors.keys.streamNoncePrefix);
  });

  it('opens every frozen archive to its frames', async () => {
    for (const vector of vectors.archives) {
      const bytes = fromHex(vector.archive);
      expect(toHex(bytes.subarray(0, vector.header.length / 2))).toBe(vector.header);
      const opened = await openArchive(piecesOf(bytes, 1000), {
        root: fromHex(vectors.inputs.root),
        identitySigningKey: fromHex(vectors.keys.signingPublic),
      });
      expect(opened.header.kind).toBe(vector.kind);
      expect(opened.header.seq).toBe(vectors.inputs.seq);
      const frames = await collectFrames(opened.frames);
      expect(frames.map(toHex)).toEqual(
        (vector.frames as FrameSpec[]).map((f) => toHex(frameOf(f))),
      );
    }
  });
});
