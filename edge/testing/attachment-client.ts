/**
 * A small attachment client for relay tests: create (device-signed), chunk
 * PUT/GET, status and complete with the upload token. Chunk requests follow
 * a 307 to the object store the way `fetch(url, {redirect: 'follow'})` does
 * in a page: same method and body, no Authorization header at the other origin.
 * Not the product's upload pipeline (shared/attachments/): bytes are opaque here.
 */
import { type Bytes, concat } from '../../shared/bytes.ts';
import { deviceRequest, expectJson, type Http, type TestDevice } from './client.ts';

export interface CreatedUpload {
  readonly id: string;
  readonly uploadToken: string;
  readonly chunkBytes: number;
  readonly chunks: number;
  readonly expiresAt: number;
}

export function createUpload(http: Http, device: TestDevice, size: number): Promise<Response> {
  return deviceRequest(http, device, 'POST', '/v1/attachments', { size });
}

export async function createdUpload(
  http: Http,
  device: TestDevice,
  size: number,
): Promise<CreatedUpload> {
  return expectJson<CreatedUpload>(await createUpload(http, device, size), 201);
}

/** One request to the relay; a 307 is followed once to its Location (the object store). */
export async function transfer(
  http: Http,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const first = await http(path, { ...init, redirect: 'manual' });
  if (first.status !== 307) return first;
  const location = first.headers.get('location');
  if (location === null) throw new Error('307 without Location');
  const headers = new Headers(init.headers);
  headers.delete('authorization');
  return fetch(location, { ...init, headers });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export function putChunk(
  http: Http,
  upload: Pick<CreatedUpload, 'id' | 'uploadToken'>,
  index: number,
  data: Uint8Array,
): Promise<Response> {
  return transfer(http, `/v1/attachments/${upload.id}/chunks/${index}`, {
    method: 'PUT',
    headers: { ...bearer(upload.uploadToken), 'content-type': 'application/octet-stream' },
    body: data as Uint8Array<ArrayBuffer>,
  });
}

export function getChunk(http: Http, id: string, index: number, range?: string): Promise<Response> {
  return transfer(http, `/v1/attachments/${id}/chunks/${index}`, {
    headers: range === undefined ? {} : { range },
  });
}

export function uploadStatus(
  http: Http,
  upload: Pick<CreatedUpload, 'id' | 'uploadToken'>,
): Promise<Response> {
  return http(`/v1/attachments/${upload.id}/status`, { headers: bearer(upload.uploadToken) });
}

export function completeUpload(
  http: Http,
  upload: Pick<CreatedUpload, 'id' | 'uploadToken'>,
): Promise<Response> {
  return http(`/v1/attachments/${upload.id}/complete`, {
    method: 'POST',
    headers: { ...bearer(upload.uploadToken), 'content-type': 'application/json' },
    body: '{}',
  });
}

export function chunkOf(data: Uint8Array, upload: CreatedUpload, index: number): Uint8Array {
  const start = index * upload.chunkBytes;
  return data.subarray(start, Math.min(data.length, start + upload.chunkBytes));
}

/** Uploads every chunk not yet stored, then completes; throws on any unexpected status. */
export async function uploadAll(
  http: Http,
  upload: CreatedUpload,
  data: Uint8Array,
): Promise<void> {
  const status = await expectJson<{ received: number[] }>(await uploadStatus(http, upload), 200);
  const have = new Set(status.received);
  for (let index = 0; index < upload.chunks; index++) {
    if (have.has(index)) continue;
    const res = await putChunk(http, upload, index, chunkOf(data, upload, index));
    if (res.status !== 204 && res.status !== 200)
      throw new Error(`chunk ${index}: HTTP ${res.status} ${await res.text()}`);
  }
  await expectJson(await completeUpload(http, upload), 200);
}

/** Downloads every chunk of a complete attachment. */
export async function downloadAll(http: Http, id: string): Promise<Bytes> {
  const info = await expectJson<{ chunks: number }>(await http(`/v1/attachments/${id}`), 200);
  const parts: Uint8Array[] = [];
  for (let index = 0; index < info.chunks; index++) {
    const res = await getChunk(http, id, index);
    if (res.status !== 200) throw new Error(`chunk ${index}: HTTP ${res.status}`);
    parts.push(new Uint8Array(await res.arrayBuffer()));
  }
  return concat(...parts);
}
