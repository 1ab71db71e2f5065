import { describe, expect, it } from 'vitest';
import { PreauthAdmission } from './admission.ts';

describe('PreauthAdmission', () => {
  it('caps slots per IP and in total, and a released slot (once) can be taken again', () => {
    const admission = new PreauthAdmission(2, 3);
    const a1 = admission.admit('a');
    const a2 = admission.admit('a');
    expect(a1).toBeDefined();
    expect(a2).toBeDefined();
    expect(admission.admit('a')).toBeUndefined();
    const b1 = admission.admit('b');
    expect(b1).toBeDefined();
    expect(admission.admit('c')).toBeUndefined(); // total reached
    a1?.release();
    a1?.release(); // idempotent: frees one slot, not two
    expect(admission.size).toBe(2);
    expect(admission.admit('a')).toBeDefined();
    expect(admission.admit('a')).toBeUndefined();
    expect(admission.admit('c')).toBeUndefined();
  });
});
