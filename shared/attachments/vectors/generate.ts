/**
 * Writes prla-v1.json next to this file: `npx tsx shared/attachments/vectors/generate.ts`.
 * Run when a format is introduced or extended (the piece-list digest was added
 * this way: existing entries must come out unchanged, check the diff);
 * otherwise the vectors are frozen and the tests only recompute them.
 */
import { writeFileSync } from 'node:fs';
import { computeVectorFile } from './compute.ts';

const target = new URL('./prla-v1.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(await computeVectorFile(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
