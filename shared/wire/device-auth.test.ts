import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes.ts';
import { generateSigningKeyPair } from '../crypto/ed25519.ts';
import { ErrorCode, isParleyError } from '../errors.ts';
import { decodeClientFrame, encodeClientFrame } from './codec.ts';
import {
  createAuthFrame,
  createUnlockFrame,
  deviceAuthPayload,
  socketUnlockPayload,
  verifyDeviceAuth,
  verifySocketUnlock,
} from './device-auth.ts';
import { ALICE, BOB, seq } from './testing/samples.ts';

describe('device auth', () => {
  it('payload is context || 0 || length-prefixed nonce, user, u32 device', () => {
    const payload = deviceAuthPayload(seq(32), ALICE, 258);
    const context = 'Parley/v1/sig/device-auth';
    expect(toHex(payload)).toBe(
      toHex(new TextEncoder().encode(context)) +
        '00' +
        '00000020' +
        toHex(seq(32)) +
        '00000024' +
        toHex(new TextEncoder().encode(ALICE)) +
        '00000004' +
        '00000102',
    );
  });

  it('a signed auth frame verifies, survives the codec, and binds nonce, user and device', async () => {
    const key = await generateSigningKeyPair(false);
    const nonce = seq(32, 7);
    const frame = await createAuthFrame(key.privateKey, nonce, ALICE, 3);
    const wire = decodeClientFrame(encodeClientFrame(frame));
    if (wire.t !== 'auth') throw new Error('not an auth frame');
    expect(await verifyDeviceAuth(key.publicKey, nonce, wire)).toBe(true);
    expect(await verifyDeviceAuth(key.publicKey, seq(32, 8), wire)).toBe(false);
    expect(await verifyDeviceAuth(key.publicKey, nonce, { ...wire, user: BOB })).toBe(false);
    expect(await verifyDeviceAuth(key.publicKey, nonce, { ...wire, device: 4 })).toBe(false);
    const other = await generateSigningKeyPair();
    expect(await verifyDeviceAuth(other.publicKey, nonce, wire)).toBe(false);
    const flipped = wire.signature.slice();
    flipped[0] = (flipped[0] as number) ^ 1;
    expect(await verifyDeviceAuth(key.publicKey, nonce, { ...wire, signature: flipped })).toBe(
      false,
    );
  });

  it('rejects bad arguments with BAD_ARGUMENT', () => {
    const code = (run: () => unknown) => {
      try {
        run();
      } catch (e) {
        return isParleyError(e) ? e.code : 'other';
      }
      return 'none';
    };
    expect(code(() => deviceAuthPayload(seq(31), ALICE, 1))).toBe(ErrorCode.BAD_ARGUMENT);
    expect(code(() => deviceAuthPayload(seq(32), ALICE.toUpperCase(), 1))).toBe(
      ErrorCode.BAD_ARGUMENT,
    );
    expect(code(() => deviceAuthPayload(seq(32), ALICE, 0))).toBe(ErrorCode.BAD_ARGUMENT);
  });
});

describe('socket unlock', () => {
  it('payload is the auth payload under its own context', () => {
    const auth = toHex(deviceAuthPayload(seq(32), ALICE, 258));
    const unlock = toHex(socketUnlockPayload(seq(32), ALICE, 258));
    const hex = (text: string) => toHex(new TextEncoder().encode(text));
    expect(unlock.startsWith(`${hex('Parley/v1/sig/socket-unlock')}00`)).toBe(true);
    expect(unlock.slice(hex('Parley/v1/sig/socket-unlock').length)).toBe(
      auth.slice(hex('Parley/v1/sig/device-auth').length),
    );
  });

  it('an unlock frame verifies for its nonce, user, device and identity only', async () => {
    const identity = await generateSigningKeyPair(false);
    const nonce = seq(32, 9);
    const frame = await createUnlockFrame(identity.privateKey, nonce, ALICE, 3);
    const wire = decodeClientFrame(encodeClientFrame(frame));
    if (wire.t !== 'unlock') throw new Error('not an unlock frame');
    const who = { user: ALICE, device: 3 };
    expect(await verifySocketUnlock(identity.publicKey, nonce, who, wire)).toBe(true);
    // Another socket's challenge, another device or user, another identity: refused.
    expect(await verifySocketUnlock(identity.publicKey, seq(32, 10), who, wire)).toBe(false);
    expect(await verifySocketUnlock(identity.publicKey, nonce, { ...who, device: 4 }, wire)).toBe(
      false,
    );
    expect(await verifySocketUnlock(identity.publicKey, nonce, { ...who, user: BOB }, wire)).toBe(
      false,
    );
    const other = await generateSigningKeyPair();
    expect(await verifySocketUnlock(other.publicKey, nonce, who, wire)).toBe(false);
  });

  it('an auth signature is no unlock proof, and an unlock proof no auth signature', async () => {
    const key = await generateSigningKeyPair(false);
    const nonce = seq(32, 11);
    const auth = await createAuthFrame(key.privateKey, nonce, ALICE, 3);
    const unlock = await createUnlockFrame(key.privateKey, nonce, ALICE, 3);
    const who = { user: ALICE, device: 3 };
    expect(await verifySocketUnlock(key.publicKey, nonce, who, auth)).toBe(false);
    expect(
      await verifyDeviceAuth(key.publicKey, nonce, { ...who, signature: unlock.signature }),
    ).toBe(false);
  });
});
