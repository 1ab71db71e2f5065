// The recovery key, backup key and passkey wrap vectors under Deno (the relay's runtime):
// the same encoding and the same derived keys as under Node.
import { strictEqual } from 'node:assert/strict';
import { fromHex, toHex } from '../bytes.ts';
import { deriveBackupAuthSeed, deriveBackupId, deriveBackupKey, deriveBackupKeys } from './keys.ts';
import { unwrapRecoveryKey, wrapRecoveryKey } from './passkey-wrap.ts';
import { formatRecoveryKey, parseRecoveryKey } from './recovery-key.ts';
import keyVectors from './vectors/keys.json' with { type: 'json' };
import wrapVectors from './vectors/passkey-wrap.json' with { type: 'json' };
import recoveryVectors from './vectors/recovery-key.json' with { type: 'json' };

Deno.test('recovery key vectors under Deno', () => {
  for (const { key, display } of recoveryVectors.valid) {
    strictEqual(formatRecoveryKey(fromHex(key)), display);
    strictEqual(toHex(parseRecoveryKey(display)), key);
  }
});

Deno.test('backup key vectors under Deno', async () => {
  for (const c of keyVectors.cases) {
    const bk = deriveBackupKey(fromHex(c.recoveryKey));
    strictEqual(toHex(bk), c.backupKey);
    strictEqual(toHex(deriveBackupId(bk, c.accountId)), c.backupId);
    strictEqual(toHex(deriveBackupAuthSeed(bk)), c.authSeed);
    const keys = await deriveBackupKeys(fromHex(c.recoveryKey), c.accountId);
    strictEqual(toHex(keys.auth.publicKey), c.authPublicKey);
  }
});

Deno.test('passkey wrap vectors under Deno', () => {
  for (const c of wrapVectors.cases) {
    const binding = { accountId: c.accountId, credentialId: c.credentialId };
    const prf = fromHex(c.prfOutput);
    const wrapped = wrapRecoveryKey(fromHex(c.recoveryKey), prf, binding, () => fromHex(c.nonce));
    strictEqual(toHex(wrapped), c.wrapped);
    strictEqual(toHex(unwrapRecoveryKey(wrapped, prf, binding)), c.recoveryKey);
  }
});
