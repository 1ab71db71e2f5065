// The archive format's outcomes (docs/protocol.md "Archive"): round trips, and
// each tampering of threat L7 / B1 failing closed with its own code.
import { describe, expect, it } from 'vitest';
import { type Bytes, concat, toHex, utf8 } from '../bytes.ts';
import { generateSigningKeyPair } from '../crypto/ed25519.ts';
import { ErrorCode, ParleyError } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import { openArchive, openArchiveSignerUnchecked, sealArchive } from './archive.ts';
import { decodeFrames, encodeFrames } from './frames.ts';
import { collectBytes, collectFrames, listOf, piecesOf } from './testing/collect.ts';
import { sealFixture, TEST_ROOT, testSigner } from './testing/fixture.ts';
import { noiseBytes } from './vectors/compute.ts';

async function openAll(bytes: Uint8Array, options: Parameters<typeof openArchive>[1]) {
  const opened = await openArchive(piecesOf(bytes, 3000), options);
  return { header: opened.header, frames: await collectFrames(opened.frames) };
}

const BIG = [noiseBytes(70_000, 'a'), utf8('between'), noiseBytes(70_000, 'b')];

describe('archive round trip', () => {
  it('gives back the frames and the signed header fields', async () => {
    const frames = [utf8('contact'), new Uint8Array(0), utf8('message'.repeat(1000))];
    const fixture = await sealFixture(frames, 'backup', 42);
    const { header, frames: out } = await openAll(fixture.bytes, fixture.options);
    expect(out.map(toHex)).toEqual(frames.map(toHex));
    expect(header).toMatchObject({ kind: 'backup', seq: 42, createdAt: 1_700_000_000_000 });
    expect(header.salt).toHaveLength(32);
  });

  it('spans several segments, read in odd pieces', async () => {
    const fixture = await sealFixture(BIG);
    expect(fixture.segments.length).toBe(3);
    const opened = await openArchive(piecesOf(fixture.bytes, 777), fixture.options);
    expect((await collectFrames(opened.frames)).map(toHex)).toEqual(BIG.map(toHex));
  });

  it('compresses: repetitive history takes a fraction of its size', async () => {
    const frames = Array.from({ length: 500 }, (_, i) => utf8(`{"text":"message number ${i}"}`));
    const fixture = await sealFixture(frames);
    const plain = frames.reduce((n, f) => n + f.length + 4, 0);
    expect(fixture.bytes.length).toBeLessThan(plain / 3);
  });

  it('carries the backup id', async () => {
    const signer = await testSigner();
    const backupId = new Uint8Array(16).fill(5);
    const sealed = await collectBytes(
      sealArchive({
        kind: 'backup',
        createdAt: 5,
        seq: 2,
        backupId,
        root: TEST_ROOT,
        signer: signer.privateKey,
        frames: listOf([]),
      }),
    );
    const { header, frames } = await openAll(sealed, {
      root: TEST_ROOT,
      identitySigningKey: signer.publicKey,
    });
    expect(toHex(header.backupId as Bytes)).toBe(toHex(backupId));
    expect(frames).toEqual([]);
  });

  it('uses a fresh salt every time: the same frames seal to different bytes', async () => {
    const a = await sealFixture([utf8('x')]);
    const b = await sealFixture([utf8('x')]);
    expect(toHex(a.bytes)).not.toBe(toHex(b.bytes));
  });
});

