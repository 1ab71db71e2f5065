/**
 * The signed-request format with a scheme that is only data: what a new
 * scheme gets for free (layout, strict header parsing, verification), and
 * that two schemes never accept each other's headers or signatures.
 */
import { describe, expect, it } from 'vitest';
import { toBase64Url, toHex, u32be, utf8 } from '../bytes.ts';
import { generateSigningKeyPair, sign } from '../crypto/ed25519.ts';
import { sha256Digest } from '../crypto/kdf.ts';
import { ErrorCode } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import {
  authParams,
  base64UrlParam,
  decimalParam,
  formatAuthorization,
  hasScheme,
  type RequestScheme,
  signedRequestPayload,
  verifySignedRequest,
} from './signed-request.ts';

const WIDGET: RequestScheme = {
  name: 'Parley-Widget',
  context: 'Parley/v1/sig/widget-request-test',
  label: 'Widget request',
  params: ['widget', 'ts', 'sig'],
};
const OTHER: RequestScheme = { ...WIDGET, name: 'Parley-Other', context: 'Parley/v1/sig/other' };
const request = { method: 'POST', path: '/v1/widgets/7?x=1', body: utf8('{"a":1}') };

function reasonOf(run: () => unknown): unknown {
  const error = errorOf(run);
  expect(error.code).toBe(ErrorCode.AUTH_HEADER_INVALID);
  return error.details?.reason;
}

describe('signed requests of a scheme given as data', () => {
  it('payload: context, method, path, the signer fields, u64 ts, SHA-256(body)', () => {
    const payload = signedRequestPayload(WIDGET, request, () => [u32be(7)], 0x0102_0304_0506);
    const field = (bytes: Uint8Array) => bytes.length.toString(16).padStart(8, '0') + toHex(bytes);
    expect(toHex(payload)).toBe(
      `${toHex(utf8(WIDGET.context))}00${field(utf8('POST'))}${field(utf8(request.path))}${field(
        u32be(7),
      )}${field(new Uint8Array([0, 0, 1, 2, 3, 4, 5, 6]))}${field(sha256Digest(request.body))}`,
    );
  });

  it('checks method and path before the signer fields, and the time after them', () => {
    let signerRan = false;
    const signer = () => {
      signerRan = true;
      return [];
    };
    const badMethod = errorOf(() =>
      signedRequestPayload(WIDGET, { ...request, method: 'post' }, signer, 1),
    );
    expect([badMethod.code, badMethod.message, signerRan]).toEqual([
      ErrorCode.BAD_ARGUMENT,
      'Widget request: method must be an uppercase token',
      false,
    ]);
    const badTs = errorOf(() => signedRequestPayload(WIDGET, request, signer, -1));
    expect([badTs.code, badTs.message, signerRan]).toEqual([
      ErrorCode.BAD_ARGUMENT,
      'Widget request: ts must be a timestamp',
      true,
    ]);
  });

  it('formats its parameters in order and parses them back strictly', () => {
    const sig = toBase64Url(new Uint8Array(64).fill(9));
    const header = formatAuthorization(WIDGET, { widget: 7, ts: 5, sig });
    expect(header).toBe(`Parley-Widget widget=7, ts=5, sig=${sig}`);
    expect(hasScheme(header, WIDGET)).toBe(true);
    expect(hasScheme(header, OTHER)).toBe(false);
    expect(
      Object.fromEntries(authParams(header.replace('Parley-Widget', 'parley-widget'), WIDGET)),
    ).toEqual({
      widget: '7',
      ts: '5',
      sig,
    });
    expect(reasonOf(() => authParams(header, OTHER))).toBe('scheme');
    expect(reasonOf(() => authParams(`${header}, user=1`, WIDGET))).toBe('unknown parameter');
    expect(reasonOf(() => authParams(`${header}, ts=6`, WIDGET))).toBe('duplicate parameter');
    expect(reasonOf(() => authParams('Parley-Widget widget', WIDGET))).toBe('syntax');
    expect(reasonOf(() => authParams(undefined, WIDGET))).toBe('missing');
    expect(reasonOf(() => decimalParam('07', 0, 10, 'widget'))).toBe('widget');
    expect(reasonOf(() => decimalParam('11', 0, 10, 'widget'))).toBe('widget');
    expect(decimalParam('10', 0, 10, 'widget')).toBe(10);
    expect(base64UrlParam(sig, 64, 'sig')).toEqual(new Uint8Array(64).fill(9));
    expect(reasonOf(() => base64UrlParam(`${sig.slice(0, -1)}B`, 64, 'sig'))).toBe('sig');
  });

  it('verifies only under its own context, and a request it cannot encode is false', async () => {
    const key = await generateSigningKeyPair(false);
    const payload = () => signedRequestPayload(WIDGET, request, () => [u32be(7)], 5);
    const signature = await sign(key.privateKey, payload());
    expect(await verifySignedRequest(key.publicKey, signature, payload)).toBe(true);
    const other = () => signedRequestPayload(OTHER, request, () => [u32be(7)], 5);
    expect(await verifySignedRequest(key.publicKey, signature, other)).toBe(false);
    const unencodable = () => signedRequestPayload(WIDGET, { ...request, path: 'x' }, () => [], 5);
    expect(await verifySignedRequest(key.publicKey, signature, unencodable)).toBe(false);
  });
});
