import { describe, expect, it } from 'vitest';
import { type Bytes, concat, fromHex, utf8 } from '../bytes.ts';
import { ErrorCode } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import { bundleFromKeySet } from './device-key-set.ts';
import { encodeIdentity, publicIdentity } from './identity.ts';
import { MAX_PLAINTEXT_BYTES, MessageType } from './message-format.ts';
import {
  acceptIncomingSession,
  createOutgoingSession,
  decryptMessage,
  encryptMessage,
  inspectMessage,
  type Session,
} from './session.ts';
import { establish, makeParty, type Party } from './testing/session-fixtures.ts';
import { KeyAgreement } from './x3dh.ts';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

async function send(
  p: Party,
  s: Session,
  message: string,
): Promise<{ session: Session; ciphertext: Bytes }> {
  return encryptMessage(p.deps, s, utf8(message));
}

function flipped(bytes: Uint8Array, index: number): Bytes {
  const out = Uint8Array.from(bytes);
  out[index] = (out[index] as number) ^ 1;
  return out;
}

describe('session setup', () => {
  it.each([
    { pq: true, oneTimePreKey: true },
    { pq: true, oneTimePreKey: false },
    { pq: false, oneTimePreKey: true },
    { pq: false, oneTimePreKey: false },
  ])(
    'pq=$pq one-time=$oneTimePreKey: first message decrypts, then both directions',
    async (options) => {
      const e = await establish(options);
      expect(e.aliceSession.agreement).toBe(options.pq ? KeyAgreement.PQXDH : KeyAgreement.X3DH);
      expect(e.bobSession.agreement).toBe(e.aliceSession.agreement);
      expect(e.consumedOneTimePreKeyId).toBe(options.oneTimePreKey ? 31 : undefined);
      expect(e.first[1]).toBe(MessageType.PREKEY);
      expect(e.first[2]).toBe((options.oneTimePreKey ? 1 : 0) | (options.pq ? 2 : 0));
      const reply = await send(e.bob, e.bobSession, 'hi alice');
      expect(reply.ciphertext[1]).toBe(MessageType.RATCHET);
      const got = await decryptMessage(e.alice.deps, e.aliceSession, reply.ciphertext);
      expect(text(got.plaintext)).toBe('hi alice');
      expect(got.session.pendingPreKey).toBeUndefined();
      const after = await send(e.alice, got.session, 'now plain');
      expect(after.ciphertext[1]).toBe(MessageType.RATCHET);
      expect(
        text((await decryptMessage(e.bob.deps, reply.session, after.ciphertext)).plaintext),
      ).toBe('now plain');
    },
  );

  it('records both identities and the base key on both sides', async () => {
    const e = await establish();
    expect(e.aliceSession.role).toBe('initiator');
    expect(e.bobSession.role).toBe('responder');
    expect(e.aliceSession.baseKey).toEqual(e.bobSession.baseKey);
    expect(e.aliceSession.theirIdentity.dh).toEqual(e.bob.keys.identity.dh.publicKey);
    expect(e.bobSession.theirIdentity.signing).toEqual(e.alice.keys.identity.signing.publicKey);
    expect(e.aliceSession.sendingAd).toEqual(e.bobSession.receivingAd);
    expect(e.aliceSession.sendingAd).toEqual(
      concat(
        encodeIdentity(publicIdentity(e.alice.keys.identity)),
        encodeIdentity(publicIdentity(e.bob.keys.identity)),
      ),
    );
  });

  it('rejects a bad bundle (no session is created)', async () => {
    const alice = await makeParty();
    const bob = await makeParty();
    const bundle = bundleFromKeySet(bob.keys, { oneTimePreKeyIndex: 0 });
    const bad = {
      ...bundle,
      signedPreKey: {
        ...bundle.signedPreKey,
        signature: flipped(bundle.signedPreKey.signature, 3),
      },
    };
    expect(
      await errorOf(() => createOutgoingSession(alice.deps, alice.keys.identity, bad)),
    ).toMatchObject({
      code: ErrorCode.SIGNATURE_INVALID,
      details: { field: 'signedPreKey.signature' },
    });
  });
});

