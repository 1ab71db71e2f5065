/**
 * fast-check properties of pairwise sessions (issue 3, §4):
 *  1. any interleaving of delayed, dropped, duplicated and reordered messages in
 *     both directions (with DH ratchet turns) decrypts every delivered message
 *     exactly once, to its sender's plaintext and index; duplicates fail with
 *     DUPLICATE_MESSAGE;
 *  2. a bit flip anywhere in a ciphertext or header is rejected and leaves the
 *     session usable;
 *  3. state survives serialize/deserialize at any step: a run that reloads its
 *     sessions produces byte-identical ciphertexts to one that does not.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Bytes, toHex, utf8 } from '../bytes.ts';
import { ErrorCode, isParleyError } from '../errors.ts';
import { bundleFromKeySet } from './device-key-set.ts';
import {
  acceptIncomingSession,
  createOutgoingSession,
  decryptMessage,
  deserializeSession,
  encryptMessage,
  type Session,
  type SessionDeps,
  serializeSession,
} from './session.ts';
import { seededDhKeyPairs, seededRandom } from './testing/deterministic.ts';
import { makeParty, type Party } from './testing/session-fixtures.ts';

type Name = 'alice' | 'bob';
type Command =
  | { readonly op: 'send'; readonly from: Name }
  | { readonly op: 'deliver' | 'drop' | 'duplicate'; readonly to: Name; readonly pick: number }
  | { readonly op: 'reload'; readonly who: Name };

const name = fc.constantFrom<Name>('alice', 'bob');
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: name.map((from) => ({ op: 'send' as const, from })) },
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant('deliver' as const), to: name, pick: fc.nat(50) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('drop' as const), to: name, pick: fc.nat(50) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('duplicate' as const), to: name, pick: fc.nat(50) }),
  },
);
const withReloads: fc.Arbitrary<Command> = fc.oneof(
  { weight: 9, arbitrary: command },
  { weight: 2, arbitrary: name.map((who) => ({ op: 'reload' as const, who })) },
);

interface Envelope {
  readonly from: Name;
  readonly index: number;
  readonly bytes: Bytes;
}

const other = (n: Name): Name => (n === 'alice' ? 'bob' : 'alice');
const plaintextOf = (from: Name, index: number) => `${from}:${index}`;

const alice = await makeParty();
const bob = await makeParty();
const parties: Record<Name, Party> = { alice, bob };

/**
 * Plays the commands and checks every outcome; returns a transcript of what
 * was sent and decrypted (byte-exact when the deps are deterministic).
 */
async function play(
  commands: readonly Command[],
  options: { seed?: string; reload: boolean },
): Promise<string[]> {
  const deps = (who: Name): SessionDeps => {
    const clock = parties[who].deps.now;
    if (options.seed === undefined) return { random: parties[who].deps.random, now: clock };
    const random = seededRandom(`${options.seed}/${who}`);
    return { random, now: clock, generateDhKeyPair: seededDhKeyPairs(random) };
  };
  const d: Record<Name, SessionDeps> = { alice: deps('alice'), bob: deps('bob') };
  const sessions: Record<Name, Session | undefined> = {
    alice: await createOutgoingSession(
      d.alice,
      alice.keys.identity,
      bundleFromKeySet(bob.keys, { oneTimePreKeyIndex: 0 }),
    ),
    bob: undefined,
  };
  const sentCount: Record<Name, number> = { alice: 0, bob: 0 };
  const inFlight: Record<Name, Envelope[]> = { alice: [], bob: [] };
  const delivered: Record<Name, Envelope[]> = { alice: [], bob: [] };
  const decrypted = new Set<string>();
  const log: string[] = [];

  for (const c of commands) {
    if (c.op === 'send') {
      // Bob cannot send before Alice's first message reaches him: Alice sends instead.
      const from = sessions[c.from] === undefined ? other(c.from) : c.from;
      const session = sessions[from];
      if (session === undefined) continue;
      const index = sentCount[from]++;
      const r = await encryptMessage(d[from], session, utf8(plaintextOf(from, index)));
      sessions[from] = r.session;
      inFlight[other(from)].push({ from, index, bytes: r.ciphertext });
      log.push(`send ${from} ${toHex(r.ciphertext)}`);
    } else if (c.op === 'reload') {
      const session = sessions[c.who];
      if (session !== undefined && options.reload)
        sessions[c.who] = await deserializeSession(await serializeSession(session));
    } else if (c.op === 'drop' || c.op === 'deliver') {
      // An empty queue makes the command apply to the other direction.
      const to = inFlight[c.to].length > 0 ? c.to : other(c.to);
      const queue = inFlight[to];
      if (queue.length === 0) continue;
      const [envelope] = queue.splice(c.pick % queue.length, 1);
      if (envelope === undefined || c.op === 'drop') continue;
      const session = sessions[to];
      const r =
        session === undefined
          ? await acceptIncomingSession(
              d[to],
              parties[to].keys.identity,
              parties[to].lookup,
              envelope.bytes,
            )
          : await decryptMessage(d[to], session, envelope.bytes);
      sessions[to] = r.session;
      const text = new TextDecoder().decode(r.plaintext);
      expect(text).toBe(plaintextOf(envelope.from, envelope.index));
      const id = `${envelope.from}:${envelope.index}`;
      expect(decrypted.has(id)).toBe(false);
      decrypted.add(id);
      delivered[to].push(envelope);
      log.push(`recv ${to} ${text}`);
    } else {
      const seen = delivered[c.to];
      const session = sessions[c.to];
      if (seen.length === 0 || session === undefined) continue;
      const envelope = seen[c.pick % seen.length] as Envelope;
      let code = 'no error';
      try {
        await decryptMessage(d[c.to], session, envelope.bytes);
      } catch (e) {
        code = isParleyError(e) ? e.code : String(e);
      }
      expect(code).toBe(ErrorCode.DUPLICATE_MESSAGE);
      log.push(`duplicate ${c.to}`);
    }
  }
  return log;
}

