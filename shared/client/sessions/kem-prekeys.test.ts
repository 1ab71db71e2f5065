/**
 * Session setup with a one-time ML-KEM prekey, through the client's session
 * layer: the responder opens it with the private half it stored, deletes that
 * half in the same write as the new session (the last-resort key stays), and a
 * replayed prekey message naming the same key fails with a stable code while
 * the session keeps working.
 */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../bytes.ts';
import { decodeMessage } from '../../crypto/message-format.ts';
import { PreKeyKind } from '../../crypto/prekeys.ts';
import { systemRandom } from '../../crypto/random.ts';
import { createOutgoingSession, encryptMessage } from '../../crypto/session.ts';
import { ErrorCode } from '../../errors.ts';
import { errorOf } from '../../testing/errors.ts';
import { Batch } from '../store/batch.ts';
import { createMemoryStorage } from '../store/store.ts';
import { localAccount, offlineSessionContext } from '../testing/local-account.ts';
import { decryptFrom, dropDeviceSession } from './sessions.ts';

const ALICE = '0a0a0a0a-0000-4000-8000-00000000000a';
const BOB = '0b0b0b0b-0000-4000-8000-00000000000b';
const deps = { random: systemRandom, now: () => Date.now() };

describe('one-time ML-KEM prekeys in session setup', () => {
  it('open a session once, are deleted with it, and a replay of the first message fails cleanly', async () => {
    const bobStore = createMemoryStorage();
    const bob = await localAccount(bobStore.records, BOB, 2, { oneTimeKemPreKeys: 2 });
    const alice = await localAccount(createMemoryStorage().records, ALICE, 1);
    expect(bob.bundle.kemPreKey?.kind).toBe(PreKeyKind.ONE_TIME_KEM);
    const ctx = offlineSessionContext(bob.account);
    const receive = async (body: Uint8Array) => {
      const batch = new Batch(bobStore.records);
      const out = await decryptFrom(ctx, batch, ALICE, 1, body);
      await batch.commit();
      return out;
    };

    let session = await createOutgoingSession(deps, alice.account.identity, bob.bundle);
    const send = async (text: string) => {
      const out = await encryptMessage(deps, session, utf8(text));
      session = out.session;
      return out.ciphertext;
    };
    const first = await send('hello');
    expect(decodeMessage(first).preKey).toMatchObject({
      kemPreKeyId: 1,
      kemPreKeyKind: PreKeyKind.ONE_TIME_KEM,
    });
    expect(await bobStore.records.get('prekey/okem/0000000001')).toBeDefined();

    const opened = await receive(first);
    expect(opened.newSession).toBe(true);
    expect(new TextDecoder().decode(opened.plaintext)).toBe('hello');
    // The private half is gone, in the same write; the other one-time and the last-resort stay.
    expect(await bobStore.records.get('prekey/okem/0000000001')).toBeUndefined();
    expect(await bobStore.records.get('prekey/okem/0000000002')).toBeDefined();
    expect(await bobStore.records.get('prekey/kem/0000000001')).toBeDefined();

    // The same prekey message again: a duplicate of the session it made, nothing changed.
    expect((await errorOf(() => receive(first))).code).toBe(ErrorCode.DUPLICATE_MESSAGE);
    const second = await send('still here');
    expect(new TextDecoder().decode((await receive(second)).plaintext)).toBe('still here');

    // Even with that session gone, the replay cannot start a new one: its key was deleted.
    const batch = new Batch(bobStore.records);
    dropDeviceSession(ctx, batch, ALICE, 1);
    await batch.commit();
    expect((await errorOf(() => receive(first))).code).toBe(ErrorCode.PREKEY_MISSING);
  });

  it('keep the last-resort ML-KEM prekey after a session made with it', async () => {
    const bobStore = createMemoryStorage();
    const bob = await localAccount(bobStore.records, BOB, 2);
    const alice = await localAccount(createMemoryStorage().records, ALICE, 1);
    expect(bob.bundle.kemPreKey?.kind).toBe(PreKeyKind.KEM);
    const session = await createOutgoingSession(deps, alice.account.identity, bob.bundle);
    const { ciphertext } = await encryptMessage(deps, session, utf8('hi'));
    const batch = new Batch(bobStore.records);
    await decryptFrom(offlineSessionContext(bob.account), batch, ALICE, 1, ciphertext);
    await batch.commit();
    expect(await bobStore.records.get('prekey/kem/0000000001')).toBeDefined();
  });
});
