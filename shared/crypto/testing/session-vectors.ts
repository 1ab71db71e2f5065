/**
 * Parley's own frozen vectors for X3DH/PQXDH and the Double Ratchet (there
 * are no official ones): every private key and random input is written out,
 * so the vectors do not depend on any generator, and the expected outputs are
 * byte-exact (shared secrets, signatures, every ciphertext of a transcript,
 * and a hash of each party's final serialised state).
 *
 * Runtime-neutral (no test framework, no file system): the Node test, the Deno
 * test and the generator script all use these functions.
 */
import { type Bytes, fromHex, toHex } from '../../bytes.ts';
import { isParleyError } from '../../errors.ts';
import {
  encodeIdentity,
  type IdentityKeyPair,
  identityKeyPairFromPrivate,
  publicIdentity,
} from '../identity.ts';
import { sha256Digest } from '../kdf.ts';
import { memoryPreKeyLookup } from '../prekey-lookup.ts';
import {
  generateKemPreKey,
  generateSignedPreKey,
  kemPreKeyPublic,
  type OneTimePreKeyPair,
  oneTimePreKeyPublic,
  PreKeyKind,
  type PreKeyPair,
  signedPreKeyPublic,
} from '../prekeys.ts';
import {
  acceptIncomingSession,
  createOutgoingSession,
  decryptMessage,
  encryptMessage,
  type Session,
  type SessionDeps,
  serializeSession,
} from '../session.ts';
import { initiateKeyAgreement, respondKeyAgreement } from '../x3dh.ts';
import { dhKeyPairFromPrivate } from '../x25519.ts';
import { queuedDhKeyPairs, queuedRandom } from './deterministic.ts';

const CREATED_AT = 1_700_000_000_000;

// ---------------------------------------------------------------------------
// Inputs (all hex)

export interface IdentityInput {
  readonly identityDhPrivate: string;
  readonly identitySigningSeed: string;
}

export interface ResponderInput extends IdentityInput {
  readonly signedPreKeyId: number;
  readonly signedPreKeyPrivate: string;
  readonly oneTimePreKeyId?: number;
  readonly oneTimePreKeyPrivate?: string;
  readonly kemPreKeyId?: number;
  /** ML-KEM-768 key generation seed d || z (64 bytes). */
  readonly kemSeed?: string;
}

export interface KeyAgreementVector {
  readonly name: string;
  readonly initiator: IdentityInput;
  readonly responder: ResponderInput;
  readonly ephemeralPrivate: string;
  readonly kemRandomness?: string;
  readonly expected: {
    readonly initiatorIdentity: string;
    readonly responderIdentity: string;
    readonly responderIdentityBinding: string;
    readonly signedPreKeySignature: string;
    readonly kemPreKeySignature?: string;
    readonly baseKey: string;
    readonly kemCiphertext?: string;
    readonly sharedSecret: string;
  };
}

export type TranscriptStep =
  | {
      readonly op: 'send';
      readonly from: 'alice' | 'bob';
      readonly plaintext: string;
      readonly ciphertext: string;
    }
  | {
      readonly op: 'receive';
      readonly to: 'alice' | 'bob';
      /** Index into the list of sent messages. */
      readonly message: number;
      readonly plaintext?: string;
      readonly error?: string;
    };

export interface TranscriptVector {
  readonly name: string;
  readonly alice: IdentityInput & {
    /** X25519 private keys in the order the session asks for them (EK_A first). */
    readonly dhPrivates: readonly string[];
    readonly randomness: readonly string[];
  };
  readonly bob: ResponderInput & { readonly dhPrivates: readonly string[] };
  readonly now: number;
  readonly steps: readonly TranscriptStep[];
  readonly finalStateSha256: { readonly alice: string; readonly bob: string };
}

export interface SessionVectorFile {
  readonly source: string;
  readonly keyAgreement: readonly KeyAgreementVector[];
  readonly transcripts: readonly TranscriptVector[];
}

// ---------------------------------------------------------------------------
// Building keys from the inputs

interface Responder {
  readonly identity: IdentityKeyPair;
  readonly preKeys: PreKeyPair[];
  readonly bundle: Parameters<typeof initiateKeyAgreement>[2];
}

