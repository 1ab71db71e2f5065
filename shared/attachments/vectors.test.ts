// The frozen PRLA v1, PRLA v2 and streaming-AEAD vectors: recomputed byte for
// byte, the stream vectors and every PRLA blob opened by a second
// implementation (noble's GCM and HKDF, following docs/protocol.md "Streaming
// AEAD" and "Attachments" literally), and the blobs'
// piece-list digests recomputed by a second implementation of that spec
// (testing/piece-list-digest.ts, noble's SHA-256).
import { gcm } from '@noble/ciphers/aes.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { concat, equalBytes, fromHex, toHex, utf8 } from '../bytes.ts';
import { paddedSize } from './padding.ts';
import { pieceListDigestOf } from './testing/piece-list-digest.ts';
import {
  attachmentVectorBlob,
  computeAttachmentVectors,
  computeStreamVectors,
  patternBytes,
  STREAM_VECTOR_FORMAT,
  VECTOR_INPUTS,
} from './vectors/compute.ts';
import vectors from './vectors/prla-v1.json' with { type: 'json' };
import vectorsV2 from './vectors/prla-v2.json' with { type: 'json' };

/**
 * PRLA blob opening written from docs/protocol.md "Attachments" alone: the
 * header's salt and nonce prefix from HKDF(file key, zero salt,
 * "Parley/v1/attachment/header"), the stream key from HKDF(file key, salt,
 * the version's label), AAD = SHA-256(header), then segment by segment.
 */
const PRLA_VERSIONS = {
  // v1: 2^16 plaintext bytes per segment, after the 31-byte header.
  1: { label: 'Parley/v1/attachment', log2: 16, sealedSegments: false },
  // v2: 2^20 sealed bytes per segment, the header counted in the first.
  2: { label: 'Parley/v1/attachment/prla-v2', log2: 20, sealedSegments: true },
} as const;

function openPrla(version: 1 | 2, fileKey: Uint8Array, blob: Uint8Array): Uint8Array {
  const { label, log2, sealedSegments } = PRLA_VERSIONS[version];
  const derived = hkdf(sha256, fileKey, undefined, utf8('Parley/v1/attachment/header'), 23);
  const header = blob.subarray(0, 31);
  const magic = toHex(utf8('PRLA'));
  const v = `0${version}`;
  expect(toHex(header)).toBe(`${magic}${v}${log2.toString(16)}0000${toHex(derived)}`);
  const key = hkdf(sha256, fileKey, derived.subarray(0, 16), utf8(label), 32);
  const aad = sha256(header);
  // Where each sealed segment starts: v1 every 2^16 + 16 bytes after the
  // header; v2 at every multiple of 2^20, the first right after the header.
  const starts: number[] = [];
  const step = sealedSegments ? 2 ** log2 : 2 ** log2 + 16;
  for (
    let at = 31;
    starts.length === 0 || at < blob.length;
    at = starts.length * step + (sealedSegments ? 0 : 31)
  ) {
    starts.push(at);
  }
  const plain: Uint8Array[] = [];
  starts.forEach((start, i) => {
    const nonce = new Uint8Array(12);
    nonce.set(derived.subarray(16));
    new DataView(nonce.buffer).setUint32(7, i);
    nonce[11] = i === starts.length - 1 ? 1 : 0;
    const end = starts[i + 1] ?? blob.length;
    plain.push(gcm(key, nonce, aad).decrypt(blob.subarray(start, end)));
  });
  return concat(...plain);
}

describe('frozen vectors', () => {
  it('the streaming AEAD reproduces every sealed stream', async () => {
    expect(await computeStreamVectors()).toEqual(vectors.stream);
  });

  it('PRLA v1 reproduces every blob', async () => {
    expect(await computeAttachmentVectors()).toEqual(vectors.attachment);
  });

  it('PRLA v2 reproduces every blob', async () => {
    expect(await computeAttachmentVectors(2)).toEqual(vectorsV2.attachment);
  });

  for (const [version, file] of [
    [1, vectors],
    [2, vectorsV2],
  ] as const) {
    it(`an independent implementation opens every PRLA v${version} blob and gives its pointer digest`, async () => {
      expect(file.attachment.some((v) => v.blobSize > 1024 * 1024)).toBe(true);
      for (const vector of file.attachment) {
        const blob =
          vector.blob === undefined
            ? await attachmentVectorBlob(vector.size, version)
            : fromHex(vector.blob);
        expect(blob.length).toBe(vector.blobSize);
        expect(toHex(sha256(blob))).toBe(vector.blobSha256);
        expect(toHex(pieceListDigestOf(blob))).toBe(vector.digest);
        const padded = new Uint8Array(paddedSize(vector.size));
        padded.set(patternBytes(vector.size));
        expect(equalBytes(openPrla(version, fromHex(VECTOR_INPUTS.key), blob), padded)).toBe(true);
      }
    });
  }

  it('an independent implementation of the spec opens the stream vectors', () => {
    const key = hkdf(
      sha256,
      fromHex(VECTOR_INPUTS.key),
      fromHex(VECTOR_INPUTS.salt),
      utf8(STREAM_VECTOR_FORMAT.info),
      32,
    );
    const seg = STREAM_VECTOR_FORMAT.segmentBytes + 16;
    for (const vector of vectors.stream) {
      const sealed = fromHex(vector.sealed);
      const header = sealed.subarray(0, 31);
      expect(toHex(header)).toBe(
        `54455354010a0000${VECTOR_INPUTS.salt}${VECTOR_INPUTS.noncePrefix}`,
      );
      const aad = sha256(concat(header, utf8(VECTOR_INPUTS.context)));
      const body = sealed.subarray(31);
      const segments = Math.max(1, Math.ceil(body.length / seg));
      const plain: Uint8Array[] = [];
      for (let i = 0; i < segments; i++) {
        const nonce = new Uint8Array(12);
        nonce.set(fromHex(VECTOR_INPUTS.noncePrefix));
        new DataView(nonce.buffer).setUint32(7, i);
        nonce[11] = i === segments - 1 ? 1 : 0;
        plain.push(gcm(key, nonce, aad).decrypt(body.subarray(i * seg, (i + 1) * seg)));
      }
      expect(toHex(concat(...plain))).toBe(toHex(patternBytes(vector.length)));
    }
  });
});
