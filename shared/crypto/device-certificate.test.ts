import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import {
  certifyDevice,
  generateDeviceKey,
  validateDeviceCertificate,
} from './device-certificate.ts';
import { other, set } from './testing/key-fixtures.ts';

describe('device certificate', () => {
  it('verifies, and fails for any changed field or another signer', async () => {
    const deviceKey = await generateDeviceKey();
    expect(deviceKey.privateKey.extractable).toBe(false);
    const cert = await certifyDevice(set.identity, {
      userId: 'alice',
      deviceId: 3,
      deviceKey: deviceKey.publicKey,
      createdAt: 1_700_000_000_123,
    });
    const signer = set.identity.signing.publicKey;
    await validateDeviceCertificate(signer, cert);
    for (const changed of [
      { ...cert, userId: 'alicf' },
      { ...cert, deviceId: 4 },
      { ...cert, createdAt: cert.createdAt + 1 },
      { ...cert, deviceKey: other.signing.publicKey },
    ]) {
      expect(await errorOf(() => validateDeviceCertificate(signer, changed))).toMatchObject({
        code: ErrorCode.SIGNATURE_INVALID,
        details: { field: 'deviceCertificate.signature' },
      });
    }
    expect(
      (await errorOf(() => validateDeviceCertificate(other.signing.publicKey, cert))).code,
    ).toBe(ErrorCode.SIGNATURE_INVALID);
    expect(
      (await errorOf(() => validateDeviceCertificate(signer, { ...cert, userId: '' }))).code,
    ).toBe(ErrorCode.BAD_ARGUMENT);
    expect(
      (await errorOf(() => validateDeviceCertificate(signer, { ...cert, createdAt: -5 }))).code,
    ).toBe(ErrorCode.BAD_ARGUMENT);
  });
});
