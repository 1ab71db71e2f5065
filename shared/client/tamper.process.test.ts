/**
 * A relay (or a proxy) that tampers with frames, against the REAL relay
 * process: the recipient's transport (testing/tap.ts) rewrites chosen
 * deliveries of a burst of messages in flight, flipping one bit of the
 * authentication tag or of the header, and hands the client a tampered copy
 * before the original, after it (under its id and under a new one), or
 * instead of it. For direct chats and
 * groups: every genuine message is shown exactly once, nothing garbled is
 * shown, no session is reset, and the sender's messages end delivered, then
 * read. On the client before retry receipts, any copy that did not decrypt
 * (before the original, or after it under a new id) dropped the session: the
 * original and the rest of the burst were lost; a copy instead of the
 * original lost it for good ("stored" forever); and a forged copy carrying the
 * genuine id made the genuine one count as seen.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes.ts';
import { decodeMessage } from '../crypto/message-format.ts';
import { systemRandom } from '../crypto/random.ts';
import type { DeliverFrame, ServerFrame } from '../wire/frames.ts';
import type { MessageView, ParleyClient } from './client.ts';
import { isGroupMessageBody } from './groups/receive.ts';
import { collect, messagesOf, type TestUser, uniqueText, waitFor } from './testing/harness.ts';
import { useRelayProcess } from './testing/relay-fixture.ts';
import { type Tap, tapTransport } from './testing/tap.ts';

const relay = useRelayProcess({ handleSuffix: 't' });

interface Peer extends TestUser {
  readonly tap: Tap;
}

async function user(name: string): Promise<Peer> {
  const tap = tapTransport();
  return { ...(await relay.newUser(name, { transport: tap.transport })), tap };
}

/** Messages in flight at once, and which of them the relay tampers with. */
const BURST = 8;
const TAMPERED = [1, 4, 6];
/** Sender key group messages: version, type, distribution id (16), chain id (4), iteration (4). */
const GROUP_ITERATION_LAST_BYTE = 2 + 16 + 4 + 3;

type Where = 'before' | 'after' | 'instead';
type What = 'tag' | 'header';

let fakeQid = 2_000_000;

function randomId(): DeliverFrame['id'] {
  return systemRandom(16) as DeliverFrame['id'];
}

/** The body with one bit flipped: in the tag (pairwise) or signature (group), or in the header. */
function tampered(body: Uint8Array, what: What): Uint8Array {
  const out = body.slice();
  let at: number;
  if (what === 'tag') at = out.length - 1;
  else if (isGroupMessageBody(body)) at = GROUP_ITERATION_LAST_BYTE;
  else at = decodeMessage(body).headerEnd - 1; // the low byte of the message number
  out[at] = (out[at] as number) ^ 0x01;
  return out;
}

/** What the hostile relay hands over instead of `frame`. */
function rewrite(frame: DeliverFrame, where: Where, what: What): ServerFrame[] {
  const body = tampered(frame.body, what) as DeliverFrame['body'];
  const forged: DeliverFrame = { ...frame, qid: ++fakeQid, body };
  switch (where) {
    case 'before':
      return [forged, frame];
    case 'after':
      // Under the genuine id, and under an id of the relay's own making.
      return [frame, forged, { ...forged, qid: ++fakeQid, id: randomId() }];
    case 'instead':
      return [{ ...forged, qid: frame.qid as number }];
  }
}

/**
 * Sends a burst from `from` while `to`'s relay holds every delivery back,
 * then lets them through with the TAMPERED ones rewritten. Returns the texts
 * and ids sent.
 */
async function burst(
  from: Peer,
  to: Peer,
  conversationId: string,
  where: Where,
  what: What,
): Promise<{ texts: string[]; ids: string[] }> {
  to.tap.holdIncoming = (f) => f.t === 'deliver' && f.from === from.userId;
  const texts: string[] = [];
  const ids: string[] = [];
  for (let i = 0; i < BURST; i++) {
    const text = uniqueText(`${where} ${what} ${i}`);
    texts.push(text);
    ids.push((await from.client.sendText({ conversationId, text })).id);
  }
  const targets = new Set(TAMPERED.map((i) => ids[i] as string));
  await waitFor(async () => {
    const mine = (await messagesOf(from.client, conversationId)).filter((m) => ids.includes(m.id));
    return mine.every((m) => m.state !== 'sending') && to.tap.held >= BURST;
  }, 'the burst stored on the relay and held back');
  to.tap.rewriteIncoming = (f) => {
    if (f.t !== 'deliver' || f.qid === undefined || !targets.has(toHex(f.id))) return undefined;
    targets.delete(toHex(f.id)); // only the first copy (a resend goes through untouched)
    return rewrite(f, where, what);
  };
  to.tap.holdIncoming = () => false;
  to.tap.release();
  return { texts, ids };
}

/** Waits until `reader` shows each of `texts` exactly once; returns its timeline. */
async function shownOnce(
  reader: ParleyClient,
  conversationId: string,
  texts: readonly string[],
): Promise<MessageView[]> {
  return waitFor(
    async () => {
      const timeline = await messagesOf(reader, conversationId);
      const shown = timeline.filter((m) => m.kind === 'text').map((m) => m.text);
      return texts.every((t) => shown.includes(t)) ? timeline : undefined;
    },
    () => 'every message of the burst shown',
    30_000,
  );
}

