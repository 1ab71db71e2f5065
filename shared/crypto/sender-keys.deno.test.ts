// The frozen Sender Keys vector under Deno (the relay's runtime), so Node
// and Deno produce and accept the same bytes.
import { strictEqual } from 'node:assert/strict';
import { fromHex, fromUtf8, toHex, utf8 } from '../bytes.ts';
import { createDistributionMessage, processDistributionMessage } from './sender-key-chain.ts';
import { deserializeSenderKeyState } from './sender-key-record.ts';
import { decryptGroupMessage, encryptGroupMessage } from './sender-keys.ts';
import vector from './vectors/sender-keys.json' with { type: 'json' };

Deno.test('sender keys: frozen vector encrypts and decrypts byte for byte', async () => {
  let state = await deserializeSenderKeyState(fromHex(vector.senderState));
  const identity = fromHex(vector.senderIdentity);
  strictEqual(toHex(createDistributionMessage(state)), vector.distributionMessage);
  let record = processDistributionMessage(undefined, fromHex(vector.distributionMessage));
  for (const m of vector.messages) {
    const out = await encryptGroupMessage(state, utf8(m.plaintext), identity);
    strictEqual(toHex(out.message), m.message);
    state = out.state;
    const dec = await decryptGroupMessage({ now: () => 0 }, record, fromHex(m.message), identity);
    strictEqual(fromUtf8(dec.plaintext), m.plaintext);
    strictEqual(dec.iteration, m.iteration);
    record = dec.record;
  }
});
