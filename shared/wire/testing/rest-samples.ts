/**
 * Sample REST bodies in byte shape (keys are patterned bytes of the right
 * lengths, not real keys: the schemas check shapes, the crypto validators
 * check keys).
 */
import type { DeviceRegistration, PrekeyBundlesResponse } from '../rest-devices.ts';
import { ALICE, seq, T0 } from './samples.ts';

export function sampleRegistration(oneTimePreKeys = 100): DeviceRegistration {
  return {
    identity: { dh: seq(32, 1), sig: seq(32, 2), binding: seq(64, 3) },
    device: {
      id: 1_234_567,
      key: seq(32, 4),
      certificate: seq(64, 5),
      createdAt: T0,
      name: 'Chromium on Linux',
    },
    signedPreKey: { id: 1, publicKey: seq(32, 6), signature: seq(64, 7) },
    kemPreKey: { id: 2, publicKey: seq(1184, 8), signature: seq(64, 9) },
    oneTimePreKeys: Array.from({ length: oneTimePreKeys }, (_, i) => ({
      id: 100 + i,
      publicKey: seq(32, i),
    })),
  };
}

export function sampleBundles(): PrekeyBundlesResponse {
  return {
    user: ALICE,
    identity: { dh: seq(32, 1), sig: seq(32, 2), binding: seq(64, 3) },
    devices: [
      {
        id: 1_234_567,
        key: seq(32, 4),
        certificate: seq(64, 5),
        createdAt: T0,
        signedPreKey: { id: 1, publicKey: seq(32, 6), signature: seq(64, 7) },
        kemPreKey: { id: 2, publicKey: seq(1184, 8), signature: seq(64, 9) },
        oneTimePreKey: { id: 100, publicKey: seq(32, 10) },
      },
      {
        id: 7,
        key: seq(32, 11),
        certificate: seq(64, 12),
        createdAt: T0 + 1,
        signedPreKey: { id: 3, publicKey: seq(32, 13), signature: seq(64, 14) },
        kemPreKey: { id: 4, publicKey: seq(1184, 15), signature: seq(64, 16) },
      },
    ],
  };
}
