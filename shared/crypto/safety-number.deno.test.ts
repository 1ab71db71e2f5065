// The libsignal safety-number vector under Deno (the relay's runtime), so
// Node and Deno agree byte for byte.
import { strictEqual } from 'node:assert/strict';
import { fromHex, toHex, utf8 } from '../bytes.ts';
import { compareScannable, computeSafetyNumber } from './safety-number.ts';
import vector from './vectors/safety-number.json' with { type: 'json' };

const alice = { key: fromHex(vector.alice.key), id: utf8(vector.alice.id) };
const bob = { key: fromHex(vector.bob.key), id: utf8(vector.bob.id) };

Deno.test('safety number: libsignal vector (digits and scannable codes)', async () => {
  const fromAlice = await computeSafetyNumber(alice, bob);
  const fromBob = await computeSafetyNumber(bob, alice);
  strictEqual(fromAlice.digits, vector.digits);
  strictEqual(fromBob.digits, vector.digits);
  strictEqual(toHex(fromAlice.scannable), vector.aliceScannableV2);
  strictEqual(toHex(fromBob.scannable), vector.bobScannableV2);
  strictEqual(compareScannable(fromAlice.scannable, fromBob.scannable), 'match');
});