function identityOf(input: IdentityInput): Promise<IdentityKeyPair> {
  return identityKeyPairFromPrivate(
    fromHex(input.identityDhPrivate),
    fromHex(input.identitySigningSeed),
  );
}

async function responderOf(input: ResponderInput): Promise<Responder> {
  const identity = await identityOf(input);
  const spk = await generateSignedPreKey(identity, input.signedPreKeyId, CREATED_AT, () =>
    dhKeyPairFromPrivate(fromHex(input.signedPreKeyPrivate)),
  );
  const preKeys: PreKeyPair[] = [spk];
  let opk: OneTimePreKeyPair | undefined;
  if (input.oneTimePreKeyId !== undefined && input.oneTimePreKeyPrivate !== undefined) {
    opk = {
      kind: PreKeyKind.ONE_TIME,
      id: input.oneTimePreKeyId,
      keyPair: await dhKeyPairFromPrivate(fromHex(input.oneTimePreKeyPrivate)),
    };
    preKeys.push(opk);
  }
  let kpk: Awaited<ReturnType<typeof generateKemPreKey>> | undefined;
  if (input.kemPreKeyId !== undefined && input.kemSeed !== undefined) {
    kpk = await generateKemPreKey(
      identity,
      input.kemPreKeyId,
      CREATED_AT,
      queuedRandom([fromHex(input.kemSeed)]),
    );
    preKeys.push(kpk);
  }
  return {
    identity,
    preKeys,
    bundle: {
      identity: publicIdentity(identity),
      signedPreKey: signedPreKeyPublic(spk),
      ...(opk === undefined ? {} : { oneTimePreKey: oneTimePreKeyPublic(opk) }),
      ...(kpk === undefined ? {} : { kemPreKey: kemPreKeyPublic(kpk) }),
    },
  };
}

// ---------------------------------------------------------------------------
// Computing the outputs

/** Runs both sides of one key agreement; throws if they disagree. */
export async function computeKeyAgreement(
  v: Omit<KeyAgreementVector, 'expected'>,
): Promise<KeyAgreementVector['expected']> {
  const initiator = await identityOf(v.initiator);
  const responder = await responderOf(v.responder);
  const sent = await initiateKeyAgreement(
    {
      random: queuedRandom(v.kemRandomness === undefined ? [] : [fromHex(v.kemRandomness)]),
      generateDhKeyPair: queuedDhKeyPairs([fromHex(v.ephemeralPrivate)]),
    },
    initiator,
    responder.bundle,
  );
  const received = await respondKeyAgreement(
    responder.identity,
    memoryPreKeyLookup(responder.preKeys),
    {
      identity: publicIdentity(initiator),
      ...sent.preKey,
    },
  );
  if (toHex(received.sharedSecret) !== toHex(sent.sharedSecret)) {
    throw new Error(`${v.name}: initiator and responder derived different secrets`);
  }
  const b = responder.bundle;
  return {
    initiatorIdentity: toHex(encodeIdentity(publicIdentity(initiator))),
    responderIdentity: toHex(encodeIdentity(b.identity)),
    responderIdentityBinding: toHex(b.identity.binding),
    signedPreKeySignature: toHex(b.signedPreKey.signature),
    ...(b.kemPreKey === undefined ? {} : { kemPreKeySignature: toHex(b.kemPreKey.signature) }),
    baseKey: toHex(sent.preKey.baseKey),
    ...(sent.preKey.kemCiphertext === undefined
      ? {}
      : { kemCiphertext: toHex(sent.preKey.kemCiphertext) }),
    sharedSecret: toHex(sent.sharedSecret),
  };
}

export type TranscriptScript = readonly (
  | { readonly op: 'send'; readonly from: 'alice' | 'bob'; readonly plaintext: string }
  | { readonly op: 'receive'; readonly to: 'alice' | 'bob'; readonly message: number }
)[];

/**
 * Plays a script between Alice and Bob with the given keys and returns the
 * steps with their outputs and the final state hashes. Errors of a receive
 * step are recorded (by code), not thrown.
 */
export async function playTranscript(
  v: Omit<TranscriptVector, 'steps' | 'finalStateSha256'>,
  script: TranscriptScript,
): Promise<
  Pick<TranscriptVector, 'steps' | 'finalStateSha256'> & {
    readonly dhKeysUsed: { alice: number; bob: number };
  }
