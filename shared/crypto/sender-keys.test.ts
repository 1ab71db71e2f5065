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
  MAX_RECEIVER_CHAINS,
  MAX_SKIP,
  MAX_STORED_SKIPPED_KEYS,
  SKIPPED_KEY_MAX_AGE_MS,
} from './limits.ts';
import { type Random, systemRandom } from './random.ts';
import {
  deserializeSenderKeyRecord,
  deserializeSenderKeyState,
  serializeSenderKeyRecord,
  serializeSenderKeyState,
} from './sender-key-record.ts';
import {
  createDistributionMessage,
  createSenderKey,
  DISTRIBUTION_MESSAGE_BYTES,
  decodeDistributionMessage,
  decryptGroupMessage,
  encryptGroupMessage,
  parseGroupMessageHeader,
  processDistributionMessage,
  rotateSenderKey,
  type SenderKeyRecord,
  type SenderKeyState,
} from './sender-keys.ts';
import vector from './vectors/sender-keys.json' with { type: 'json' };

const T0 = 1_700_000_000_000;
const DAY = 24 * 60 * 60 * 1000;
const clock = (t = T0) => ({ now: () => t });
const deps = { random: systemRandom };
const aliceIdentity = concat(new Uint8Array([1]), new Uint8Array(64).fill(0xa1));
const bobIdentity = concat(new Uint8Array([1]), new Uint8Array(64).fill(0xb2));
const distributionId = fromHex('f0e0d0c0b0a090807060504030201000');

/** Deterministic randomness for fast-check runs (chain ids, chain keys). */
function seededRandom(seed: number): Random {
  let x = seed >>> 0 || 1;
  return (length) => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    return out;
  };
}

async function setup(): Promise<{ sender: SenderKeyState; record: SenderKeyRecord }> {
  const sender = await createSenderKey(deps, distributionId);
  return {
    sender,
    record: processDistributionMessage(undefined, createDistributionMessage(sender)),
  };
}

async function encryptMany(state: SenderKeyState, count: number, identity = aliceIdentity) {
  const messages: Bytes[] = [];
  let s = state;
  for (let i = 0; i < count; i++) {
    const r = await encryptGroupMessage(s, utf8(`message ${i}`), identity);
    messages.push(r.message);
    s = r.state;
  }
  return { state: s, messages };
}

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

