// The client pipeline against the real relay process (Deno, libSQL storage):
// create (device-signed, as the background does), upload with the bearer
// token, resume from the relay's status after an abort, download with no
// authentication, and the typed failures for a tampered pointer and an
// unknown id. Needs the relay's attachment routes of docs/wire.md
// "Attachments" (upload token, status, no digest at create).
import { beforeAll, describe, expect, it } from 'vitest';
import { readStream } from '../byte-streams.ts';
import { type Bytes, concat, equalBytes, fromBase64Url } from '../bytes.ts';
import { useRelayProcess } from '../client/testing/relay-fixture.ts';
import { systemRandom } from '../crypto/random.ts';
import { ErrorCode } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import { downloadAttachment } from './download.ts';
import { newAttachmentKey } from './encrypt-file.ts';
import { attachmentBlobSize } from './format.ts';
import { nodeTransferDeps as deps, type Uploader, uploaderOn } from './testing/relay-upload.ts';
import { uploadAttachment } from './upload.ts';

const relay = useRelayProcess();
let uploader: Uploader;

beforeAll(async () => {
  uploader = await uploaderOn(relay.http, 'attsender');
});

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Bytes> {
  const parts: Uint8Array[] = [];
  for await (const part of readStream(stream)) parts.push(part);
  return concat(...parts);
}

describe('attachments through the relay process', () => {
  it('uploads, resumes after an abort, and downloads a multi-chunk file', async () => {
    const file = systemRandom(2_500_000);
    const key = newAttachmentKey(systemRandom);
    const created = await uploader.create(attachmentBlobSize(file.length));
    const controller = new AbortController();
    const first = uploadAttachment({
      relayUrl: relay.url,
      created,
      source: new Blob([file]),
      key,
      deps,
      signal: controller.signal,
      onProgress: () => controller.abort(new Error('page closed')),
    });
    await expect(first).rejects.toThrow('page closed');
    const sent: number[] = [];
    const up = await uploadAttachment({
      relayUrl: relay.url,
      created,
      source: new Blob([file]),
      key,
      deps,
      onProgress: (p) => sent.push(p.doneBytes),
    });
    expect(sent.at(-1)).toBe(attachmentBlobSize(file.length));
    const pointer = {
      id: fromBase64Url(created.id),
      key: up.key,
      digest: up.digest,
      digestScheme: up.digestScheme,
      size: up.size,
    };
    const plain = await readAll(downloadAttachment({ relayUrl: relay.url, pointer, deps }));
    expect(equalBytes(plain, file)).toBe(true);

    const wrong = { ...pointer, digest: new Uint8Array(32) };
    const tampered = await errorOf(() =>
      readAll(downloadAttachment({ relayUrl: relay.url, pointer: wrong, deps })),
    );
    expect(tampered.code).toBe(ErrorCode.ATTACHMENT_TAMPERED);
  });

  it('an unknown id is ATTACHMENT_EXPIRED', async () => {
    const pointer = {
      id: systemRandom(16),
      key: systemRandom(32),
      digest: systemRandom(32),
      size: 10,
    };
    const error = await errorOf(() =>
      readAll(downloadAttachment({ relayUrl: relay.url, pointer, deps })),
    );
    expect(error.code).toBe(ErrorCode.ATTACHMENT_EXPIRED);
  });
});