> {
  const aliceIdentity = await identityOf(v.alice);
  const bob = await responderOf(v.bob);
  const generators = {
    alice: queuedDhKeyPairs(v.alice.dhPrivates.map(fromHex)),
    bob: queuedDhKeyPairs(v.bob.dhPrivates.map(fromHex)),
  };
  const deps: Record<'alice' | 'bob', SessionDeps> = {
    alice: {
      random: queuedRandom(v.alice.randomness.map(fromHex)),
      now: () => v.now,
      generateDhKeyPair: generators.alice,
    },
    bob: { random: queuedRandom([]), now: () => v.now, generateDhKeyPair: generators.bob },
  };
  const sessions: Record<'alice' | 'bob', Session | undefined> = {
    alice: await createOutgoingSession(deps.alice, aliceIdentity, bob.bundle),
    bob: undefined,
  };
  const lookup = memoryPreKeyLookup(bob.preKeys);
  const sent: Bytes[] = [];
  const steps: TranscriptStep[] = [];
  for (const step of script) {
    if (step.op === 'send') {
      const session = sessions[step.from];
      if (session === undefined)
        throw new Error(`${v.name}: ${step.from} has no session to send with`);
      const r = await encryptMessage(deps[step.from], session, fromHex(step.plaintext));
      sessions[step.from] = r.session;
      sent.push(r.ciphertext);
      steps.push({ ...step, ciphertext: toHex(r.ciphertext) });
      continue;
    }
    const message = sent[step.message];
    if (message === undefined) throw new Error(`${v.name}: no message ${step.message}`);
    try {
      const session = sessions[step.to];
      const r =
        session === undefined
          ? await acceptIncomingSession(deps[step.to], bob.identity, lookup, message)
          : await decryptMessage(deps[step.to], session, message);
      sessions[step.to] = r.session;
      steps.push({ ...step, plaintext: toHex(r.plaintext) });
    } catch (e) {
      if (!isParleyError(e)) throw e;
      steps.push({ ...step, error: e.code });
    }
  }
  const stateHash = async (s: Session | undefined) =>
    s === undefined ? '' : toHex(sha256Digest(await serializeSession(s)));
  return {
    steps,
    finalStateSha256: {
      alice: await stateHash(sessions.alice),
      bob: await stateHash(sessions.bob),
    },
    dhKeysUsed: { alice: generators.alice.used, bob: generators.bob.used },
  };
}

// ---------------------------------------------------------------------------
// Checking a vector file

function diff(prefix: string, expected: unknown, actual: unknown, out: string[]): void {
  const e = JSON.stringify(expected);
  const a = JSON.stringify(actual);
  if (e !== a) out.push(`${prefix}: expected ${e.slice(0, 200)}, got ${a.slice(0, 200)}`);
}

/** Recomputes every vector; returns one line per disagreement (empty when all match). */
export async function checkSessionVectors(file: SessionVectorFile): Promise<string[]> {
  const failures: string[] = [];
  if (file.keyAgreement.length === 0 || file.transcripts.length === 0)
    failures.push('vector file is empty');
  for (const v of file.keyAgreement) {
    try {
      const actual = await computeKeyAgreement(v);
      for (const key of Object.keys({ ...v.expected, ...actual }) as (keyof typeof actual)[]) {
        diff(`${v.name}.${key}`, v.expected[key], actual[key], failures);
      }
    } catch (e) {
      failures.push(`${v.name}: threw ${String(e)}`);
    }
  }
  for (const t of file.transcripts) {
    try {
      const script: TranscriptScript = t.steps.map((s) =>
        s.op === 'send'
          ? { op: s.op, from: s.from, plaintext: s.plaintext }
          : { op: s.op, to: s.to, message: s.message },
      );
      const actual = await playTranscript(t, script);
      for (const [i, s] of t.steps.entries())
        diff(`${t.name}.steps[${i}]`, s, actual.steps[i], failures);
      diff(`${t.name}.finalStateSha256`, t.finalStateSha256, actual.finalStateSha256, failures);
      diff(
        `${t.name}.dhKeysUsed`,
        { alice: t.alice.dhPrivates.length, bob: t.bob.dhPrivates.length },
        actual.dhKeysUsed,
        failures,
      );
    } catch (e) {
      failures.push(`${t.name}: threw ${String(e)}`);
    }
  }
  return failures;
}
