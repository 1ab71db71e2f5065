import { describe, expect, it } from 'vitest';
import { type Bytes, fromHex, toHex, utf8 } from '../bytes.ts';
import { ErrorCode } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import {
  MAX_RETIRED_CHAINS,
  MAX_SKIP,
  MAX_STORED_SKIPPED_KEYS,
  SKIPPED_KEY_MAX_AGE_MS,
} from './limits.ts';
import { encodeRatchetHeader, type RatchetHeader } from './message-format.ts';
import {
  initiatorState,
  kdfRoot,
  messageKeys,
  type RatchetDeps,
  type RatchetState,
  ratchetDecrypt,
  ratchetEncrypt,
  responderState,
} from './ratchet.ts';
import { manualClock, seededDhKeyPairs, seededRandom } from './testing/deterministic.ts';
import { dh, generateDhKeyPair } from './x25519.ts';

interface Sent {
  readonly header: RatchetHeader;
  readonly ciphertext: Bytes;
  readonly aad: Bytes;
}

const clock = manualClock();
const deps: RatchetDeps = { generateDhKeyPair: () => generateDhKeyPair(true), now: clock.now };

async function pair(): Promise<{ alice: RatchetState; bob: RatchetState }> {
  const sk = seededRandom('ratchet.test')(32);
  const bobSpk = await generateDhKeyPair(true);
  const aliceKey = await generateDhKeyPair(true);
  const alice = initiatorState(sk, aliceKey, await dh(aliceKey.privateKey, bobSpk.publicKey));
  return { alice, bob: responderState(sk, bobSpk) };
}

function send(state: RatchetState, text: string): { state: RatchetState; sent: Sent } {
  let aad: Bytes = new Uint8Array(0);
  const r = ratchetEncrypt(state, utf8(text), (header) => {
    aad = encodeRatchetHeader(header);
    return aad;
  });
  return { state: r.state, sent: { header: r.header, ciphertext: r.ciphertext, aad } };
}

async function receive(
  state: RatchetState,
  sent: Sent,
): Promise<{ state: RatchetState; text: string }> {
  const r = await ratchetDecrypt(deps, state, sent.header, sent.ciphertext, sent.aad);
  return { state: r.state, text: new TextDecoder().decode(r.plaintext) };
}

/** Every byte and number of a state, to prove a call left it untouched. */
function fingerprint(s: RatchetState): string {
  return JSON.stringify([
    toHex(s.rootKey),
    toHex(s.ourRatchetKey.publicKey),
    s.sending && [toHex(s.sending.chainKey), s.sending.index],
    s.previousSendingLength,
    s.receiving && [toHex(s.receiving.publicKey), toHex(s.receiving.chainKey), s.receiving.index],
    s.retired.map((c) => [toHex(c.publicKey), c.length]),
    [...s.skipped.values()].map((k) => [
      toHex(k.ratchetKey),
      k.index,
      toHex(k.messageKey),
      k.storedAt,
    ]),
  ]);
}

function sendMany(
  state: RatchetState,
  prefix: string,
  count: number,
): { state: RatchetState; sent: Sent[] } {
  const out: Sent[] = [];
  let s = state;
  for (let i = 0; i < count; i++) {
    const r = send(s, `${prefix}${i}`);
    s = r.state;
    out.push(r.sent);
  }
  return { state: s, sent: out };
}

