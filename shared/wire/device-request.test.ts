import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toBase64Url, toHex, utf8 } from '../bytes.ts';
import { generateSigningKeyPair } from '../crypto/ed25519.ts';
import { sha256Digest } from '../crypto/kdf.ts';
import { ErrorCode, isParleyError } from '../errors.ts';
import {
  checkRequestTime,
  deviceRequestPayload,
  formatDeviceAuthorization,
  parseDeviceAuthorization,
  requestKeyOf,
  signDeviceRequest,
  verifyDeviceRequest,
} from './device-request.ts';
import { REQUEST_MAX_SKEW_MS } from './limits.ts';
import { ALICE, BOB, seq, T0 } from './testing/samples.ts';

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    return isParleyError(e) ? `${e.code}:${String(e.details?.reason ?? '')}` : 'other';
  }
  return 'none';
}

const sig = toBase64Url(seq(64));
const good = `Parley-Device user=${ALICE}, device=3, ts=${T0}, sig=${sig}`;

describe('Authorization header', () => {
  it('formats and parses back', () => {
    const auth = { user: ALICE, device: 3, ts: T0, signature: seq(64) };
    expect(formatDeviceAuthorization(auth)).toBe(good);
    expect(parseDeviceAuthorization(good)).toEqual(auth);
  });

  it('accepts any parameter order, spacing and scheme case', () => {
    const parsed = parseDeviceAuthorization(
      `parley-device sig=${sig},ts=${T0} ,  device=3,user=${ALICE}`,
    );
    expect(parsed.device).toBe(3);
    expect(parsed.ts).toBe(T0);
  });

  it.each([
    ['', 'missing'],
    [`Bearer abc`, 'scheme'],
    [`Parley-Device`, 'scheme'],
    [`Parley-Device user=${ALICE}, device=3, ts=${T0}`, 'missing parameter'],
    [`${good}, extra=1`, 'unknown parameter'],
    [`${good}, device=4`, 'duplicate parameter'],
    [`Parley-Device user=${ALICE}, device, ts=${T0}, sig=${sig}`, 'syntax'],
    [good.replace(ALICE, ALICE.toUpperCase()), 'user'],
    [good.replace(ALICE, `"${ALICE}"`), 'user'],
    [good.replace('device=3', 'device=0'), 'device'],
    [good.replace('device=3', 'device=03'), 'device'],
    [good.replace('device=3', 'device=2147483648'), 'device'],
    [good.replace('device=3', 'device=-1'), 'device'],
    [good.replace(`ts=${T0}`, 'ts=1.5'), 'ts'],
    [good.replace(`ts=${T0}`, 'ts=99999999999999999'), 'ts'],
    [good.replace(sig, sig.slice(1)), 'sig'],
    [good.replace(sig, `${sig.slice(0, -1)}B`), 'sig'], // non-canonical trailing bits
    [good.replace(sig, `${sig.slice(0, -2)}==`), 'sig'],
    [`${good}${' '.repeat(600)}`, 'too long'],
  ])('rejects %s (%s)', (header, reason) => {
    expect(codeOf(() => parseDeviceAuthorization(header))).toBe(
      `${ErrorCode.AUTH_HEADER_INVALID}:${reason}`,
    );
  });

  it('never throws anything but AUTH_HEADER_INVALID on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (header) => {
        const code = codeOf(() => parseDeviceAuthorization(`Parley-Device ${header}`));
        expect(code === 'none' || code.startsWith(`${ErrorCode.AUTH_HEADER_INVALID}:`)).toBe(true);
      }),
      { numRuns: 2000 },
    );
    expect(codeOf(() => parseDeviceAuthorization(null))).toBe(
      `${ErrorCode.AUTH_HEADER_INVALID}:missing`,
    );
  });
});

