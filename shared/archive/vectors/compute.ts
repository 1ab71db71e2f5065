/**
 * The frozen test vectors of the archive format (archive-v1.json), from fixed
 * keys and frames. `generate.ts` wrote the file once. The key derivations and
 * the signed header are deterministic, so the tests recompute them byte for
 * byte; the body's compressed bytes differ between runtimes' zlib builds
 * (compression.ts), so for the body the tests open the frozen archives and
 * compare the frames.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { type Bytes, concat, fromHex, toHex, u32be, utf8 } from '../../bytes.ts';
import { signingKeyPairFromPrivate } from '../../crypto/ed25519.ts';
import { sealArchive } from '../archive.ts';
import { type ArchiveHeader, encodeArchiveHeader } from '../header.ts';
import { archiveKey, archiveKeyCheck, archiveStreamHeader } from '../keys.ts';

export const ARCHIVE_VECTOR_INPUTS = {
  root: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
  signingSeed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  salt: 'a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf',
  createdAt: 1_800_000_000_000,
  seq: 7,
  backupId: 'c0c1c2c3c4c5c6c7c8c9cacbcccdcecf',
};

/** Incompressible bytes anyone can regenerate: SHA-256(label ‖ BE32(i)) blocks. */
export function noiseBytes(length: number, label = 'archive vector'): Bytes {
  const blocks: Uint8Array[] = [];
  for (let i = 0; i * 32 < length; i++) blocks.push(sha256(concat(utf8(label), u32be(i))));
  return concat(...blocks).slice(0, length);
}

/** The frame sets of the vectors: described, so the JSON stays readable. */
export type FrameSpec = { readonly text: string } | { readonly noise: number };

export function frameOf(spec: FrameSpec): Bytes {
  return 'text' in spec ? utf8(spec.text) : noiseBytes(spec.noise);
}

export const ARCHIVE_VECTOR_CASES: ReadonlyArray<{
  readonly name: string;
  readonly kind: 'transfer' | 'backup';
  readonly frames: readonly FrameSpec[];
}> = [
  { name: 'empty transfer', kind: 'transfer', frames: [] },
  {
    name: 'small backup',
    kind: 'backup',
    frames: [{ text: 'one' }, { text: '' }, { text: 'three' }],
  },
  // Incompressible and longer than one 64 KiB segment: two segments.
  { name: 'two segments', kind: 'transfer', frames: [{ noise: 50_000 }, { noise: 30_000 }] },
];

export interface ArchiveKeyVectors {
  readonly signingPublic: string;
  readonly keyCheck: string;
  readonly archiveKey: string;
  readonly streamSalt: string;
  readonly streamNoncePrefix: string;
}

export async function computeKeyVectors(): Promise<ArchiveKeyVectors> {
  const input = ARCHIVE_VECTOR_INPUTS;
  const signer = await signingKeyPairFromPrivate(fromHex(input.signingSeed));
  const ak = archiveKey(fromHex(input.root), fromHex(input.salt));
  const stream = archiveStreamHeader(ak);
  return {
    signingPublic: toHex(signer.publicKey),
    keyCheck: toHex(archiveKeyCheck(fromHex(input.root))),
    archiveKey: toHex(ak),
    streamSalt: toHex(stream.salt),
    streamNoncePrefix: toHex(stream.noncePrefix),
  };
}

function vectorHeader(kind: 'transfer' | 'backup'): ArchiveHeader {
  const input = ARCHIVE_VECTOR_INPUTS;
  return {
    kind,
    createdAt: input.createdAt,
    seq: input.seq,
    salt: fromHex(input.salt),
    keyCheck: archiveKeyCheck(fromHex(input.root)),
    ...(kind === 'backup' ? { backupId: fromHex(input.backupId) } : {}),
  };
}

/** The signed header of each case (Ed25519 is deterministic). */
export async function computeHeaderVectors(): Promise<string[]> {
  const signer = await signingKeyPairFromPrivate(fromHex(ARCHIVE_VECTOR_INPUTS.signingSeed));
  const out: string[] = [];
  for (const c of ARCHIVE_VECTOR_CASES) {
    out.push(toHex(await encodeArchiveHeader(vectorHeader(c.kind), signer.privateKey)));
  }
  return out;
}

async function* listOf(frames: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* frames;
}

/** Seals one case with this runtime's compressor (the generator's runtime froze these). */
export async function sealVectorCase(index: number): Promise<Bytes> {
  const c = ARCHIVE_VECTOR_CASES[index];
  if (c === undefined) throw new RangeError('no such vector case');
  const input = ARCHIVE_VECTOR_INPUTS;
  const signer = await signingKeyPairFromPrivate(fromHex(input.signingSeed));
  const header = vectorHeader(c.kind);
  const parts: Uint8Array[] = [];
  for await (const part of sealArchive({
    ...header,
    root: fromHex(input.root),
    signer: signer.privateKey,
    salt: header.salt,
    frames: listOf(c.frames.map(frameOf)),
  })) {
    parts.push(part);
  }
  return concat(...parts);
}