describe('Double Ratchet', () => {
  it('exchanges messages both ways with a DH ratchet step at every turn', async () => {
    let { alice, bob } = await pair();
    const seenKeys = new Set<string>();
    for (let turn = 0; turn < 4; turn++) {
      const a = sendMany(alice, `a${turn}-`, 2);
      alice = a.state;
      for (const m of a.sent) {
        const r = await receive(bob, m);
        bob = r.state;
        seenKeys.add(toHex(m.header.dh));
      }
      expect(a.sent[0]?.header.n).toBe(0);
      const b = send(bob, `b${turn}`);
      bob = b.state;
      expect(b.sent.header.pn).toBe(turn === 0 ? 0 : 1);
      const r = await receive(alice, b.sent);
      alice = r.state;
      expect(r.text).toBe(`b${turn}`);
      seenKeys.add(toHex(b.sent.header.dh));
    }
    expect(seenKeys.size).toBe(8); // a fresh ratchet key every turn, on both sides
  });

  it('decrypts out of order within and across chains, using each stored key once', async () => {
    let { alice, bob } = await pair();
    const first = sendMany(alice, 'x', 4);
    alice = first.state;
    // Bob gets x3 first: x0..x2 are stored.
    bob = (await receive(bob, first.sent[3] as Sent)).state;
    expect(bob.skipped.size).toBe(3);
    const reply = send(bob, 'r');
    bob = reply.state;
    alice = (await receive(alice, reply.sent)).state;
    const second = sendMany(alice, 'y', 2);
    // y1 (new chain, pn = 4) before y0 and the old x1.
    let r = await receive(bob, second.sent[1] as Sent);
    expect(r.text).toBe('y1');
    bob = r.state;
    expect(bob.skipped.size).toBe(4); // x0, x1, x2 and y0
    r = await receive(bob, first.sent[1] as Sent);
    expect(r.text).toBe('x1');
    bob = r.state;
    r = await receive(bob, second.sent[0] as Sent);
    expect(r.text).toBe('y0');
    bob = r.state;
    expect(bob.skipped.size).toBe(2);
    expect((await errorOf(() => receive(bob, first.sent[1] as Sent))).code).toBe(
      ErrorCode.DUPLICATE_MESSAGE,
    );
  });

  it('rejects replays in the current chain and in closed chains', async () => {
    let { alice, bob } = await pair();
    const m = send(alice, 'm');
    alice = m.state;
    bob = (await receive(bob, m.sent)).state;
    expect((await errorOf(() => receive(bob, m.sent))).code).toBe(ErrorCode.DUPLICATE_MESSAGE);
    const reply = send(bob, 'r');
    bob = reply.state;
    alice = (await receive(alice, reply.sent)).state;
    const next = send(alice, 'n');
    bob = (await receive(bob, next.sent)).state;
    expect(bob.retired.length).toBe(1);
    expect((await errorOf(() => receive(bob, m.sent))).code).toBe(ErrorCode.DUPLICATE_MESSAGE);
    // An index beyond the closed chain's end can only be a forgery.
    const forged = { ...m.sent, header: { ...m.sent.header, n: 5 } };
    expect((await errorOf(() => receive(bob, forged))).code).toBe(ErrorCode.DECRYPT_FAILED);
  });

  it('remembers at most MAX_RETIRED_CHAINS closed chains', async () => {
    let { alice, bob } = await pair();
    for (let turn = 0; turn < MAX_RETIRED_CHAINS + 3; turn++) {
      const a = send(alice, 'a');
      alice = a.state;
      bob = (await receive(bob, a.sent)).state;
      const b = send(bob, 'b');
      bob = b.state;
      alice = (await receive(alice, b.sent)).state;
    }
    expect(bob.retired.length).toBe(MAX_RETIRED_CHAINS);
    expect(alice.retired.length).toBe(MAX_RETIRED_CHAINS);
  });

  it('allows a jump of exactly MAX_SKIP and refuses MAX_SKIP + 1', async () => {
    let { alice, bob } = await pair();
    const start = send(alice, 's');
    alice = start.state;
    bob = (await receive(bob, start.sent)).state;
    const many = sendMany(alice, 'k', MAX_SKIP + 2);
    const tooFar = many.sent[MAX_SKIP + 1] as Sent; // index MAX_SKIP + 2, Nr = 1
    expect((await errorOf(() => receive(bob, tooFar))).code).toBe(ErrorCode.TOO_MANY_SKIPPED);
    const justFar = many.sent[MAX_SKIP] as Sent; // index MAX_SKIP + 1: skips exactly MAX_SKIP
    const r = await receive(bob, justFar);
    expect(r.state.skipped.size).toBe(MAX_SKIP);
  });

  it('refuses too large a jump on a new chain and in the old chain (PN)', async () => {
    let { alice, bob } = await pair();
    const start = send(alice, 's');
    alice = start.state;
    bob = (await receive(bob, start.sent)).state;
    const reply = send(bob, 'r');
    const newChain = sendMany(reply.state, 'n', MAX_SKIP + 2);
    // Alice has no receiving chain yet: only the new chain's index counts.
    expect((await errorOf(() => receive(alice, newChain.sent[MAX_SKIP + 1] as Sent))).code).toBe(
      ErrorCode.TOO_MANY_SKIPPED,
    );
    // Old chain: Bob sees only the first of MAX_SKIP + 2 messages on Alice's next chain;
    // when Alice turns again, PN tells him to store MAX_SKIP + 1 keys: too many.
    alice = (await receive(alice, reply.sent)).state;
    bob = reply.state;
    const lost = sendMany(alice, 'l', MAX_SKIP + 2);
    bob = (await receive(bob, lost.sent[0] as Sent)).state;
    const back = send(bob, 'x');
    const turned = send((await receive(lost.state, back.sent)).state, 't');
    expect(turned.sent.header.pn).toBe(MAX_SKIP + 2);
    expect((await errorOf(() => receive(back.state, turned.sent))).code).toBe(
      ErrorCode.TOO_MANY_SKIPPED,
    );
  });

  it('is transactional: a failed decryption leaves the state exactly as it was', async () => {
    let { alice, bob } = await pair();
    const a = sendMany(alice, 'a', 3);
    alice = a.state;
    bob = (await receive(bob, a.sent[2] as Sent)).state;
    const before = fingerprint(bob);
    const bad = (m: Sent, i: number): Sent => {
      const ciphertext = Uint8Array.from(m.ciphertext);
      ciphertext[i] = (ciphertext[i] as number) ^ 0x40;
      return { ...m, ciphertext };
    };
    // A skipped key, a new chain (DH step) and the current chain, each with a bad tag.
    expect((await errorOf(() => receive(bob, bad(a.sent[0] as Sent, 5)))).code).toBe(
      ErrorCode.DECRYPT_FAILED,
    );
    const reply = send(bob, 'r');
    alice = (await receive(alice, reply.sent)).state;
    const turned = send(alice, 't');
    expect((await errorOf(() => receive(bob, bad(turned.sent, 0)))).code).toBe(
      ErrorCode.DECRYPT_FAILED,
    );
    expect(
      (await errorOf(() => receive(bob, { ...a.sent[1], aad: new Uint8Array(3) } as Sent))).code,
    ).toBe(ErrorCode.DECRYPT_FAILED);
    expect(fingerprint(bob)).toBe(before);
    // And the untouched state still decrypts everything genuine.
    expect((await receive(bob, a.sent[0] as Sent)).text).toBe('a0');
    expect((await receive(bob, turned.sent)).text).toBe('t');
  });

  it('never mutates its input on success either', async () => {
    let { alice, bob } = await pair();
    const a = send(alice, 'a');
    alice = a.state;
    const bobBefore = fingerprint(bob);
    const aliceBefore = fingerprint(alice);
    const first = await receive(bob, a.sent);
    send(alice, 'again');
    expect(fingerprint(bob)).toBe(bobBefore);
    expect(fingerprint(alice)).toBe(aliceBefore);
    // The old state can decrypt the same message again: it is a value, not a handle.
    expect((await receive(bob, a.sent)).text).toBe(first.text);
  });

  it('expires stored keys after 7 days', async () => {
    let { alice, bob } = await pair();
    const a = sendMany(alice, 'a', 3);
    alice = a.state;
    bob = (await receive(bob, a.sent[2] as Sent)).state;
    clock.advance(SKIPPED_KEY_MAX_AGE_MS - 1);
    bob = (await receive(bob, a.sent[1] as Sent)).state;
    clock.advance(1);
    expect((await errorOf(() => receive(bob, a.sent[0] as Sent))).code).toBe(
      ErrorCode.MESSAGE_KEY_EXPIRED,
    );
    // The next successful call prunes it.
    const more = send(alice, 'b');
    bob = (await receive(bob, more.sent)).state;
    expect(bob.skipped.size).toBe(0);
    expect((await errorOf(() => receive(bob, a.sent[0] as Sent))).code).toBe(
      ErrorCode.DUPLICATE_MESSAGE,
    );
  });

  it(`stores at most ${MAX_STORED_SKIPPED_KEYS} skipped keys, evicting the oldest`, async () => {
    let { alice, bob } = await pair();
    const first = sendMany(alice, 'f', 1);
    alice = first.state;
    bob = (await receive(bob, first.sent[0] as Sent)).state;
    const chains: Sent[][] = [];
    for (let c = 0; c < 3; c++) {
      const batch = sendMany(alice, `c${c}-`, MAX_SKIP + 1);
      alice = batch.state;
      chains.push(batch.sent);
      bob = (await receive(bob, batch.sent[MAX_SKIP] as Sent)).state;
      const reply = send(bob, 'r');
      bob = reply.state;
      alice = (await receive(alice, reply.sent)).state;
    }
    expect(bob.skipped.size).toBe(MAX_STORED_SKIPPED_KEYS);
    expect((await errorOf(() => receive(bob, chains[0]?.[0] as Sent))).code).toBe(
      ErrorCode.DUPLICATE_MESSAGE,
    );
    expect((await receive(bob, chains[1]?.[0] as Sent)).text).toBe('c1-0');
  });

  it('rejects a small-order ratchet key and a responder encrypting too early', async () => {
    const { alice, bob } = await pair();
    const m = send(alice, 'm').sent;
    const lowOrder = fromHex('0100000000000000000000000000000000000000000000000000000000000000');
    expect(
      (await errorOf(() => receive(bob, { ...m, header: { ...m.header, dh: lowOrder } }))).code,
    ).toBe(ErrorCode.KEY_LOW_ORDER);
    expect((await errorOf(() => send(bob, 'too early'))).code).toBe(ErrorCode.BAD_ARGUMENT);
  });

  it('derives keys as specified (KDF_RK with the root key as salt, HKDF message keys)', async () => {
    const { hkdf } = await import('@noble/hashes/hkdf.js');
    const { sha256 } = await import('@noble/hashes/sha2.js');
    const rk = new Uint8Array(32).fill(1);
    const out = new Uint8Array(32).fill(2);
    const expected = hkdf(sha256, out, rk, utf8('Parley/v1/ratchet/root'), 64);
    const r = kdfRoot(rk, out);
    expect([...r.rootKey, ...r.chainKey]).toEqual([...expected]);
    const mk = new Uint8Array(32).fill(3);
    const keys = hkdf(sha256, mk, new Uint8Array(32), utf8('Parley/v1/ratchet/message-keys'), 44);
    const m = messageKeys(mk);
    expect([...m.key, ...m.nonce]).toEqual([...keys]);
  });

  it('is deterministic given deterministic key generation', async () => {
    const run = async () => {
      const random = seededRandom('det');
      const d: RatchetDeps = { generateDhKeyPair: seededDhKeyPairs(random), now: () => 0 };
      const sk = random(32);
      const spk = await d.generateDhKeyPair();
      const ak = await d.generateDhKeyPair();
      let alice = initiatorState(sk, ak, await dh(ak.privateKey, spk.publicKey));
      let bob = responderState(sk, spk);
      const a = send(alice, 'hi');
      alice = a.state;
      bob = (await ratchetDecrypt(d, bob, a.sent.header, a.sent.ciphertext, a.sent.aad)).state;
      return toHex(send(bob, 'back').sent.ciphertext);
    };
    expect(await run()).toBe(await run());
  });
});
