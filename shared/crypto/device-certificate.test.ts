import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.ts';
import {
  certifyDevice,
  generateDeviceKey,
  validateDeviceCertificate,
} from './device-certificate.ts';
import { failure, failureCode } from './testing/errors.ts';
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
      expect(await failure(() => validateDeviceCertificate(signer, changed))).toEqual({
        code: ErrorCode.SIGNATURE_INVALID,
        field: 'deviceCertificate.signature',
      });
    }
    expect(await failureCode(() => validateDeviceCertificate(other.signing.publicKey, cert))).toBe(
      ErrorCode.SIGNATURE_INVALID,
    );
    expect(
      await failureCode(() => validateDeviceCertificate(signer, { ...cert, userId: '' })),
    ).toBe(ErrorCode.BAD_ARGUMENT);
    expect(
      await failureCode(() => validateDeviceCertificate(signer, { ...cert, createdAt: -5 })),
    ).toBe(ErrorCode.BAD_ARGUMENT);
  });
});
