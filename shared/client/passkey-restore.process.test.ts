/**
 * The recovery key by passkey against the REAL relay process (docs/protocol.md
 * "Backups", "Recovery key wrapped by the passkey"): alice backs up and turns
 * the option on (a passkey verification with the PRF, the wrap stored by an
 * identity-signed request); a fresh client that types nothing logs in with the
 * same passkey, gets the recovery key back and restores into a new device of
 * the same account. Another account's passkey finds nothing; after the option
 * is turned off the wrap is gone.
 */
import { describe, expect, it } from 'vitest';
import { systemRandom } from '../crypto/random.ts';
import { ErrorCode } from '../errors.ts';
import { rejectionCode } from '../testing/errors.ts';
import { recoveryKeyFromPasskey, wrapForPasskey } from './backup/passkey-restore.ts';
import {
  backUp,
  freshPasskeyLogin,
  newRecoveryKey,
  restoreAsNewDevice,
} from './testing/backup-steps.ts';
import { seenText, type TestUser, textsOf, uniqueText } from './testing/harness.ts';
import { anonymousRelayApi } from './testing/link-sides.ts';
import { prfAuthenticator } from './testing/prf-authenticator.ts';
import { useRelayProcess } from './testing/relay-fixture.ts';

const relay = useRelayProcess({ handleSuffix: 'pk' });

const freshApi = () => anonymousRelayApi(relay.url);

/** A browser that holds nothing of the account: a passkey login that also evaluates the PRF. */
async function freshPrfLogin(owner: TestUser) {
  const authenticator = prfAuthenticator(owner.authenticator.soft);
  const session = await freshPasskeyLogin(relay.url, owner, authenticator);
  return { session, prf: authenticator.last() };
}

/** Settings → Backups → "Let my passkey restore backups": a verification with the PRF, then the wrap. */
async function enablePasskeyRestore(owner: TestUser, recoveryKey: string): Promise<string> {
  const authenticator = prfAuthenticator(owner.authenticator.soft);
  await owner.client.login(authenticator);
  const prf = authenticator.last();
  await owner.client.putRecoveryWrap(
    prf.credentialId,
    wrapForPasskey(recoveryKey, owner.userId, prf, systemRandom),
  );
  return prf.credentialId;
}

describe('restoring with the passkey instead of the recovery key (real relay)', () => {
  it('a fresh client with the same passkey gets the recovery key back and restores the account', async () => {
    const alice = await relay.newUser('alice');
    const bob = await relay.newUser('bob');
    const chat = (await alice.client.startConversation(bob.handle)).id;
    const hello = uniqueText('before the backup');
    await alice.client.sendText({ conversationId: chat, text: hello });
    await seenText(bob.client, `u:${alice.userId}`, hello);
    const recoveryKey = newRecoveryKey();
    await backUp(relay.url, alice, recoveryKey);
    await enablePasskeyRestore(alice, recoveryKey);

    const { session, prf } = await freshPrfLogin(alice);
    const unwrapped = await recoveryKeyFromPasskey(freshApi(), session, prf);
    expect(unwrapped).toBe(recoveryKey);

    const { restored, result } = await restoreAsNewDevice(relay, alice, {
      recoveryKey: unwrapped,
      session,
      deviceName: 'by passkey',
    });
    expect(result.account.userId).toBe(alice.userId);
    const texts = await textsOf(restored.client, chat);
    expect(texts).toContain(hello);
  });

  it('finds nothing for another account’s passkey, and nothing once the option is off', async () => {
    const carol = await relay.newUser('carol');
    const dave = await relay.newUser('dave');
    const recoveryKey = newRecoveryKey();
    const credentialId = await enablePasskeyRestore(carol, recoveryKey);
    const asDave = await freshPrfLogin(dave);
    expect(
      await rejectionCode(
        recoveryKeyFromPasskey(freshApi(), asDave.session, { ...asDave.prf, credentialId }),
      ),
    ).toBe(ErrorCode.RECOVERY_WRAP_NOT_FOUND);
    await carol.client.deleteRecoveryWraps(credentialId);
    const asCarol = await freshPrfLogin(carol);
    expect(
      await rejectionCode(recoveryKeyFromPasskey(freshApi(), asCarol.session, asCarol.prf)),
    ).toBe(ErrorCode.RECOVERY_WRAP_NOT_FOUND);
  });
});
