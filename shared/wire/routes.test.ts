import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../bytes.ts';
import { ErrorCode, isParleyError } from '../errors.ts';
import { HTTP_STATUS_BY_CODE, httpStatusFor } from './http-status.ts';
import { ATTACHMENT_CHUNK_BYTES, ATTACHMENT_MAX_BYTES, ATTACHMENT_MAX_CHUNKS } from './limits.ts';
import {
  AttachmentCreateRequestSchema,
  attachmentChunkCount,
  attachmentChunkLength,
} from './rest-attachments.ts';
import { buildPath, routes } from './routes.ts';
import { ALICE, seq } from './testing/samples.ts';

describe('routes', () => {
  const all = Object.entries(routes);

  it('are unique by method and path and live under /v1', () => {
    const keys = all.map(([, r]) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const [, r] of all) expect(r.path.startsWith('/v1/')).toBe(true);
  });

  it('GET and DELETE carry no body; 204 responses neither', () => {
    for (const [name, r] of all) {
      if (r.method === 'GET' || r.method === 'DELETE')
        expect([name, r.request]).toEqual([name, null]);
      if (r.status === 204) expect([name, r.response]).toEqual([name, null]);
    }
  });

  it('only the passkey start/finish routes, attachment downloads and the linking rendezvous are unauthenticated', () => {
    // Attachment downloads: the id is the capability. The new device has no account yet; the
    // rendezvous is protected by the code, not by the relay.
    const open = all.filter(([, r]) => r.auth === 'none').map(([name]) => name);
    expect(open.sort()).toEqual([
      'attachmentChunkGet',
      'attachmentInfo',
      'linkClose',
      'linkCreate',
      'linkFind',
      'linkPost',
      'linkRead',
      'linkStrike',
      'loginOptions',
      'loginVerify',
      'registerOptions',
      'registerVerify',
    ]);
  });

  it('builds paths with encoded parameters', () => {
    expect(buildPath(routes.bundle.path, { user: ALICE, device: 7 })).toBe(
      `/v1/users/${ALICE}/bundles/7`,
    );
    expect(buildPath(routes.lookupHandle.path, { handle: 'a/b?c' })).toBe('/v1/handles/a%2Fb%3Fc');
    let error: unknown;
    try {
      buildPath(routes.bundle.path, { user: ALICE });
    } catch (e) {
      error = e;
    }
    expect(isParleyError(error, ErrorCode.BAD_ARGUMENT)).toBe(true);
  });
});

describe('HTTP statuses', () => {
  it('maps client-caused codes to 4xx and everything unknown to 500', () => {
    expect(httpStatusFor(ErrorCode.BODY_INVALID)).toBe(400);
    expect(httpStatusFor(ErrorCode.BODY_TOO_LARGE)).toBe(413);
    expect(httpStatusFor(ErrorCode.AUTH_FAILED)).toBe(401);
    expect(httpStatusFor(ErrorCode.HANDLE_TAKEN)).toBe(409);
    expect(httpStatusFor(ErrorCode.RATE_LIMITED)).toBe(429);
    expect(httpStatusFor(ErrorCode.DECRYPT_FAILED)).toBe(500);
    expect(httpStatusFor('toString')).toBe(500);
    for (const code of Object.keys(HTTP_STATUS_BY_CODE))
      expect(Object.values(ErrorCode)).toContain(code);
  });
});

describe('attachments', () => {
  it('chunk arithmetic', () => {
    expect(attachmentChunkCount(1)).toBe(1);
    expect(attachmentChunkCount(ATTACHMENT_CHUNK_BYTES)).toBe(1);
    expect(attachmentChunkCount(ATTACHMENT_CHUNK_BYTES + 1)).toBe(2);
    expect(attachmentChunkCount(ATTACHMENT_MAX_BYTES)).toBe(ATTACHMENT_MAX_CHUNKS);
    expect(attachmentChunkLength(ATTACHMENT_CHUNK_BYTES + 5, 0)).toBe(ATTACHMENT_CHUNK_BYTES);
    expect(attachmentChunkLength(ATTACHMENT_CHUNK_BYTES + 5, 1)).toBe(5);
    for (const [size, index] of [
      [0, 0],
      [ATTACHMENT_MAX_BYTES + 1, 0],
      [10, 1],
      [10, -1],
    ] as const) {
      let error: unknown;
      try {
        attachmentChunkLength(size, index);
      } catch (e) {
        error = e;
      }
      expect(isParleyError(error, ErrorCode.ATTACHMENT_INVALID)).toBe(true);
    }
  });

  it('create requests declare only a size, capped at the protocol ceiling', () => {
    const ok = { size: ATTACHMENT_MAX_BYTES };
    expect(v.safeParse(AttachmentCreateRequestSchema, ok).success).toBe(true);
    expect(
      v.safeParse(AttachmentCreateRequestSchema, { size: ATTACHMENT_MAX_BYTES + 1 }).success,
    ).toBe(false);
    expect(v.safeParse(AttachmentCreateRequestSchema, { size: 0 }).success).toBe(false);
    // The digest travels in the end-to-end pointer, never to the relay.
    expect(
      v.safeParse(AttachmentCreateRequestSchema, { ...ok, digest: toBase64Url(seq(32)) }).success,
    ).toBe(false);
  });
});
