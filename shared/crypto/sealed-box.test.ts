import { describe, expect, it } from 'vitest';
import { fromHex, toHex, utf8 } from '../bytes.ts';
import { ErrorCode } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import { LOCKED_INBOX_INFO, open, seal } from './sealed-box.ts';
import vector from './vectors/sealed-box.json' with { type: 'json' };
import { dhKeyPairFromPrivate, generateDhKeyPair } from './x25519.ts';

describe('sealed box (vectors/sealed-box.json)', () => {
  it('uses the locked inbox info the stored frames were sealed with', () => {
    expect(vector.info).toBe(LOCKED_INBOX_INFO);
  });

  it('opens the stored vectors and reproduces them from the same ephemeral key', async () => {
    const recipient = await dhKeyPairFromPrivate(fromHex(vector.recipientPrivate));
    const ephemeral = await dhKeyPairFromPrivate(fromHex(vector.ephemeralPrivate));
    expect(toHex(recipient.publicKey)).toBe(vector.recipientPublic);
    expect(toHex(ephemeral.publicKey)).toBe(vector.ephemeralPublic);
    for (const box of vector.boxes) {
      const opened = await open(recipient, fromHex(box.sealed), vector.info);
      expect(new TextDecoder().decode(opened)).toBe(box.plaintext);
      const sealed = await seal(recipient.publicKey, utf8(box.plaintext), vector.info, ephemeral);
      expect(toHex(sealed)).toBe(box.sealed);
    }
  });

  it('refuses another recipient, a changed byte, another info and short input', async () => {
    const recipient = await dhKeyPairFromPrivate(fromHex(vector.recipientPrivate));
    const other = await generateDhKeyPair(true);
    const sealed = fromHex((vector.boxes[1] as { sealed: string }).sealed);
    expect((await errorOf(() => open(other, sealed, vector.info))).code).toBe(
      ErrorCode.DECRYPT_FAILED,
    );
    expect(
      (await errorOf(() => open({ ...other, publicKey: recipient.publicKey }, sealed, vector.info)))
        .code,
    ).toBe(ErrorCode.DECRYPT_FAILED);
    for (const at of [0, 31, 32, sealed.length - 1]) {
      const flipped = sealed.slice();
      flipped[at] = (flipped[at] as number) ^ 1;
      expect((await errorOf(() => open(recipient, flipped, vector.info))).code).toBe(
        ErrorCode.DECRYPT_FAILED,
      );
    }
    expect((await errorOf(() => open(recipient, sealed, `${vector.info}x`))).code).toBe(
      ErrorCode.DECRYPT_FAILED,
    );
    expect((await errorOf(() => open(recipient, sealed.subarray(0, 47), vector.info))).code).toBe(
      ErrorCode.DECRYPT_FAILED,
    );
  });
});
