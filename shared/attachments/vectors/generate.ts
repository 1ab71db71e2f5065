/**
 * Writes prla-v1.json and prla-v2.json next to this file: `npx tsx shared/attachments/vectors/generate.ts`.
 * Run when a format is introduced or extended (the piece-list digest was added
 * this way: existing entries must come out unchanged, check the diff);
 * otherwise the vectors are frozen and the tests only recompute them.
 */
import { writeFileSync } from 'node:fs';
import { computeVectorFile, computeVectorFileV2 } from './compute.ts';

for (const [name, compute] of [
  ['prla-v1.json', computeVectorFile],
  ['prla-v2.json', computeVectorFileV2],
] as const) {
  const target = new URL(`./${name}`, import.meta.url);
  writeFileSync(target, `${JSON.stringify(await compute(), null, 2)}\n`);
  console.log(`wrote ${target.pathname}`);
}