describe('request signatures', () => {
  const request = { method: 'PUT', path: '/v1/prekeys', body: utf8('{"oneTimePreKeys":[]}') };
  const who = { user: ALICE, device: 3, ts: T0 };

  it('payload layout: context, method, path, user, u32 device, u64 ts, SHA-256(body)', () => {
    const payload = deviceRequestPayload(request, who);
    const field = (bytes: Uint8Array) => bytes.length.toString(16).padStart(8, '0') + toHex(bytes);
    expect(toHex(payload)).toBe(
      toHex(utf8('Parley/v1/sig/device-request')) +
        '00' +
        field(utf8('PUT')) +
        field(utf8('/v1/prekeys')) +
        field(utf8(ALICE)) +
        field(new Uint8Array([0, 0, 0, 3])) +
        field(new Uint8Array([0, 0, 0x01, 0x9a, 0xb0, 0xa2, 0x07, 0x00])) +
        field(sha256Digest(request.body)),
    );
  });

  it('verifies the exact request and nothing else', async () => {
    const key = await generateSigningKeyPair(false);
    const header = await signDeviceRequest(key.privateKey, request, who);
    const auth = parseDeviceAuthorization(header);
    expect(await verifyDeviceRequest(key.publicKey, auth, request)).toBe(true);
    expect(await verifyDeviceRequest(key.publicKey, auth, { ...request, method: 'POST' })).toBe(
      false,
    );
    expect(
      await verifyDeviceRequest(key.publicKey, auth, { ...request, path: '/v1/prekeys?x=1' }),
    ).toBe(false);
    expect(await verifyDeviceRequest(key.publicKey, auth, { ...request, body: utf8('{}') })).toBe(
      false,
    );
    expect(await verifyDeviceRequest(key.publicKey, { ...auth, ts: T0 + 1 }, request)).toBe(false);
    expect(await verifyDeviceRequest(key.publicKey, { ...auth, user: BOB }, request)).toBe(false);
    expect(await verifyDeviceRequest(key.publicKey, { ...auth, device: 4 }, request)).toBe(false);
    expect(await verifyDeviceRequest(key.publicKey, auth, { ...request, method: 'put' })).toBe(
      false,
    );
    const other = await generateSigningKeyPair();
    expect(await verifyDeviceRequest(other.publicKey, auth, request)).toBe(false);
  });

  it('keeps management signatures apart from device signatures (scheme and context)', async () => {
    const key = await generateSigningKeyPair(false);
    const header = await signDeviceRequest(key.privateKey, request, who, 'management');
    expect(header.startsWith('Parley-Manage ')).toBe(true);
    expect(requestKeyOf(header)).toBe('management');
    expect(codeOf(() => parseDeviceAuthorization(header))).toBe(
      `${ErrorCode.AUTH_HEADER_INVALID}:scheme`,
    );
    const auth = parseDeviceAuthorization(header, 'management');
    expect(await verifyDeviceRequest(key.publicKey, auth, request, 'management')).toBe(true);
    // The same key's management signature is no device signature, and back.
    expect(await verifyDeviceRequest(key.publicKey, auth, request)).toBe(false);
    const asDevice = parseDeviceAuthorization(
      await signDeviceRequest(key.privateKey, request, who),
    );
    expect(await verifyDeviceRequest(key.publicKey, asDevice, request, 'management')).toBe(false);
    expect(toHex(deviceRequestPayload(request, who, 'management'))).toContain(
      toHex(utf8('Parley/v1/sig/management-request')),
    );
  });

  it('refuses to sign malformed requests', () => {
    expect(codeOf(() => deviceRequestPayload({ ...request, method: 'get' }, who))).toBe(
      `${ErrorCode.BAD_ARGUMENT}:`,
    );
    expect(codeOf(() => deviceRequestPayload({ ...request, path: 'v1/x' }, who))).toBe(
      `${ErrorCode.BAD_ARGUMENT}:`,
    );
    expect(codeOf(() => deviceRequestPayload({ ...request, path: '/v1/a b' }, who))).toBe(
      `${ErrorCode.BAD_ARGUMENT}:`,
    );
    expect(codeOf(() => deviceRequestPayload(request, { ...who, ts: -1 }))).toBe(
      `${ErrorCode.BAD_ARGUMENT}:`,
    );
  });

  it('checks the clock skew window', () => {
    expect(codeOf(() => checkRequestTime(T0, T0 + REQUEST_MAX_SKEW_MS))).toBe('none');
    expect(codeOf(() => checkRequestTime(T0, T0 - REQUEST_MAX_SKEW_MS))).toBe('none');
    expect(codeOf(() => checkRequestTime(T0, T0 + REQUEST_MAX_SKEW_MS + 1))).toBe(
      `${ErrorCode.REQUEST_EXPIRED}:`,
    );
    expect(codeOf(() => checkRequestTime(T0 + REQUEST_MAX_SKEW_MS + 1, T0))).toBe(
      `${ErrorCode.REQUEST_EXPIRED}:`,
    );
  });
});