describe('prekey messages', () => {
  it('are sent until the initiator hears back, and later ones decrypt through the same session', async () => {
    const e = await establish();
    const second = await send(e.alice, e.aliceSession, 'second');
    const third = await send(e.alice, second.session, 'third');
    expect(second.ciphertext[1]).toBe(MessageType.PREKEY);
    // Through decryptMessage...
    const viaDecrypt = await decryptMessage(e.bob.deps, e.bobSession, third.ciphertext);
    expect(text(viaDecrypt.plaintext)).toBe('third');
    // ...or through acceptIncomingSession with the existing session (no new key agreement).
    const viaAccept = await acceptIncomingSession(
      e.bob.deps,
      e.bob.keys.identity,
      e.bob.lookup,
      second.ciphertext,
      viaDecrypt.session,
    );
    expect(text(viaAccept.plaintext)).toBe('second');
    expect(viaAccept.consumedOneTimePreKeyId).toBeUndefined();
    expect(viaAccept.session.baseKey).toEqual(e.bobSession.baseKey);
  });

  it('a duplicate prekey message is rejected as a duplicate by the existing session', async () => {
    const e = await establish();
    expect((await errorOf(() => decryptMessage(e.bob.deps, e.bobSession, e.first))).code).toBe(
      ErrorCode.DUPLICATE_MESSAGE,
    );
    expect(
      (
        await errorOf(() =>
          acceptIncomingSession(
            e.bob.deps,
            e.bob.keys.identity,
            e.bob.lookup,
            e.first,
            e.bobSession,
          ),
        )
      ).code,
    ).toBe(ErrorCode.DUPLICATE_MESSAGE);
  });

  it('a prekey message of another key agreement is not for this session', async () => {
    const e = await establish();
    const bundle = bundleFromKeySet(e.bob.keys, { oneTimePreKeyIndex: 1 });
    const other = await createOutgoingSession(e.alice.deps, e.alice.keys.identity, bundle);
    const msg = await send(e.alice, other, 'new session');
    expect(
      (await errorOf(() => decryptMessage(e.bob.deps, e.bobSession, msg.ciphertext))).code,
    ).toBe(ErrorCode.SESSION_NOT_FOUND);
    // An initiator never accepts a prekey message through decryptMessage.
    expect(
      (await errorOf(() => decryptMessage(e.alice.deps, e.aliceSession, msg.ciphertext))).code,
    ).toBe(ErrorCode.SESSION_NOT_FOUND);
    // With an unrelated existing session, acceptIncomingSession starts a new one.
    const accepted = await acceptIncomingSession(
      e.bob.deps,
      e.bob.keys.identity,
      e.bob.lookup,
      msg.ciphertext,
      e.bobSession,
    );
    expect(text(accepted.plaintext)).toBe('new session');
    expect(accepted.consumedOneTimePreKeyId).toBe(32);
  });

  it('a prekey message claiming another identity for this base key is refused', async () => {
    const e = await establish();
    const mallory = await makeParty();
    const forged = Uint8Array.from(e.first);
    forged.set(mallory.keys.identity.dh.publicKey, 3);
    expect((await errorOf(() => decryptMessage(e.bob.deps, e.bobSession, forged))).code).toBe(
      ErrorCode.IDENTITY_MISMATCH,
    );
  });

  it('inspectMessage exposes routing fields without decrypting', async () => {
    const e = await establish();
    const info = inspectMessage(e.first);
    expect(info.type).toBe(MessageType.PREKEY);
    expect(info.baseKey).toEqual(e.bobSession.baseKey);
    expect(info.initiatorIdentity?.dh).toEqual(e.alice.keys.identity.dh.publicKey);
    const reply = await send(e.bob, e.bobSession, 'r');
    expect(inspectMessage(reply.ciphertext)).toEqual({ type: MessageType.RATCHET });
    expect(inspectMessage(new Uint8Array([1, 3, 0]))).toEqual({ type: 3 });
    expect((await errorOf(() => inspectMessage(new Uint8Array([2, 1])))).code).toBe(
      ErrorCode.MESSAGE_VERSION,
    );
  });
});

