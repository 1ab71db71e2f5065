// The frozen PRLA v1 and streaming-AEAD vectors: recomputed byte for byte, the
// stream vectors opened by a second implementation (noble's GCM and HKDF,
// following docs/protocol.md "Streaming AEAD" literally), and the blobs'
// piece-list digests recomputed by a second implementation of that spec
// (testing/piece-list-digest.ts, noble's SHA-256).
import { gcm } from '@noble/ciphers/aes.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { concat, fromHex, toHex, utf8 } from '../bytes.ts';
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

describe('frozen vectors', () => {
  it('the streaming AEAD reproduces every sealed stream', async () => {
    expect(await computeStreamVectors()).toEqual(vectors.stream);
  });

  it('PRLA v1 reproduces every blob', async () => {
    expect(await computeAttachmentVectors()).toEqual(vectors.attachment);
  });

  it("an independent implementation of the digest spec gives every blob's pointer digest", async () => {
    expect(vectors.attachment.some((v) => v.blobSize > 1024 * 1024)).toBe(true);
    for (const vector of vectors.attachment) {
      const blob =
        vector.blob === undefined ? await attachmentVectorBlob(vector.size) : fromHex(vector.blob);
      expect(toHex(sha256(blob))).toBe(vector.blobSha256);
      expect(toHex(pieceListDigestOf(blob))).toBe(vector.digest);
    }
  });

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
