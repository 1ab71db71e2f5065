// The frozen sealed-box vectors under Deno, so Node and Deno seal and open the same bytes.
import { strictEqual } from 'node:assert/strict';
import { fromHex, fromUtf8, toHex, utf8 } from '../bytes.ts';
import { open, seal } from './sealed-box.ts';
import vector from './vectors/sealed-box.json' with { type: 'json' };
import { dhKeyPairFromPrivate } from './x25519.ts';

Deno.test('sealed box: frozen vectors open and reseal byte for byte', async () => {
  const recipient = await dhKeyPairFromPrivate(fromHex(vector.recipientPrivate));
  const ephemeral = await dhKeyPairFromPrivate(fromHex(vector.ephemeralPrivate));
  for (const box of vector.boxes) {
    strictEqual(fromUtf8(await open(recipient, fromHex(box.sealed), vector.info)), box.plaintext);
    const sealed = await seal(recipient.publicKey, utf8(box.plaintext), vector.info, ephemeral);
    strictEqual(toHex(sealed), box.sealed);
  }
});
