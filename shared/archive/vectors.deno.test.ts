// The frozen archive vectors under Deno (the relay's runtime): the same keys
// and signed headers, and Deno's DecompressionStream opens archives Node's
// CompressionStream sealed.
import { deepStrictEqual } from 'node:assert/strict';
import { fromHex, toHex } from '../bytes.ts';
import { signingKeyPairFromPrivate } from '../crypto/ed25519.ts';
import { openArchive, sealArchive } from './archive.ts';
import { collectBytes, collectFrames, listOf, piecesOf } from './testing/collect.ts';
import vectors from './vectors/archive-v1.json' with { type: 'json' };
import {
  computeHeaderVectors,
  computeKeyVectors,
  type FrameSpec,
  frameOf,
} from './vectors/compute.ts';

const options = {
  root: fromHex(vectors.inputs.root),
  identitySigningKey: fromHex(vectors.keys.signingPublic),
};

Deno.test('archive key derivations and headers under Deno', async () => {
  deepStrictEqual(await computeKeyVectors(), vectors.keys);
  deepStrictEqual(
    await computeHeaderVectors(),
    vectors.archives.map((a) => a.header),
  );
});

Deno.test('Deno opens the frozen archives', async () => {
  for (const vector of vectors.archives) {
    const opened = await openArchive(piecesOf(fromHex(vector.archive), 1000), options);
    const frames = await collectFrames(opened.frames);
    deepStrictEqual(
      frames.map(toHex),
      (vector.frames as FrameSpec[]).map((f) => toHex(frameOf(f))),
    );
  }
});

Deno.test('an archive sealed under Deno opens', async () => {
  const signer = await signingKeyPairFromPrivate(fromHex(vectors.inputs.signingSeed));
  const frames = ((vectors.archives[2]?.frames ?? []) as FrameSpec[]).map(frameOf);
  const sealed = await collectBytes(
    sealArchive({
      kind: 'transfer',
      createdAt: 1,
      seq: 1,
      root: options.root,
      signer: signer.privateKey,
      frames: listOf(frames),
    }),
  );
  const opened = await openArchive(piecesOf(sealed), options);
  deepStrictEqual((await collectFrames(opened.frames)).map(toHex), frames.map(toHex));
});
