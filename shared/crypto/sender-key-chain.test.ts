import { describe, expect, it } from 'vitest';
import { type Bytes, toHex } from '../bytes.ts';
import { ErrorCode } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import {
  MAX_RECEIVER_CHAINS,
  MAX_SKIP,
  MAX_STORED_SKIPPED_KEYS,
  SKIPPED_KEY_MAX_AGE_MS,
} from './limits.ts';
import {
  createDistributionMessage,
  createSenderKey,
  processDistributionMessage,
  rotateSenderKey,
  type SenderKeyState,
} from './sender-key-chain.ts';
import { decryptGroupMessage } from './sender-keys.ts';
import {
  aliceIdentity,
  clock,
  DAY,
  deps,
  distributionId,
  encryptMany,
  setup,
  T0,
} from './testing/sender-key-fixtures.ts';

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
