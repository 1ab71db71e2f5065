import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Bytes, concat, toHex, utf8 } from '../bytes.ts';
import { ErrorCode, isParleyError } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import {
  decryptMessage,
  deserializeSession,
  encryptMessage,
  type Session,
  serializeSession,
} from './session.ts';
import { SESSION_STATE_VERSION } from './session-codec.ts';
import { establish, type Party } from './testing/session-fixtures.ts';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

async function roundTrip(s: Session): Promise<Session> {
  return deserializeSession(await serializeSession(s));
}

async function send(p: Party, s: Session, m: string) {
  return encryptMessage(p.deps, s, utf8(m));
}

describe('session state codec', () => {
  it('restores an initiator with a pending prekey and a responder, who continue exactly', async () => {
    // Deterministic parties: the restored and the original session must produce identical bytes.
    const e = await establish({ seed: 'codec' });
    const alice = await roundTrip(e.aliceSession);
    const bob = await roundTrip(e.bobSession);
    expect(alice.pendingPreKey).toEqual(e.aliceSession.pendingPreKey);
    expect(alice.sendingAd).toEqual(e.aliceSession.sendingAd);
    expect(alice.agreement).toBe(e.aliceSession.agreement);
    const fromOriginal = await send(e.alice, e.aliceSession, 'same');
    const fromRestored = await send(e.alice, alice, 'same');
    expect(toHex(fromRestored.ciphertext)).toBe(toHex(fromOriginal.ciphertext));
    expect(text((await decryptMessage(e.bob.deps, bob, fromRestored.ciphertext)).plaintext)).toBe(
      'same',
    );
    expect(await serializeSession(alice)).toEqual(await serializeSession(e.aliceSession));
  });

  it('keeps skipped keys, retired chains and counters mid-chain', async () => {
    const e = await establish({ seed: 'codec-mid' });
    let alice = e.aliceSession;
    let bob = e.bobSession;
    const reply = await send(e.bob, bob, 'r');
    bob = reply.session;
    alice = (await decryptMessage(e.alice.deps, alice, reply.ciphertext)).session;
    const sent: Bytes[] = [];
    for (let i = 0; i < 5; i++) {
      const m = await send(e.alice, alice, `m${i}`);
      alice = m.session;
      sent.push(m.ciphertext);
    }
    bob = (await decryptMessage(e.bob.deps, bob, sent[4] as Bytes)).session;
    expect(bob.ratchet.skipped.size).toBe(4);
    expect(bob.ratchet.retired.length).toBe(1);
    const restored = await roundTrip(bob);
    expect(restored.ratchet.skipped.size).toBe(4);
    expect(restored.ratchet.retired).toEqual(bob.ratchet.retired);
    expect(restored.ratchet.receiving).toEqual(bob.ratchet.receiving);
    expect(restored.ratchet.previousSendingLength).toBe(bob.ratchet.previousSendingLength);
    for (const i of [2, 0, 3, 1]) {
      expect(text((await decryptMessage(e.bob.deps, restored, sent[i] as Bytes)).plaintext)).toBe(
        `m${i}`,
      );
    }
    expect((await errorOf(() => decryptMessage(e.bob.deps, restored, sent[4] as Bytes))).code).toBe(
      ErrorCode.DUPLICATE_MESSAGE,
    );
    const a = await send(e.bob, bob, 'back');
    const b = await send(e.bob, restored, 'back');
    expect(toHex(b.ciphertext)).toBe(toHex(a.ciphertext));
  });

  it('rejects an unknown version with STATE_VERSION', async () => {
    const e = await establish();
    const bytes = await serializeSession(e.bobSession);
    expect(bytes[0]).toBe(SESSION_STATE_VERSION);
    for (const v of [0, 2, 255]) {
      const changed = Uint8Array.from(bytes);
      changed[0] = v;
      expect((await errorOf(() => deserializeSession(changed))).code).toBe(ErrorCode.STATE_VERSION);
    }
  });

  it('rejects every truncation, trailing bytes and bad fields with STATE_CORRUPT', async () => {
    const e = await establish();
    const bytes = await serializeSession(e.aliceSession); // initiator: has the pending prekey part
    const corrupt = async (b: Uint8Array) => (await errorOf(() => deserializeSession(b))).code;
    for (let length = 0; length < bytes.length; length += length < 400 ? 1 : 97) {
      expect(await corrupt(bytes.subarray(0, length))).toBe(ErrorCode.STATE_CORRUPT);
    }
    expect(await corrupt(concat(bytes, new Uint8Array(1)))).toBe(ErrorCode.STATE_CORRUPT);
    const set = (offset: number, value: number) => {
      const b = Uint8Array.from(bytes);
      b[offset] = value;
      return b;
    };
    expect(await corrupt(set(1, 3))).toBe(ErrorCode.STATE_CORRUPT); // role
    expect(await corrupt(set(2, 0))).toBe(ErrorCode.STATE_CORRUPT); // key agreement
    expect(await corrupt(set(3, 0x06))).toBe(ErrorCode.STATE_CORRUPT); // unknown flag
    // A responder with a pending prekey is impossible.
    expect(await corrupt(set(1, 2))).toBe(ErrorCode.STATE_CORRUPT);
  });

  it('never throws anything but STATE_* errors on random input', async () => {
    const e = await establish();
    const bytes = await serializeSession(e.bobSession);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }),
          fc.tuple(fc.nat(bytes.length - 1), fc.nat(255)).map(([i, v]) => {
            const b = Uint8Array.from(bytes);
            b[i] = v;
            return b;
          }),
        ),
        async (input) => {
          try {
            await deserializeSession(input);
          } catch (err) {
            expect(
              isParleyError(err) &&
                (err.code === ErrorCode.STATE_CORRUPT || err.code === ErrorCode.STATE_VERSION),
            ).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
