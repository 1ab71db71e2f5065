import { describe, expect, it } from 'vitest';
import { checkSessionVectors, type SessionVectorFile } from './testing/session-vectors.ts';
import vectors from './vectors/session.json' with { type: 'json' };

const file = vectors as SessionVectorFile;

describe('frozen X3DH/PQXDH and Double Ratchet vectors (vectors/session.json)', () => {
  it('reproduce byte for byte: shared secrets, signatures, every ciphertext, final state', async () => {
    expect(file.keyAgreement.map((v) => v.name)).toEqual([
      'pqxdh-with-one-time-prekey',
      'pqxdh-without-one-time-prekey',
      'x3dh-with-one-time-prekey',
      'x3dh-without-one-time-prekey',
    ]);
    expect(await checkSessionVectors(file)).toEqual([]);
  });

  it('the check notices a single changed byte', async () => {
    const t = file.transcripts[0];
    if (t === undefined) throw new Error('no transcript');
    const steps = t.steps.map((s, i) =>
      i === 7 && s.op === 'send' ? { ...s, ciphertext: `${s.ciphertext.slice(0, -2)}00` } : s,
    );
    const tampered: SessionVectorFile = {
      ...file,
      keyAgreement: [],
      transcripts: [{ ...t, steps }],
    };
    const failures = await checkSessionVectors(tampered);
    expect(failures.some((f) => f.includes('steps[7]'))).toBe(true);
    const ka = file.keyAgreement[0];
    if (ka === undefined) throw new Error('no key agreement vector');
    const wrongSecret = { ...ka, expected: { ...ka.expected, sharedSecret: '00'.repeat(32) } };
    expect(
      await checkSessionVectors({ ...file, keyAgreement: [wrongSecret], transcripts: [] }),
    ).toContainEqual(expect.stringContaining('sharedSecret'));
  });
});
