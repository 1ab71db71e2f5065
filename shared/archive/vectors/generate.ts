/**
 * Writes archive-v1.json next to this file: `npx tsx shared/archive/vectors/generate.ts`.
 * Run once when the format is introduced; afterwards the vectors are frozen
 * and the tests recompute (keys, headers) or open (archives) them.
 */
import { writeFileSync } from 'node:fs';
import { toHex } from '../../bytes.ts';
import {
  ARCHIVE_VECTOR_CASES,
  ARCHIVE_VECTOR_INPUTS,
  computeHeaderVectors,
  computeKeyVectors,
  sealVectorCase,
} from './compute.ts';

const headers = await computeHeaderVectors();
const archives = [];
for (let i = 0; i < ARCHIVE_VECTOR_CASES.length; i++) {
  const c = ARCHIVE_VECTOR_CASES[i];
  archives.push({ ...c, header: headers[i], archive: toHex(await sealVectorCase(i)) });
}
const file = { inputs: ARCHIVE_VECTOR_INPUTS, keys: await computeKeyVectors(), archives };
const target = new URL('./archive-v1.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(file, null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