async function statesOf(client: ParleyClient, conversationId: string, ids: readonly string[]) {
  return (await messagesOf(client, conversationId))
    .filter((m) => ids.includes(m.id))
    .map((m) => m.state);
}

async function allIn(
  client: ParleyClient,
  conversationId: string,
  ids: readonly string[],
  states: readonly string[],
) {
  await waitFor(
    async () =>
      (await statesOf(client, conversationId, ids)).every((s) => states.includes(s)) &&
      (await statesOf(client, conversationId, ids)).length === ids.length,
    `sender states in ${states.join('/')}`,
    30_000,
  );
}

/** Runs the tag and the header round of `where` in one conversation and checks everything. */
async function scenario(
  sender: Peer,
  reader: Peer,
  senderConversation: string,
  readerConversation: string,
  where: Where,
) {
  const states = collect(sender.client, 'message-state');
  const undecryptable = collect(reader.client, 'undecryptable');
  const everything: string[] = [];
  const allIds: string[] = [];
  for (const what of ['tag', 'header'] as const) {
    const { texts, ids } = await burst(sender, reader, senderConversation, where, what);
    everything.push(...texts);
    allIds.push(...ids);
    const timeline = await shownOnce(reader.client, readerConversation, texts).catch(
      async (e: unknown) => {
        const sent = await messagesOf(sender.client, senderConversation);
        const got = await messagesOf(reader.client, readerConversation);
        throw new Error(
          `${String(e)}; sender: ${JSON.stringify(sent.map((m) => [m.text.slice(0, 14), m.state]))}; reader: ${JSON.stringify(got.map((m) => [m.text.slice(0, 40), m.kind]))}`,
        );
      },
    );
    const shown = timeline.filter((m) => m.kind === 'text').map((m) => m.text);
    for (const t of texts) expect(shown.filter((s) => s === t)).toHaveLength(1);
    await allIn(sender.client, senderConversation, ids, ['delivered', 'read']);
  }
  const timeline = await messagesOf(reader.client, readerConversation);
  // Nothing garbled, nothing twice, no "could not be decrypted", no session reset.
  const shown = timeline.filter((m) => m.kind === 'text').map((m) => m.text);
  expect(shown.filter((t) => !t.startsWith('setup')).sort()).toEqual([...everything].sort());
  expect(timeline.filter((m) => m.system === 'decrypt-failed')).toEqual([]);
  expect(undecryptable).toEqual([]);
  await reader.client.markRead({ conversationId: readerConversation });
  await allIn(sender.client, senderConversation, allIds, ['read']);
  const tamperedIds = new Set(allIds.filter((_, i) => TAMPERED.includes(i % BURST)));
  const history = states.filter((m) => tamperedIds.has(m.id)).map((m) => m.state);
  return { history, timeline };
}

describe('a relay that tampers with frames loses no message', () => {
  async function pair() {
    const alice = await user('alice');
    const bob = await user('bob');
    const aliceChat = (await alice.client.startConversation(bob.handle)).id;
    const bobChat = `u:${alice.userId}`;
    // Both sides have written once: the burst travels as plain ratchet messages.
    await alice.client.sendText({ conversationId: aliceChat, text: uniqueText('setup hi') });
    await waitFor(async () => (await messagesOf(bob.client, bobChat)).length > 0, 'request');
    await bob.client.sendText({ conversationId: bobChat, text: uniqueText('setup hello') });
    await waitFor(
      async () => (await messagesOf(alice.client, aliceChat)).length >= 2,
      'the reply arrives',
    );
    return { alice, bob, aliceChat, bobChat };
  }

  for (const where of ['before', 'after', 'instead'] as const) {
    it(`direct chat: a tampered copy ${where === 'instead' ? 'instead of' : where} the original (tag bit, header bit)`, async () => {
      const { alice, bob, aliceChat, bobChat } = await pair();
      const { history } = await scenario(alice, bob, aliceChat, bobChat, where);
      if (where === 'instead') {
        // The sender sees what happened: failed, sent again, then delivered.
        expect(history).toContain('failed');
        expect(history).toContain('resent');
      }
      if (where === 'after') expect(history).not.toContain('failed');
    }, 120_000);
  }

  async function group() {
    const alice = await user('alice');
    const bob = await user('bob');
    const conversationId = await alice.client.createGroup({ name: 'Pair', members: [bob.handle] });
    await waitFor(async () => {
      try {
        return (await bob.client.getGroup(conversationId)).version >= 1;
      } catch {
        return false;
      }
    }, 'the group reaches bob');
    await bob.client.acceptGroup(conversationId);
    // Bob holds Alice's sender key from here on.
    const setup = uniqueText('setup group');
    await alice.client.sendText({ conversationId, text: setup });
    await shownOnce(bob.client, conversationId, [setup]);
    return { alice, bob, conversationId };
  }

  for (const where of ['before', 'after', 'instead'] as const) {
    it(`group: a tampered copy ${where === 'instead' ? 'instead of' : where} the original (signature bit, header bit)`, async () => {
      const { alice, bob, conversationId } = await group();
      const { history } = await scenario(alice, bob, conversationId, conversationId, where);
      if (where === 'instead') {
        expect(history).toContain('failed');
        expect(history).toContain('resent');
      }
      if (where === 'after') expect(history).not.toContain('failed');
    }, 120_000);
  }
});