describe('session properties', () => {
  it('1. delayed, dropped, duplicated and reordered delivery: each delivered message decrypts exactly once, in order index', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { minLength: 10, maxLength: 40, size: 'max' }),
        async (commands) => {
          await play(commands, { reload: false });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('2. a bit flip anywhere is rejected and the session stays usable', async () => {
    const base = await createOutgoingSession(
      alice.deps,
      alice.keys.identity,
      bundleFromKeySet(bob.keys, { oneTimePreKeyIndex: 0 }),
    );
    const first = await encryptMessage(alice.deps, base, utf8('first'));
    const accepted = await acceptIncomingSession(
      bob.deps,
      bob.keys.identity,
      bob.lookup,
      first.ciphertext,
    );
    const second = await encryptMessage(alice.deps, first.session, utf8('second')); // still a prekey message
    const reply = await encryptMessage(bob.deps, accepted.session, utf8('reply')); // ratchet message, new chain
    const aliceAfter = await decryptMessage(alice.deps, first.session, reply.ciphertext);
    const plain = await encryptMessage(alice.deps, aliceAfter.session, utf8('plain')); // new chain for Bob
    const inChain = await encryptMessage(bob.deps, reply.session, utf8('in chain')); // same chain for Alice

    // Each case: the receiver, its session (undefined = accept a new session), and the genuine message.
    const cases = [
      { to: 'bob' as const, session: undefined, bytes: first.ciphertext, text: 'first' },
      { to: 'bob' as const, session: accepted.session, bytes: second.ciphertext, text: 'second' },
      { to: 'alice' as const, session: first.session, bytes: reply.ciphertext, text: 'reply' },
      { to: 'bob' as const, session: accepted.session, bytes: plain.ciphertext, text: 'plain' },
      {
        to: 'alice' as const,
        session: aliceAfter.session,
        bytes: inChain.ciphertext,
        text: 'in chain',
      },
    ];
    const open = async (c: (typeof cases)[number], bytes: Uint8Array) => {
      const p = parties[c.to];
      return c.session === undefined
        ? acceptIncomingSession(p.deps, p.keys.identity, p.lookup, bytes)
        : decryptMessage(p.deps, c.session, bytes);
    };
    await fc.assert(
      fc.asyncProperty(
        fc
          .nat(cases.length - 1)
          .chain((i) =>
            fc.tuple(fc.constant(i), fc.nat((cases[i]?.bytes.length ?? 1) - 1), fc.nat(7)),
          ),
        async ([i, byte, bit]) => {
          const c = cases[i];
          if (c === undefined) return;
          const bytes = Uint8Array.from(c.bytes);
          bytes[byte] = (bytes[byte] as number) ^ (1 << bit);
          let error: unknown;
          try {
            await open(c, bytes);
          } catch (e) {
            error = e;
          }
          expect(isParleyError(error)).toBe(true);
          const genuine = await open(c, c.bytes);
          expect(new TextDecoder().decode(genuine.plaintext)).toBe(c.text);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('3. sessions survive serialize/deserialize at any step and continue byte for byte', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(withReloads, { minLength: 10, maxLength: 30, size: 'max' }),
        fc.nat(1000),
        async (commands, seed) => {
          const plainRun = await play(commands, { seed: `p3-${seed}`, reload: false });
          const reloadRun = await play(commands, { seed: `p3-${seed}`, reload: true });
          expect(reloadRun).toEqual(plainRun);
        },
      ),
      { numRuns: 40 },
    );
  });
});
