import { gcm } from '@noble/ciphers/aes.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { hkdf as nobleHkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Bytes, concat, fromHex, toHex, u32be, utf8 } from '../bytes.ts';
import { ErrorCode, isParleyError } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import { sealSmall } from './aead.ts';
import { signedPayload, signWithContext } from './ed25519.ts';
import { hkdf, kdfChain } from './kdf.ts';
import { Label, SignatureContext } from './labels.ts';
import {
  createDistributionMessage,
  createSenderKey,
  processDistributionMessage,
  rotateSenderKey,
  type SenderKeyRecord,
} from './sender-key-chain.ts';
import {
  deserializeSenderKeyRecord,
  deserializeSenderKeyState,
  serializeSenderKeyRecord,
  serializeSenderKeyState,
} from './sender-key-record.ts';
import { decryptGroupMessage, encryptGroupMessage } from './sender-keys.ts';
import {
  aliceIdentity,
  bobIdentity,
  clock,
  deps,
  distributionId,
  encryptMany,
  seededRandom,
  setup,
} from './testing/sender-key-fixtures.ts';
import vector from './vectors/sender-keys.json' with { type: 'json' };

describe('sender keys: frozen vector', () => {
  it('encrypts the vector plaintexts to the frozen bytes and decrypts them', async () => {
    const state = await deserializeSenderKeyState(fromHex(vector.senderState));
    const identity = fromHex(vector.senderIdentity);
    expect(toHex(createDistributionMessage(state))).toBe(vector.distributionMessage);
    const record = processDistributionMessage(undefined, fromHex(vector.distributionMessage));
    let s = state;
    let r = record;
    for (const m of vector.messages) {
      const out = await encryptGroupMessage(s, utf8(m.plaintext), identity);
      expect(toHex(out.message)).toBe(m.message);
      s = out.state;
      const dec = await decryptGroupMessage(clock(), r, out.message, identity);
      expect(new TextDecoder().decode(dec.plaintext)).toBe(m.plaintext);
      expect(dec.iteration).toBe(m.iteration);
      r = dec.record;
    }
  });

  it('matches an independent reading of the format with @noble primitives', () => {
    const state = fromHex(vector.senderState);
    const identity = fromHex(vector.senderIdentity);
    const signingPublic = state.slice(58, 90);
    let chainKey: Uint8Array = state.slice(26, 58);
    for (const m of vector.messages) {
      const bytes = fromHex(m.message);
      expect([bytes[0], bytes[1]]).toEqual([1, 3]);
      expect(new DataView(bytes.buffer).getUint32(22)).toBe(m.iteration);
      const body = bytes.subarray(0, bytes.length - 64);
      const message = hmac(sha256, chainKey, new Uint8Array([1]));
      chainKey = hmac(sha256, chainKey, new Uint8Array([2]));
      const okm = nobleHkdf(
        sha256,
        message,
        new Uint8Array(32),
        utf8(Label.GROUP_MESSAGE_KEYS),
        44,
      );
      const aad = concat(body.subarray(0, 26), identity);
      const padded = gcm(okm.subarray(0, 32), okm.subarray(32), aad).decrypt(body.subarray(26));
      expect(padded.length % 160).toBe(0);
      expect(new TextDecoder().decode(padded.subarray(0, m.plaintext.length))).toBe(m.plaintext);
      expect(padded[m.plaintext.length]).toBe(0x80);
      const signed = signedPayload(SignatureContext.SENDER_KEY_MESSAGE, body);
      expect(ed25519.verify(bytes.subarray(bytes.length - 64), signed, signingPublic)).toBe(true);
    }
  });
});

describe('sender keys: authenticity', () => {
  it('binds the sender identity: a message attributed to someone else does not decrypt', async () => {
    const { sender, record } = await setup();
    const { messages } = await encryptMany(sender, 1);
    const message = messages[0] as Bytes;
    expect(
      (await errorOf(() => decryptGroupMessage(clock(), record, message, bobIdentity))).code,
    ).toBe(ErrorCode.DECRYPT_FAILED);
    const ok = await decryptGroupMessage(clock(), record, message, aliceIdentity);
    expect(new TextDecoder().decode(ok.plaintext)).toBe('message 0');
  });

  it('a member who knows the chain key cannot forge the sender (signature check)', async () => {
    const { sender, record } = await setup();
    const forger = await createSenderKey(deps, distributionId);
    // Same chain id and chain key as the real sender, but the forger's signing key.
    const forged = await encryptGroupMessage(
      { ...sender, signingKey: forger.signingKey },
      utf8('pay me'),
      aliceIdentity,
    );
    expect(
      (await errorOf(() => decryptGroupMessage(clock(), record, forged.message, aliceIdentity)))
        .code,
    ).toBe(ErrorCode.SIGNATURE_INVALID);
  });

  it('a message from another sender’s chain is not found in this record', async () => {
    const { record } = await setup();
    const bob = await createSenderKey(deps, distributionId);
    const { messages } = await encryptMany(bob, 1, bobIdentity);
    expect(
      (await errorOf(() => decryptGroupMessage(clock(), record, messages[0] as Bytes, bobIdentity)))
        .code,
    ).toBe(ErrorCode.SENDER_KEY_MISSING);
    const elsewhere = await createSenderKey(deps, new Uint8Array(16).fill(9));
    const other = await encryptMany(elsewhere, 1);
    expect(
      (
        await errorOf(() =>
          decryptGroupMessage(clock(), record, other.messages[0] as Bytes, aliceIdentity),
        )
      ).code,
    ).toBe(ErrorCode.SENDER_KEY_MISSING);
  });

  it('rejects authentic ciphertext with bad padding (PADDING_INVALID) without changing state', async () => {
    const { sender, record } = await setup();
    const header = concat(new Uint8Array([1, 3]), distributionId, u32be(sender.chainId), u32be(0));
    const { messageKey } = kdfChain(sender.chainKey);
    const okm = hkdf(messageKey, undefined, Label.GROUP_MESSAGE_KEYS, 44);
    const ct = sealSmall(
      okm.subarray(0, 32),
      okm.subarray(32),
      new Uint8Array(160),
      concat(header, aliceIdentity),
    );
    const body = concat(header, ct);
    const sig = await signWithContext(
      sender.signingKey.privateKey,
      SignatureContext.SENDER_KEY_MESSAGE,
      body,
    );
    expect(
      (await errorOf(() => decryptGroupMessage(clock(), record, concat(body, sig), aliceIdentity)))
        .code,
    ).toBe(ErrorCode.PADDING_INVALID);
    const { messages } = await encryptMany(sender, 1);
    const ok = await decryptGroupMessage(clock(), record, messages[0] as Bytes, aliceIdentity);
    expect(ok.iteration).toBe(0);
  });
});

