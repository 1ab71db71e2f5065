/**
 * The linking handshake (docs/protocol.md, "Linking a device"), with the
 * research brief's threats L2 (the relay swaps a key) and L3 (the relay poses
 * as the existing device). The relay is simulated by rewriting the messages it
 * carries. PBKDF2 runs 131 072 iterations per wrap, so property runs are few.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concat, fromUtf8, utf8 } from '../bytes.ts';
import { MLKEM768_PUBLIC_KEY_BYTES } from '../crypto/mlkem.ts';
import { systemRandom } from '../crypto/random.ts';
import { generateDhKeyPair } from '../crypto/x25519.ts';
import { ErrorCode, isParleyError } from '../errors.ts';
import { LINK_CODE_ALPHABET } from '../wire/limits.ts';
import { newLinkSecret, unwrapLinkKey, wrapLinkKey } from './link-code.ts';
import {
  acceptConfirm,
  acceptKeys,
  answerHello,
  confirmMessage,
  createNewSide,
  doneMessage,
  helloMessage,
  historyMessage,
  openDone,
  openHistory,
  openPayload,
  payloadMessage,
  verifyCheckCode,
} from './link-handshake.ts';
import { formatLinkString, parseLinkString } from './link-string.ts';

const place = { origin: 'https://relay.example', rid: 'AAAAAAAAAAAAAAAAAAAAAA' };

async function linkFailure(run: () => Promise<unknown> | unknown): Promise<string | undefined> {
  try {
    await run();
  } catch (error) {
    if (isParleyError(error, ErrorCode.LINK_FAILED))
      return (error.details as { reason?: string } | undefined)?.reason;
    throw error;
  }
  return undefined;
}

const secretArb = fc
  .array(fc.constantFrom(...LINK_CODE_ALPHABET), { minLength: 8, maxLength: 8 })
  .map((c) => c.join(''));

describe('path A: typed code', () => {
  it('agrees on the channel, confirms both ways, and carries the payload', async () => {
    const secret = newLinkSecret(systemRandom);
    const n = await createNewSide('code', systemRandom, secret);
    const hello = await helloMessage(n, systemRandom);
    const e = await answerHello(hello, { path: 'code', secret }, place, systemRandom);
    const keys = await acceptKeys(n, e.message, place);
    expect(keys.transcriptHash).toEqual(e.keys.transcriptHash);
    expect(keys.checkCode).toBe(e.keys.checkCode);

    const described = acceptConfirm(e.keys, confirmMessage(keys, utf8('cli on host')));
    expect(fromUtf8(described)).toBe('cli on host');
    const payload = openPayload(keys, payloadMessage(e.keys, utf8('identity')));
    expect(fromUtf8(payload)).toBe('identity');
    expect(fromUtf8(openDone(e.keys, doneMessage(keys, utf8('device 7'))))).toBe('device 7');
    const offer = historyMessage(e.keys, utf8('blob id'));
    expect(fromUtf8(openHistory(keys, offer))).toBe('blob id');
    // The history message is E's second sealed message: it cannot pass for the payload.
    expect(
      await linkFailure(() => openPayload(keys, concat(Uint8Array.of(6), offer.subarray(1)))),
    ).toBe('protocol');
    const flipped = offer.slice();
    flipped[5] = (flipped[5] as number) ^ 1;
    expect(await linkFailure(() => openHistory(keys, flipped))).toBe('protocol');
  });

  it('a wrong code fails the confirmation on the new device', async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, secretArb, async (real, typed) => {
        fc.pre(real !== typed);
        const n = await createNewSide('code', systemRandom, real);
        const hello = await helloMessage(n, systemRandom);
        const e = await answerHello(hello, { path: 'code', secret: typed }, place, systemRandom);
        expect(await linkFailure(() => acceptKeys(n, e.message, place))).toBe('confirmation');
      }),
      { numRuns: 4 },
    );
  });

  it('L2: a relay that swaps the wrapped key (guessing the code) fails the confirmation', async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, async (guess) => {
        const secret = newLinkSecret(systemRandom);
        fc.pre(guess !== secret);
        const n = await createNewSide('code', systemRandom, secret);
        const hello = await helloMessage(n, systemRandom);
        // The relay plays E towards N with its own key wrapped under its guess.
        const mitm = await answerHello(hello, { path: 'code', secret: guess }, place, systemRandom);
        expect(await linkFailure(() => acceptKeys(n, mitm.message, place))).toBe('confirmation');
        // ...and plays N towards E: E's keys never confirm to the relay's N either.
        const fakeN = await createNewSide('code', systemRandom, guess);
        const realE = await answerHello(
          await helloMessage(fakeN, systemRandom),
          { path: 'code', secret },
          place,
          systemRandom,
        );
        expect(await linkFailure(() => acceptKeys(fakeN, realE.message, place))).toBe(
          'confirmation',
        );
      }),
      { numRuns: 3 },
    );
  });

  it('L2: a swapped ML-KEM key or KEM ciphertext fails the confirmation', async () => {
    const secret = newLinkSecret(systemRandom);
    const n = await createNewSide('code', systemRandom, secret);
    const hello = await helloMessage(n, systemRandom);
    const relayKem = await createNewSide('string', systemRandom);
    const swapped = concat(
      hello.subarray(0, 1),
      relayKem.kem.publicKey,
      hello.subarray(1 + MLKEM768_PUBLIC_KEY_BYTES),
    );
    const e = await answerHello(swapped, { path: 'code', secret }, place, systemRandom);
    expect(await linkFailure(() => acceptKeys(n, e.message, place))).toBe('confirmation');

    const honest = await answerHello(hello, { path: 'code', secret }, place, systemRandom);
    const flipped = Uint8Array.from(honest.message);
    flipped[100] = (flipped[100] as number) ^ 1;
    expect(await linkFailure(() => acceptKeys(n, flipped, place))).toBe('confirmation');
  });

  it('binds the relay origin and the rendezvous id', async () => {
    const secret = newLinkSecret(systemRandom);
    const n = await createNewSide('code', systemRandom, secret);
    const hello = await helloMessage(n, systemRandom);
    const e = await answerHello(hello, { path: 'code', secret }, place, systemRandom);
    const elsewhere = { ...place, origin: 'https://other.example' };
    expect(await linkFailure(() => acceptKeys(n, e.message, elsewhere))).toBe('confirmation');
    const otherRid = { ...place, rid: 'BBBBBBBBBBBBBBBBBBBBBB' };
    expect(await linkFailure(() => acceptKeys(n, e.message, otherRid))).toBe('confirmation');
  });

  it('a forged confirmation from the new side is refused by the existing one', async () => {
    const secret = newLinkSecret(systemRandom);
    const n = await createNewSide('code', systemRandom, secret);
    const e = await answerHello(
      await helloMessage(n, systemRandom),
      { path: 'code', secret },
      place,
      systemRandom,
    );
    const keys = await acceptKeys(n, e.message, place);
    const forged = confirmMessage(keys, utf8('x'));
    forged[5] = (forged[5] as number) ^ 1;
    expect(await linkFailure(() => acceptConfirm(e.keys, forged))).toBe('confirmation');
  });

  it('sets bit 255 of the wrapped key at random (no partition of the code space)', async () => {
    const { publicKey } = await generateDhKeyPair();
    const salt = systemRandom(48);
    // Same salt and IV, only the one-byte draw for bit 255 differs.
    const wrapWithTop = (top: number) =>
      wrapLinkKey('23456789', publicKey, (len) =>
        len === 1 ? Uint8Array.of(top) : salt.slice(0, len),
      );
    const clear = await wrapWithTop(0x00);
    const set = await wrapWithTop(0x80);
    const diff = clear.map((b, i) => b ^ (set[i] as number));
    expect([...diff.subarray(0, 79)].every((b) => b === 0)).toBe(true);
    expect(diff[79]).toBe(0x80);
    // Unwrapping clears it again: both sides put the same key in the transcript.
    expect(await unwrapLinkKey('23456789', set)).toEqual(publicKey);
    expect(await unwrapLinkKey('23456789', clear)).toEqual(publicKey);
  });
});

describe('path B: link string and check code', () => {
  async function start() {
    const n = await createNewSide('string', systemRandom);
    const link = formatLinkString(place.rid, n.dh.publicKey, n.kem.publicKey);
    return { n, link, hello: await helloMessage(n, systemRandom) };
  }

  it('agrees on the channel and the check code', async () => {
    const { n, link, hello } = await start();
    expect(link.length).toBeLessThan(120);
    const e = await answerHello(
      hello,
      { path: 'string', link: parseLinkString(link) },
      place,
      systemRandom,
    );
    const keys = await acceptKeys(n, e.message, place);
    expect(e.keys.checkCode).toMatch(/^\d{6}$/);
    verifyCheckCode(keys, e.keys.checkCode);
  });

  it('L2: a swapped ML-KEM key does not match the link string', async () => {
    const { link, hello } = await start();
    const other = await createNewSide('string', systemRandom);
    const swapped = concat(hello.subarray(0, 1), other.kem.publicKey);
    expect(
      await linkFailure(() =>
        answerHello(swapped, { path: 'string', link: parseLinkString(link) }, place, systemRandom),
      ),
    ).toBe('commitment');
  });

  it('L3: a relay posing as the existing device yields another check code, and N refuses', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), async (relayKnowsLink) => {
        const { n, link, hello } = await start();
        const parsed = parseLinkString(link);
        const realE = await answerHello(
          hello,
          { path: 'string', link: parsed },
          place,
          systemRandom,
        );
        // The relay answers N itself (even if it saw the link string, e.g. a photographed QR).
        const fakeLink = relayKnowsLink
          ? parsed
          : { ...parsed, newDh: (await generateDhKeyPair()).publicKey };
        const fakeE = await answerHello(
          hello,
          { path: 'string', link: fakeLink },
          place,
          systemRandom,
        );
        const reason = await linkFailure(async () => {
          const keys = await acceptKeys(n, fakeE.message, place);
          expect(keys.checkCode).not.toBe(realE.keys.checkCode);
          // The user types the code shown on their real device.
          verifyCheckCode(keys, realE.keys.checkCode);
        });
        expect(reason).toBe(relayKnowsLink ? 'check-code' : 'confirmation');
      }),
      { numRuns: 6 },
    );
  });
});
