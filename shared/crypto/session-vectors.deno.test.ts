// The frozen session vectors under Deno (the relay's runtime): Node and Deno
// must agree byte for byte on X3DH/PQXDH secrets, ratchet ciphertexts and state.
import { checkSessionVectors, type SessionVectorFile } from './testing/session-vectors.ts';
import vectors from './vectors/session.json' with { type: 'json' };

Deno.test('frozen X3DH/PQXDH and Double Ratchet vectors reproduce under Deno', async () => {
  const file = vectors as SessionVectorFile;
  if (file.keyAgreement.length !== 4 || file.transcripts.length !== 2) {
    throw new Error('unexpected vector file shape');
  }
  const failures = await checkSessionVectors(file);
  if (failures.length > 0) throw new Error(`vector mismatches:\n${failures.join('\n')}`);
});
