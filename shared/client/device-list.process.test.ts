/**
 * The signed device list end to end, relay run as a real process
 * (docs/protocol.md, "Device list"; threat L5 of the linking design): an
 * unlinked device is revoked at once, learns it, and receives nothing sent
 * after.
 */
import { describe, expect, it } from 'vitest';
import type { ParleyClient } from './client.ts';
import type { FetchLike } from './deps.ts';
import {
  collect,
  messagesOf,
  type TestUser,
  textsOf,
  uniqueText,
  waitFor,
  waitTexts,
} from './testing/harness.ts';
import { useRelayProcess } from './testing/relay-fixture.ts';

const relay = useRelayProcess({ handleSuffix: 'dl' });

const user = (name: string, fetchImpl?: FetchLike): Promise<TestUser> =>
  relay.newUser(name, fetchImpl === undefined ? {} : { fetch: fetchImpl });

const secondDevice = (owner: TestUser): Promise<TestUser> => relay.linkDevice(owner);

async function _finalState(client: ParleyClient, conversationId: string, id: string) {
  return waitFor(async () => {
    const m = (await messagesOf(client, conversationId)).find((x) => x.id === id);
    return m !== undefined && m.state !== 'sending' ? m : undefined;
  }, 'message settled');
}

describe('signed device list with a real relay', () => {
  it('an unlinked device is revoked at once, learns it, and reads nothing sent after (L5)', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const bob2 = await secondDevice(bob);
    const unlinked = collect(bob2.client, 'unlinked');
    const changed = collect(bob.client, 'devices-changed');
    const chat = await alice.client.startConversation(bob.handle);
    const before = uniqueText('to both devices');
    await alice.client.sendText({ conversationId: chat.id, text: before });
    const bobChat = `u:${alice.userId}`;
    await waitTexts(bob2.client, bobChat, 1, 'bob2 reads before unlink');

    const list = await bob.client.signedDeviceList.remove(bob2.deviceId);
    expect(list.devices.map((d) => d.deviceId)).toEqual([bob.deviceId]);
    await waitFor(() => (unlinked.length > 0 ? true : undefined), 'bob2 told it was unlinked');
    expect(unlinked[0]?.reason).toBe('revoked');
    expect(bob2.client.status()).toEqual({ state: 'stopped', reason: 'revoked' });

    const after = uniqueText('after unlink');
    await alice.client.sendText({ conversationId: chat.id, text: after });
    await waitTexts(bob.client, bobChat, 2, 'bob1 reads after unlink');
    expect(await textsOf(bob2.client, bobChat)).toEqual([before]);
    await bob.client.idle();
    // The removal is announced on the device that made it as well (one event per version).
    await waitFor(() => (changed.length > 0 ? true : undefined), 'devices-changed');
  });
});
