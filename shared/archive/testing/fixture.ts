/**
 * A sealed archive to tamper with in tests: fixed identity and root, any
 * frames, and where its header and segments lie in the bytes.
 */
import type { Bytes } from '../../bytes.ts';
import { GCM_TAG_BYTES } from '../../crypto/aead.ts';
import { type SigningKeyPair, signingKeyPairFromPrivate } from '../../crypto/ed25519.ts';
import { STREAM_HEADER_BYTES } from '../../crypto/stream-aead.ts';
import { ARCHIVE_SEGMENT_BYTES, type OpenArchiveOptions, sealArchive } from '../archive.ts';
import type { ArchiveKind } from '../header.ts';
import { collectBytes, listOf } from './collect.ts';

export const TEST_ROOT = new Uint8Array(32).fill(7);
const TEST_SEED = new Uint8Array(32).fill(9);

export interface SealedFixture {
  readonly bytes: Bytes;
  readonly headerBytes: number;
  readonly signer: SigningKeyPair;
  readonly options: OpenArchiveOptions;
  /** [start, end) of each sealed segment in `bytes`. */
  readonly segments: ReadonlyArray<readonly [number, number]>;
}

export async function testSigner(): Promise<SigningKeyPair> {
  return signingKeyPairFromPrivate(TEST_SEED);
}

export async function sealFixture(
  frames: readonly Uint8Array[],
  kind: ArchiveKind = 'transfer',
  seq = 1,
): Promise<SealedFixture> {
  const signer = await testSigner();
  let headerBytes = 0;
  const parts: Uint8Array[] = [];
  for await (const part of sealArchive({
    kind,
    createdAt: 1_700_000_000_000,
    seq,
    root: TEST_ROOT,
    signer: signer.privateKey,
    frames: listOf(frames),
  })) {
    if (parts.length === 0) headerBytes = part.length;
    parts.push(part);
  }
  const bytes = await collectBytes(listOf(parts));
  const segments: Array<readonly [number, number]> = [];
  const full = ARCHIVE_SEGMENT_BYTES + GCM_TAG_BYTES;
  for (let at = headerBytes + STREAM_HEADER_BYTES; at < bytes.length; at += full) {
    segments.push([at, Math.min(at + full, bytes.length)]);
  }
  return {
    bytes,
    headerBytes,
    signer,
    options: { root: TEST_ROOT, identitySigningKey: signer.publicKey },
    segments,
  };
}