describe('sender keys: properties', () => {
  /**
   * A sender writes `counts[c]` messages on chain c (rotating between chains);
   * the network delivers any multiset of them in any order; the receiver may
   * save and restore its record (and the sender its state) at any step.
   */
  it('delivers every message once, at its iteration, under loss, delay, duplication and reordering', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 0xffff_ffff }),
        fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        fc.array(fc.boolean(), { maxLength: 60 }),
        async (seed, counts, picks, saves) => {
          const random = seededRandom(seed);
          let sender = await createSenderKey({ random }, distributionId);
          let record: SenderKeyRecord | undefined;
          const sent: { message: Bytes; chainId: number; iteration: number; text: string }[] = [];
          for (const [c, count] of counts.entries()) {
            if (c > 0) sender = await rotateSenderKey({ random }, sender);
            record = processDistributionMessage(record, createDistributionMessage(sender));
            for (let i = 0; i < count; i++) {
              if (saves[sent.length % Math.max(1, saves.length)] === true) {
                sender = await deserializeSenderKeyState(await serializeSenderKeyState(sender));
              }
              const text = `chain ${c} message ${i}`;
              const out = await encryptGroupMessage(sender, utf8(text), aliceIdentity);
              sent.push({ message: out.message, chainId: sender.chainId, iteration: i, text });
              sender = out.state;
            }
          }
          if (record === undefined || sent.length === 0) return;
          const delivered = new Set<number>();
          for (const [step, pick] of picks.entries()) {
            const index = pick % sent.length;
            const m = sent[index] as (typeof sent)[number];
            if (saves[step] === true)
              record = deserializeSenderKeyRecord(serializeSenderKeyRecord(record));
            if (delivered.has(index)) {
              const current = record;
              expect(
                (
                  await errorOf(() =>
                    decryptGroupMessage(clock(), current, m.message, aliceIdentity),
                  )
                ).code,
              ).toBe(ErrorCode.DUPLICATE_MESSAGE);
              continue;
            }
            const dec = await decryptGroupMessage(clock(), record, m.message, aliceIdentity);
            expect(new TextDecoder().decode(dec.plaintext)).toBe(m.text);
            expect(dec.iteration).toBe(m.iteration);
            expect(dec.chainId).toBe(m.chainId);
            delivered.add(index);
            record = dec.record;
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('rejects any single bit flip and leaves the record unchanged and usable', async () => {
    const { sender, record } = await setup();
    const { messages } = await encryptMany(sender, 3);
    const base = (await decryptGroupMessage(clock(), record, messages[0] as Bytes, aliceIdentity))
      .record;
    const before = toHex(serializeSenderKeyRecord(base));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 }), fc.nat(), async (which, bitSeed) => {
        const message = messages[which] as Bytes;
        const bit = bitSeed % (message.length * 8);
        const flipped = message.slice();
        flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7));
        await expect(decryptGroupMessage(clock(), base, flipped, aliceIdentity)).rejects.toSatisfy(
          (e: unknown) => isParleyError(e),
        );
        expect(toHex(serializeSenderKeyRecord(base))).toBe(before);
        const ok = await decryptGroupMessage(clock(), base, message, aliceIdentity);
        expect(ok.iteration).toBe(which);
      }),
      { numRuns: 200 },
    );
  });

  it('never accepts a flipped bit anywhere in the sender identity', async () => {
    const { sender, record } = await setup();
    const { messages } = await encryptMany(sender, 1);
    await fc.assert(
      fc.asyncProperty(fc.nat(65 * 8 - 1), async (bit) => {
        const identity = aliceIdentity.slice();
        identity[bit >> 3] = (identity[bit >> 3] as number) ^ (1 << (bit & 7));
        expect(
          (
            await errorOf(() =>
              decryptGroupMessage(clock(), record, messages[0] as Bytes, identity),
            )
          ).code,
        ).toBe(ErrorCode.DECRYPT_FAILED);
      }),
      { numRuns: 50 },
    );
  });
});
