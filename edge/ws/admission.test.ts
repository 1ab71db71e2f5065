import { describe, expect, it } from 'vitest';
import { admissionKey, PreauthAdmission } from './admission.ts';

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

describe('admissionKey', () => {
  it('keys IPv4 by address and IPv6 by its /64', () => {
    expect(admissionKey('203.0.113.9')).toBe('203.0.113.9');
    expect(admissionKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(admissionKey('2001:db8:0:1:aaaa::1')).toBe('2001:db8:0:1::/64');
    expect(admissionKey('2001:0db8:0000:0001:bbbb:cccc:dddd:eeee')).toBe('2001:db8:0:1::/64');
    expect(admissionKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(admissionKey('::1')).toBe('0:0:0:0::/64');
  });

  it('counts two addresses of one /64 against the same cap', () => {
    const admission = new PreauthAdmission(1, 10);
    expect(admission.admit('2001:db8:0:1::1')).toBeDefined();
    expect(admission.admit('2001:db8:0:1::2')).toBeUndefined();
    expect(admission.admit('2001:db8:0:2::1')).toBeDefined();
  });
});