describe('archive failures', () => {
  it('a wrong root key is ARCHIVE_WRONG_KEY, before any of the body is read', async () => {
    const fixture = await sealFixture([utf8('secret')]);
    let bodyRead = false;
    async function* source(): AsyncGenerator<Uint8Array> {
      yield fixture.bytes.subarray(0, fixture.headerBytes);
      bodyRead = true;
      yield fixture.bytes.subarray(fixture.headerBytes);
    }
    const wrong = { ...fixture.options, root: new Uint8Array(32).fill(8) };
    expect((await errorOf(() => openArchive(source(), wrong))).code).toBe(
      ErrorCode.ARCHIVE_WRONG_KEY,
    );
    expect(bodyRead).toBe(false);
  });

  it('a header signed by another identity is ARCHIVE_DAMAGED', async () => {
    const fixture = await sealFixture([utf8('x')]);
    const other = await generateSigningKeyPair();
    const options = { ...fixture.options, identitySigningKey: other.publicKey };
    expect((await errorOf(() => openAll(fixture.bytes, options))).code).toBe(
      ErrorCode.ARCHIVE_DAMAGED,
    );
  });

  it('other magic, another version or an empty file is ARCHIVE_UNSUPPORTED', async () => {
    const fixture = await sealFixture([utf8('x')]);
    const zip = concat(utf8('PK\x03\x04'), fixture.bytes.subarray(4));
    const v2 = fixture.bytes.slice();
    v2[7] = 2;
    for (const bytes of [zip, v2, new Uint8Array(0)]) {
      expect((await errorOf(() => openAll(bytes, fixture.options))).code).toBe(
        ErrorCode.ARCHIVE_UNSUPPORTED,
      );
    }
  });

  it('a dropped last segment, swapped segments or trailing bytes are ARCHIVE_DAMAGED', async () => {
    const fixture = await sealFixture(BIG);
    const [s0, s1, s2] = fixture.segments as [[number, number], [number, number], [number, number]];
    const b = fixture.bytes;
    const dropped = b.subarray(0, s2[0]);
    const swapped = concat(
      b.subarray(0, s0[0]),
      b.subarray(...s1),
      b.subarray(...s0),
      b.subarray(...s2),
    );
    const trailing = concat(b, new Uint8Array(1));
    const headerOnly = b.subarray(0, fixture.headerBytes);
    for (const bytes of [dropped, swapped, trailing, headerOnly]) {
      expect((await errorOf(() => openAll(bytes, fixture.options))).code).toBe(
        ErrorCode.ARCHIVE_DAMAGED,
      );
    }
  });

  it('a replayed header over another body of the same account is ARCHIVE_DAMAGED', async () => {
    const old = await sealFixture([utf8('old snapshot')], 'backup', 1);
    const fresh = await sealFixture([utf8('new snapshot')], 'backup', 2);
    const spliced = concat(
      old.bytes.subarray(0, old.headerBytes),
      fresh.bytes.subarray(fresh.headerBytes),
    );
    expect((await errorOf(() => openAll(spliced, old.options))).code).toBe(
      ErrorCode.ARCHIVE_DAMAGED,
    );
  });

  it('a failing source passes its own error through, not ARCHIVE_DAMAGED', async () => {
    const fixture = await sealFixture(BIG);
    const offline = new ParleyError(ErrorCode.RELAY_UNREACHABLE, 'offline');
    async function* source(): AsyncGenerator<Uint8Array> {
      yield fixture.bytes.subarray(0, fixture.headerBytes + 70_000);
      throw offline;
    }
    const opened = await openArchive(source(), fixture.options);
    await expect(collectFrames(opened.frames)).rejects.toBe(offline);
  });
});

describe('archive frames', () => {
  it('a body that ends inside a frame is ARCHIVE_DAMAGED', async () => {
    const framed = await collectBytes(encodeFrames(listOf([utf8('hello')])));
    for (let cut = 1; cut < framed.length; cut++) {
      const error = await errorOf(() =>
        collectFrames(decodeFrames(piecesOf(framed.subarray(0, cut), 2))),
      );
      expect(error.code).toBe(ErrorCode.ARCHIVE_DAMAGED);
    }
  });

  it('a frame longer than the cap is ARCHIVE_DAMAGED without buffering it', async () => {
    const error = await errorOf(() =>
      collectFrames(decodeFrames(listOf([new Uint8Array([0xff, 0, 0, 0])]))),
    );
    expect(error.code).toBe(ErrorCode.ARCHIVE_DAMAGED);
  });
});

describe('opening with the signer learned from the body (a backup restored into an empty profile)', () => {
  it('checks the key before the body, and leaves the signature to the caller', async () => {
    const fixture = await sealFixture(BIG, 'backup', 3);
    // A wrong root is ARCHIVE_WRONG_KEY from the header alone: the body is never read.
    let pulled = 0;
    async function* counting(): AsyncGenerator<Uint8Array> {
      for await (const piece of piecesOf(fixture.bytes, fixture.headerBytes)) {
        pulled++;
        yield piece;
      }
    }
    const wrong = new Uint8Array(32).fill(8);
    expect((await errorOf(() => openArchiveSignerUnchecked(counting(), wrong))).code).toBe(
      ErrorCode.ARCHIVE_WRONG_KEY,
    );
    expect(pulled).toBe(1);
    const { opened, signedBy } = await openArchiveSignerUnchecked(
      piecesOf(fixture.bytes, 3000),
      TEST_ROOT,
    );
    expect(opened.header).toMatchObject({ kind: 'backup', seq: 3 });
    expect((await collectFrames(opened.frames)).map(toHex)).toEqual(BIG.map(toHex));
    expect(await signedBy(fixture.signer.publicKey)).toBe(true);
    const other = await generateSigningKeyPair(true);
    expect(await signedBy(other.publicKey)).toBe(false);
  });
});