describe('acceptIncomingSession rejects', () => {
  // Offsets in a prekey message (message-format.ts): 3 identity dh, 35 signing, 67 binding, 131 base key, 163 SPK id.
  const cases: [string, (m: Bytes) => Bytes, string][] = [
    ['a wrong identity binding', (m) => flipped(m, 70), ErrorCode.SIGNATURE_INVALID],
    [
      'an identity key the binding does not cover',
      (m) => flipped(m, 5),
      ErrorCode.SIGNATURE_INVALID,
    ],
    [
      'a low-order base key',
      (m) => concat(m.subarray(0, 131), new Uint8Array(32), m.subarray(163)),
      ErrorCode.KEY_LOW_ORDER,
    ],
    ['an unknown signed prekey id', (m) => flipped(m, 166), ErrorCode.PREKEY_MISSING],
    ['an unknown one-time prekey id', (m) => flipped(m, 170), ErrorCode.PREKEY_MISSING],
    ['an unknown KEM prekey id', (m) => flipped(m, 174), ErrorCode.PREKEY_MISSING],
    ['a tampered KEM ciphertext', (m) => flipped(m, 175 + 500), ErrorCode.DECRYPT_FAILED],
    ['a tampered base key', (m) => flipped(m, 140), ErrorCode.DECRYPT_FAILED],
    ['a tampered ciphertext', (m) => flipped(m, m.length - 1), ErrorCode.DECRYPT_FAILED],
    [
      'a ratchet (type 1) message',
      (m) => concat(new Uint8Array([1, 1]), m.subarray(2)),
      ErrorCode.MESSAGE_TYPE,
    ],
    [
      'a sender-key (type 3) message',
      (m) => concat(new Uint8Array([1, 3]), m.subarray(2)),
      ErrorCode.MESSAGE_TYPE,
    ],
    [
      'an unknown version',
      (m) => concat(new Uint8Array([9]), m.subarray(1)),
      ErrorCode.MESSAGE_VERSION,
    ],
    ['truncated input', (m) => m.subarray(0, 150), ErrorCode.MESSAGE_MALFORMED],
  ];

  it.each(cases)('%s', async (_name, tamper, code) => {
    const alice = await makeParty();
    const bob = await makeParty();
    const session = await createOutgoingSession(
      alice.deps,
      alice.keys.identity,
      bundleFromKeySet(bob.keys, { oneTimePreKeyIndex: 0 }),
    );
    const { ciphertext } = await send(alice, session, 'x');
    expect(
      (
        await errorOf(() =>
          acceptIncomingSession(bob.deps, bob.keys.identity, bob.lookup, tamper(ciphertext)),
        )
      ).code,
    ).toBe(code);
    // The genuine message still works afterwards (nothing was consumed).
    const ok = await acceptIncomingSession(bob.deps, bob.keys.identity, bob.lookup, ciphertext);
    expect(text(ok.plaintext)).toBe('x');
    expect(ok.consumedOneTimePreKeyId).toBe(31);
  });

  it('a message addressed to someone else (the identities are in the AD)', async () => {
    const e = await establish();
    const carol = await makeParty();
    // Carol holds Bob's prekeys (a relay mix-up): the key agreement works, the AD does not.
    expect(
      (
        await errorOf(() =>
          acceptIncomingSession(carol.deps, carol.keys.identity, e.bob.lookup, e.first),
        )
      ).code,
    ).toBe(ErrorCode.DECRYPT_FAILED);
  });
});

