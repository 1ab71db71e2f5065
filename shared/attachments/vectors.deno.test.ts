// The frozen PRLA v1, PRLA v2 and streaming-AEAD vectors under Deno (the relay's
// runtime): WebCrypto there must seal the same bytes, and give the same
// piece-list digests, as under Node.
import { deepStrictEqual } from 'node:assert/strict';
import { computeAttachmentVectors, computeStreamVectors } from './vectors/compute.ts';
import vectors from './vectors/prla-v1.json' with { type: 'json' };
import vectorsV2 from './vectors/prla-v2.json' with { type: 'json' };

Deno.test('streaming AEAD vectors under Deno', async () => {
  deepStrictEqual(await computeStreamVectors(), vectors.stream);
});

Deno.test('PRLA v1 vectors under Deno', async () => {
  deepStrictEqual(await computeAttachmentVectors(), vectors.attachment);
});

Deno.test('PRLA v2 vectors under Deno', async () => {
  deepStrictEqual(await computeAttachmentVectors(2), vectorsV2.attachment);
});