describe('sender keys: formats', () => {
  it('distribution message: version 1, type 4, fixed 90-byte layout', async () => {
    const { sender } = await setup();
    const bytes = createDistributionMessage(sender);
    expect(bytes).toHaveLength(DISTRIBUTION_MESSAGE_BYTES);
    expect(DISTRIBUTION_MESSAGE_BYTES).toBe(90);
    expect([bytes[0], bytes[1]]).toEqual([1, 4]);
    const decoded = decodeDistributionMessage(bytes);
    expect(toHex(decoded.distributionId)).toBe(toHex(distributionId));
    expect(decoded.chainId).toBe(sender.chainId);
    expect(decoded.iteration).toBe(0);
    expect(toHex(decoded.chainKey)).toBe(toHex(sender.chainKey));
    expect(toHex(decoded.signingPublicKey)).toBe(toHex(sender.signingKey.publicKey));
  });

  it('group message: version 1, type 3, padded to 160-byte blocks, 64-byte signature', async () => {
    const { sender, record } = await setup();
    let s = sender;
    let r = record;
    for (const size of [0, 1, 159, 160, 161, 1000]) {
      const plaintext = new Uint8Array(size).fill(size & 0xff);
      const out = await encryptGroupMessage(s, plaintext, aliceIdentity);
      const padded = Math.ceil((size + 1) / 160) * 160;
      expect(out.message).toHaveLength(26 + padded + 16 + 64);
      expect([out.message[0], out.message[1]]).toEqual([1, 3]);
      const header = parseGroupMessageHeader(out.message);
      expect(header.chainId).toBe(sender.chainId);
      expect(header.iteration).toBe(s.iteration);
      const dec = await decryptGroupMessage(clock(), r, out.message, aliceIdentity);
      expect(toHex(dec.plaintext)).toBe(toHex(plaintext));
      s = out.state;
      r = dec.record;
    }
  });

  it('rejects wrong version, wrong type and truncation with stable codes', async () => {
    const { sender, record } = await setup();
    const { messages } = await encryptMany(sender, 1);
    const message = messages[0] as Bytes;
    const distribution = createDistributionMessage(sender);
    // A distribution is not a group message and the reverse.
    expect(
      (await errorOf(() => decryptGroupMessage(clock(), record, distribution, aliceIdentity))).code,
    ).toBe(ErrorCode.MESSAGE_TYPE);
    expect(errorOf(() => processDistributionMessage(record, message)).code).toBe(
      ErrorCode.MESSAGE_TYPE,
    );
    // Pairwise payloads (other type bytes) are never taken as group messages.
    for (const type of [0, 1, 2, 5, 255]) {
      const other = message.slice();
      other[1] = type;
      expect(
        (await errorOf(() => decryptGroupMessage(clock(), record, other, aliceIdentity))).code,
      ).toBe(ErrorCode.MESSAGE_TYPE);
    }
    const v2 = message.slice();
    v2[0] = 2;
    expect(
      (await errorOf(() => decryptGroupMessage(clock(), record, v2, aliceIdentity))).code,
    ).toBe(ErrorCode.MESSAGE_VERSION);
    expect(
      (
        await errorOf(() =>
          decryptGroupMessage(clock(), record, message.slice(0, 100), aliceIdentity),
        )
      ).code,
    ).toBe(ErrorCode.MESSAGE_MALFORMED);
    expect(
      (await errorOf(() => decryptGroupMessage(clock(), record, new Uint8Array(0), aliceIdentity)))
        .code,
    ).toBe(ErrorCode.MESSAGE_MALFORMED);
    expect(errorOf(() => decodeDistributionMessage(distribution.slice(0, 89))).code).toBe(
      ErrorCode.MESSAGE_MALFORMED,
    );
    expect(
      errorOf(() => decodeDistributionMessage(concat(distribution, new Uint8Array(1)))).code,
    ).toBe(ErrorCode.MESSAGE_MALFORMED);
  });

  it('rejects bad arguments with BAD_ARGUMENT', async () => {
    const { sender, record } = await setup();
    expect((await errorOf(() => createSenderKey(deps, new Uint8Array(15)))).code).toBe(
      ErrorCode.BAD_ARGUMENT,
    );
    expect(
      (await errorOf(() => encryptGroupMessage(sender, utf8('x'), new Uint8Array(33)))).code,
    ).toBe(ErrorCode.BAD_ARGUMENT);
    const { messages } = await encryptMany(sender, 1);
    expect(
      (
        await errorOf(() =>
          decryptGroupMessage(clock(), record, messages[0] as Bytes, new Uint8Array(64)),
        )
      ).code,
    ).toBe(ErrorCode.BAD_ARGUMENT);
    const other = await createSenderKey(deps, new Uint8Array(16));
    expect(
      errorOf(() => processDistributionMessage(record, createDistributionMessage(other))).code,
    ).toBe(ErrorCode.BAD_ARGUMENT);
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

describe('sender keys: ordering, replay and limits', () => {
  it('decrypts out of order and rejects replays with DUPLICATE_MESSAGE', async () => {
    const { sender, record } = await setup();
    const { messages } = await encryptMany(sender, 4);
    let r = record;
    for (const i of [2, 0, 3, 1]) {
      const dec = await decryptGroupMessage(clock(), r, messages[i] as Bytes, aliceIdentity);
      expect(dec.iteration).toBe(i);
      r = dec.record;
    }
    for (const m of messages)
      expect((await errorOf(() => decryptGroupMessage(clock(), r, m, aliceIdentity))).code).toBe(
        ErrorCode.DUPLICATE_MESSAGE,
      );
  });

  it('allows a gap of MAX_SKIP keys and rejects MAX_SKIP + 1', async () => {
    const { sender, record } = await setup();
    const { messages } = await encryptMany(sender, MAX_SKIP + 2);
    expect(
      (
        await errorOf(() =>
          decryptGroupMessage(clock(), record, messages[MAX_SKIP + 1] as Bytes, aliceIdentity),
        )
      ).code,
    ).toBe(ErrorCode.TOO_MANY_SKIPPED);
    const dec = await decryptGroupMessage(
      clock(),
      record,
      messages[MAX_SKIP] as Bytes,
      aliceIdentity,
    );
    expect(dec.record.chains[0]?.skipped.size).toBe(MAX_SKIP);
    const early = await decryptGroupMessage(
      clock(),
      dec.record,
      messages[0] as Bytes,
      aliceIdentity,
    );
    expect(early.iteration).toBe(0);
  });

  it(`keeps at most ${MAX_STORED_SKIPPED_KEYS} skipped keys per chain, evicting the oldest`, async () => {
    const { sender, record } = await setup();
    const { messages } = await encryptMany(sender, 3001);
    let r = record;
    for (const i of [1000, 2000, 3000])
      r = (await decryptGroupMessage(clock(), r, messages[i] as Bytes, aliceIdentity)).record;
    expect(r.chains[0]?.skipped.size).toBe(MAX_STORED_SKIPPED_KEYS);
    // 2998 keys were skipped; the 998 oldest (iterations 0..997) are gone.
    expect(
      (await errorOf(() => decryptGroupMessage(clock(), r, messages[997] as Bytes, aliceIdentity)))
        .code,
    ).toBe(ErrorCode.DUPLICATE_MESSAGE);
    const kept = await decryptGroupMessage(clock(), r, messages[998] as Bytes, aliceIdentity);
    expect(kept.iteration).toBe(998);
  });

  it('expires skipped keys after 7 days (clock is a parameter)', async () => {
    const { sender, record } = await setup();
    const { messages } = await encryptMany(sender, 4);
    const r = (await decryptGroupMessage(clock(T0), record, messages[3] as Bytes, aliceIdentity))
      .record;
    const justBefore = await decryptGroupMessage(
      clock(T0 + SKIPPED_KEY_MAX_AGE_MS - 1),
      r,
      messages[0] as Bytes,
      aliceIdentity,
    );
    expect(justBefore.iteration).toBe(0);
    expect(SKIPPED_KEY_MAX_AGE_MS).toBe(7 * DAY);
    // Exactly 7 days old is expired, as in pairwise sessions (ratchet.test.ts).
    expect(
      (
        await errorOf(() =>
          decryptGroupMessage(
            clock(T0 + SKIPPED_KEY_MAX_AGE_MS),
            r,
            messages[1] as Bytes,
            aliceIdentity,
          ),
        )
      ).code,
    ).toBe(ErrorCode.MESSAGE_KEY_EXPIRED);
    // Expired keys are dropped once a later message moves the chain on.
    const more = await encryptMany(sender, 6);
    const later = await decryptGroupMessage(
      clock(T0 + 8 * DAY),
      r,
      more.messages[5] as Bytes,
      aliceIdentity,
    );
    expect([...(later.record.chains[0]?.skipped.values() ?? [])].map((k) => k.iteration)).toEqual([
      4,
    ]);
    await expect(
      decryptGroupMessage(clock(Number.NaN), r, messages[1] as Bytes, aliceIdentity),
    ).rejects.toThrow(RangeError);
  });

  it('a replayed distribution message does not rewind the chain', async () => {
    const { sender, record } = await setup();
    const distribution = createDistributionMessage(sender);
    const { messages } = await encryptMany(sender, 2);
    const r = (await decryptGroupMessage(clock(), record, messages[0] as Bytes, aliceIdentity))
      .record;
    const replayed = processDistributionMessage(r, distribution);
    expect(
      (
        await errorOf(() =>
          decryptGroupMessage(clock(), replayed, messages[0] as Bytes, aliceIdentity),
        )
      ).code,
    ).toBe(ErrorCode.DUPLICATE_MESSAGE);
    expect(
      (await decryptGroupMessage(clock(), replayed, messages[1] as Bytes, aliceIdentity)).iteration,
    ).toBe(1);
  });

  it('the same chain id with a different signing key replaces the chain', async () => {
    const { sender, record } = await setup();
    const impostor = await createSenderKey(deps, distributionId);
    const sameId = { ...impostor, chainId: sender.chainId };
    const replaced = processDistributionMessage(record, createDistributionMessage(sameId));
    expect(replaced.chains).toHaveLength(1);
    const { messages } = await encryptMany(sender, 1);
    expect(
      (
        await errorOf(() =>
          decryptGroupMessage(clock(), replaced, messages[0] as Bytes, aliceIdentity),
        )
      ).code,
    ).toBe(ErrorCode.SIGNATURE_INVALID);
  });
});

describe('sender keys: rotation', () => {
  it('rotates to a new chain id and signing key; old chains stay readable up to the limit', async () => {
    let { sender, record } = await setup();
    const states: SenderKeyState[] = [sender];
    for (let i = 0; i < MAX_RECEIVER_CHAINS; i++) {
      const next = await rotateSenderKey(deps, sender);
      expect(next.chainId).not.toBe(sender.chainId);
      expect(toHex(next.signingKey.publicKey)).not.toBe(toHex(sender.signingKey.publicKey));
      expect(toHex(next.distributionId)).toBe(toHex(sender.distributionId));
      expect(next.iteration).toBe(0);
      sender = next;
      states.push(next);
      record = processDistributionMessage(record, createDistributionMessage(next));
    }
    expect(record.chains).toHaveLength(MAX_RECEIVER_CHAINS);
    expect(record.chains[0]?.chainId).toBe(sender.chainId);
    // The first chain was pushed out; the other five still decrypt.
    const first = await encryptMany(states[0] as SenderKeyState, 1);
    expect(
      (
        await errorOf(() =>
          decryptGroupMessage(clock(), record, first.messages[0] as Bytes, aliceIdentity),
        )
      ).code,
    ).toBe(ErrorCode.SENDER_KEY_MISSING);
    for (const s of states.slice(1)) {
      const { messages } = await encryptMany(s, 1);
      const dec = await decryptGroupMessage(clock(), record, messages[0] as Bytes, aliceIdentity);
      expect(dec.chainId).toBe(s.chainId);
      record = dec.record;
    }
  });
});

describe('sender keys: persistence', () => {
  it('round-trips records and sender states to versioned bytes', async () => {
    const { sender, record } = await setup();
    const { state, messages } = await encryptMany(sender, 5);
    const r = (await decryptGroupMessage(clock(), record, messages[3] as Bytes, aliceIdentity))
      .record;
    const bytes = serializeSenderKeyRecord(r);
    expect([bytes[0], bytes[1]]).toEqual([1, 1]);
    const restored = deserializeSenderKeyRecord(bytes);
    expect(toHex(serializeSenderKeyRecord(restored))).toBe(toHex(bytes));
    expect(
      (await decryptGroupMessage(clock(), restored, messages[1] as Bytes, aliceIdentity)).iteration,
    ).toBe(1);

    const stateBytes = await serializeSenderKeyState(state);
    expect([stateBytes[0], stateBytes[1]]).toEqual([1, 2]);
    const restoredState = await deserializeSenderKeyState(stateBytes);
    expect(toHex(await serializeSenderKeyState(restoredState))).toBe(toHex(stateBytes));
    const next = await encryptGroupMessage(restoredState, utf8('after restore'), aliceIdentity);
    const dec = await decryptGroupMessage(clock(), restored, next.message, aliceIdentity);
    expect(dec.iteration).toBe(5);
  });

  it('rejects a stored record naming one skipped key twice', async () => {
    const { sender, record } = await setup();
    const { messages } = await encryptMany(sender, 3);
    const r = (await decryptGroupMessage(clock(), record, messages[2] as Bytes, aliceIdentity))
      .record;
    const bytes = serializeSenderKeyRecord(r);
    // 19 header bytes, 74 chain bytes, then 44-byte skipped keys led by their u32 iteration.
    const twice = bytes.slice();
    twice.set(bytes.subarray(93, 97), 93 + 44);
    expect(errorOf(() => deserializeSenderKeyRecord(twice)).code).toBe(ErrorCode.STATE_CORRUPT);
  });

  it('rejects other versions, other kinds, truncation and trailing bytes', async () => {
    const { sender, record } = await setup();
    const bytes = serializeSenderKeyRecord(record);
    const stateBytes = await serializeSenderKeyState(sender);
    const v2 = bytes.slice();
    v2[0] = 2;
    expect(errorOf(() => deserializeSenderKeyRecord(v2)).code).toBe(ErrorCode.STATE_VERSION);
    expect(errorOf(() => deserializeSenderKeyRecord(stateBytes)).code).toBe(
      ErrorCode.STATE_CORRUPT,
    );
    expect((await errorOf(() => deserializeSenderKeyState(bytes))).code).toBe(
      ErrorCode.STATE_CORRUPT,
    );
    for (let cut = 0; cut < bytes.length; cut += 7) {
      expect(errorOf(() => deserializeSenderKeyRecord(bytes.slice(0, cut))).code).toBe(
        ErrorCode.STATE_CORRUPT,
      );
    }
    expect(errorOf(() => deserializeSenderKeyRecord(concat(bytes, new Uint8Array(1)))).code).toBe(
      ErrorCode.STATE_CORRUPT,
    );
    expect((await errorOf(() => deserializeSenderKeyState(stateBytes.slice(0, 100)))).code).toBe(
      ErrorCode.STATE_CORRUPT,
    );
    const mismatched = stateBytes.slice();
    mismatched[60] = (mismatched[60] as number) ^ 1; // public key no longer matches the private key
    expect((await errorOf(() => deserializeSenderKeyState(mismatched))).code).toBe(
      ErrorCode.STATE_CORRUPT,
    );
  });

  it('random bytes only ever fail with STATE_CORRUPT or STATE_VERSION', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (bytes, asRecord) => {
        const input = asRecord && bytes.length >= 2 ? concat(new Uint8Array([1, 1]), bytes) : bytes;
        try {
          deserializeSenderKeyRecord(input);
        } catch (e) {
          expect(
            isParleyError(e, ErrorCode.STATE_CORRUPT) || isParleyError(e, ErrorCode.STATE_VERSION),
          ).toBe(true);
        }
      }),
    );
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
