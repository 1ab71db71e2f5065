import { describe, expect, it } from 'vitest';
import { FILE_HEAD_BYTES, fileHead, mismatchOf } from './resume.ts';

const file = (bytes: Uint8Array, name = 'report.pdf') => new File([bytes as BlobPart], name);

describe('picking a paused upload’s file again', () => {
  const original = new Uint8Array(FILE_HEAD_BYTES + 500).map((_, i) => i % 251);

  it('accepts the same file, under another name too', async () => {
    const paused = {
      name: 'report.pdf',
      size: original.length,
      head: await fileHead(file(original)),
    };
    expect(await mismatchOf(paused, file(original))).toBeNull();
    expect(await mismatchOf(paused, file(original, 'report (1).pdf'))).toBeNull();
  });

  it('refuses a file of another size, or the same size with other content', async () => {
    const paused = {
      name: 'report.pdf',
      size: original.length,
      head: await fileHead(file(original)),
    };
    expect(await mismatchOf(paused, file(original.subarray(1), 'other.pdf'))).toMatch(
      /^other\.pdf is 66035 bytes; the paused file report\.pdf is 66036 bytes\. Choose/,
    );
    const edited = original.slice();
    edited[10] = 0xff;
    expect(await mismatchOf(paused, file(edited))).toMatch(/content differs/);
  });

  it('fingerprints only the first 64 KiB', async () => {
    const tailChanged = original.slice();
    tailChanged[FILE_HEAD_BYTES + 10] = 0xff;
    expect(await fileHead(file(tailChanged))).toBe(await fileHead(file(original)));
    expect(await fileHead(file(original))).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});