describe('decryptMessage', () => {
  it('rejects wrong types, versions and garbage without changing the session', async () => {
    const e = await establish();
    const reply = await send(e.bob, e.bobSession, 'r');
    const m = reply.ciphertext;
    const s = e.aliceSession;
    expect(
      (
        await errorOf(() =>
          decryptMessage(e.alice.deps, s, concat(new Uint8Array([1, 3]), m.subarray(2))),
        )
      ).code,
    ).toBe(ErrorCode.MESSAGE_TYPE);
    expect(
      (
        await errorOf(() =>
          decryptMessage(e.alice.deps, s, concat(new Uint8Array([1, 4]), m.subarray(2))),
        )
      ).code,
    ).toBe(ErrorCode.MESSAGE_TYPE);
    expect(
      (
        await errorOf(() =>
          decryptMessage(e.alice.deps, s, concat(new Uint8Array([0]), m.subarray(1))),
        )
      ).code,
    ).toBe(ErrorCode.MESSAGE_VERSION);
    expect((await errorOf(() => decryptMessage(e.alice.deps, s, new Uint8Array(0)))).code).toBe(
      ErrorCode.MESSAGE_MALFORMED,
    );
    expect((await errorOf(() => decryptMessage(e.alice.deps, s, m.subarray(0, 60)))).code).toBe(
      ErrorCode.MESSAGE_MALFORMED,
    );
    // A type 1 message whose type byte says 2 fails (the type is authenticated, and it no longer parses).
    expect(
      (
        await errorOf(() =>
          decryptMessage(e.alice.deps, s, concat(new Uint8Array([1, 2]), m.subarray(2))),
        )
      ).code,
    ).toBe(ErrorCode.MESSAGE_MALFORMED);
    expect(text((await decryptMessage(e.alice.deps, s, m)).plaintext)).toBe('r');
  });

  it('a message of one session does not decrypt in another', async () => {
    const e1 = await establish();
    const e2 = await establish();
    const reply = await send(e1.bob, e1.bobSession, 'r');
    expect(
      (await errorOf(() => decryptMessage(e2.alice.deps, e2.aliceSession, reply.ciphertext))).code,
    ).toBe(ErrorCode.DECRYPT_FAILED);
  });

  it('pads every plaintext to a multiple of 160 bytes', async () => {
    const e = await establish();
    let s = e.bobSession;
    const sizes: number[] = [];
    for (const length of [0, 159, 160, 1000]) {
      const r = await encryptMessage(e.bob.deps, s, new Uint8Array(length));
      s = r.session;
      sizes.push(r.ciphertext.length - 42 - 16);
    }
    expect(sizes).toEqual([160, 160, 320, 1120]);
  });

  it('refuses plaintexts above the limit and non-bytes', async () => {
    const e = await establish();
    expect(
      (
        await errorOf(() =>
          encryptMessage(e.bob.deps, e.bobSession, new Uint8Array(MAX_PLAINTEXT_BYTES + 1)),
        )
      ).code,
    ).toBe(ErrorCode.BAD_ARGUMENT);
    await expect(
      encryptMessage(e.bob.deps, e.bobSession, 'text' as unknown as Uint8Array),
    ).rejects.toThrow(TypeError);
    const max = await encryptMessage(e.bob.deps, e.bobSession, new Uint8Array(MAX_PLAINTEXT_BYTES));
    expect(
      (await decryptMessage(e.alice.deps, e.aliceSession, max.ciphertext)).plaintext.length,
    ).toBe(MAX_PLAINTEXT_BYTES);
  });

  it('a valid tag over invalid padding is refused (PADDING_INVALID) without a state change', async () => {
    // Build a message with the sender's real keys but an unpadded plaintext, bypassing encryptMessage.
    const e = await establish();
    const { ratchetEncrypt } = await import('./ratchet.ts');
    const { associatedData, encodeMessage, encodeRatchetHeader } = await import(
      './message-format.ts'
    );
    let header = new Uint8Array(0);
    const r = ratchetEncrypt(e.bobSession.ratchet, new Uint8Array(160).fill(1), (h) => {
      header = encodeRatchetHeader(h);
      const draft = encodeMessage(MessageType.RATCHET, [header]);
      return associatedData(draft, draft.length, e.bobSession.sendingAd);
    });
    const forged = encodeMessage(MessageType.RATCHET, [header, r.ciphertext]);
    expect((await errorOf(() => decryptMessage(e.alice.deps, e.aliceSession, forged))).code).toBe(
      ErrorCode.PADDING_INVALID,
    );
    // Nothing was committed: the genuine message with the same index still decrypts.
    const genuine = await send(e.bob, e.bobSession, 'genuine');
    expect(
      text((await decryptMessage(e.alice.deps, e.aliceSession, genuine.ciphertext)).plaintext),
    ).toBe('genuine');
  });
});

describe('low-order points in messages', () => {
  it('a small-order ratchet key in a header is KEY_LOW_ORDER', async () => {
    const e = await establish();
    const reply = await send(e.bob, e.bobSession, 'r');
    const bad = Uint8Array.from(reply.ciphertext);
    bad.set(fromHex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'), 2);
    expect((await errorOf(() => decryptMessage(e.alice.deps, e.aliceSession, bad))).code).toBe(
      ErrorCode.KEY_LOW_ORDER,
    );
  });
});
