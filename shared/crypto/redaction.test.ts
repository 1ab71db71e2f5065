import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type Bytes, toBase64Url, toHex, utf8 } from '../bytes.ts';
import { identityKeyPairFromPrivate } from './identity.ts';
import { encodeRatchetHeader } from './message-format.ts';
import {
  initiatorState,
  type RatchetState,
  ratchetDecrypt,
  ratchetEncrypt,
  responderState,
} from './ratchet.ts';
import { manualClock, seededRandom } from './testing/deterministic.ts';
import { dh, generateDhKeyPair } from './x25519.ts';

/**
 * Printing (console.log, util.inspect) or JSON-serialising a ratchet state or an
 * identity key pair must not show secret bytes. Ratchet states carry a
 * redacting toJSON and inspect (ratchet.ts); identity private keys are
 * CryptoKeys, which neither JSON nor inspect can open.
 */
function leaks(text: string, secret: Uint8Array): string | undefined {
  const head = secret.subarray(0, 8);
  const numbers = (text.match(/\d+/g) ?? []).join(',');
  if (text.toLowerCase().includes(toHex(head))) return 'hex';
  if (`,${numbers},`.includes(`,${[...head].join(',')},`)) return 'decimal bytes';
  if (text.includes(toBase64Url(secret).slice(0, 10))) return 'base64url';
  return undefined;
}

function renderings(value: unknown): string[] {
  return [
    JSON.stringify(value),
    inspect(value, { depth: Number.POSITIVE_INFINITY, showHidden: false }),
    String(value),
  ];
}

async function statesWithSkippedKeys(): Promise<RatchetState[]> {
  const clock = manualClock();
  const deps = { generateDhKeyPair: () => generateDhKeyPair(true), now: clock.now };
  const sk = seededRandom('redaction.test')(32);
  const bobSpk = await generateDhKeyPair(true);
  const aliceKey = await generateDhKeyPair(true);
  let alice = initiatorState(sk, aliceKey, await dh(aliceKey.privateKey, bobSpk.publicKey));
  const bob0 = responderState(sk, bobSpk);
  const sent: { header: ReturnType<typeof ratchetEncrypt>['header']; ct: Bytes; aad: Bytes }[] = [];
  for (let i = 0; i < 3; i++) {
    let aad: Bytes = new Uint8Array(0);
    const r = ratchetEncrypt(alice, utf8(`m${i}`), (h) => {
      aad = encodeRatchetHeader(h);
      return aad;
    });
    alice = r.state;
    sent.push({ header: r.header, ct: r.ciphertext, aad });
  }
  const last = sent[2] as (typeof sent)[number];
  const bob = (await ratchetDecrypt(deps, bob0, last.header, last.ct, last.aad)).state;
  expect(bob.skipped.size).toBe(2);
  return [alice, bob0, bob];
}

function secretsOf(state: RatchetState): Uint8Array[] {
  return [
    state.rootKey,
    ...(state.sending === undefined ? [] : [state.sending.chainKey]),
    ...(state.receiving === undefined ? [] : [state.receiving.chainKey]),
    ...[...state.skipped.values()].map((k) => k.messageKey),
  ];
}

describe('secrets do not show when printed or serialised as JSON', () => {
  it('ratchet states (root key, chain keys, skipped message keys)', async () => {
    for (const state of await statesWithSkippedKeys()) {
      const secrets = secretsOf(state);
      expect(secrets.length).toBeGreaterThan(0);
      for (const text of renderings(state)) {
        for (const secret of secrets) expect(leaks(text, secret)).toBeUndefined();
        // What it does show: the public ratchet key, so logs stay useful.
        if (!text.startsWith('[object'))
          expect(text).toContain(toHex(state.ourRatchetKey.publicKey));
      }
      // Also nested in a larger value.
      for (const text of renderings({ session: state, list: [state] }))
        for (const secret of secrets) expect(leaks(text, secret)).toBeUndefined();
    }
  });

  it('identity key pairs, even with extractable private keys', async () => {
    const dhPrivate = seededRandom('redaction.dh')(32);
    const signingSeed = seededRandom('redaction.signing')(32);
    const identity = await identityKeyPairFromPrivate(dhPrivate, signingSeed, true);
    for (const text of renderings(identity)) {
      expect(leaks(text, dhPrivate)).toBeUndefined();
      expect(leaks(text, signingSeed)).toBeUndefined();
    }
  });
});
