import { describe, expect, it } from 'vitest';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import { errorOf } from '../../shared/testing/errors.ts';
import { parseRequest } from '../entrypoints/background/requests/table.ts';
import { describeError, fromWireError, toWireError } from './errors.ts';

describe('describeError', () => {
  it('renders an invalid field from the code and its details, never from the message', () => {
    const e = new ParleyError(ErrorCode.BODY_INVALID, 'Invalid relayUrl: (logged text)', {
      type: 'checkRelay',
      path: 'relayUrl',
      reason: 'must use https (plain http only for 127.0.0.1 or localhost)',
    });
    expect(describeError(e)).toBe(
      'The relay address must use https (plain http only for 127.0.0.1 or localhost).',
    );
    expect(describeError(new ParleyError(ErrorCode.BODY_INVALID, 'Invalid passphrase: x'))).toBe(
      'That input is not valid.',
    );
  });

  it('says which rule a refused relay address broke, as the onboarding page shows it', () => {
    const refused = errorOf(() => parseRequest('checkRelay', { relayUrl: 'http://relay.example' }));
    expect(describeError(fromWireError(toWireError(refused)))).toBe(
      'The relay address must use https (plain http only for 127.0.0.1 or localhost).',
    );
  });

  it('says why a file cannot be sent or downloaded, with the relay’s own limit', () => {
    const tooLarge = new ParleyError(ErrorCode.ATTACHMENT_TOO_LARGE, 'x', {
      max: 25 * 1024 * 1024,
    });
    expect(describeError(fromWireError(toWireError(tooLarge)))).toBe(
      'That file is larger than this relay accepts (at most 25 MB).',
    );
    expect(describeError(new ParleyError(ErrorCode.ATTACHMENT_TOO_LARGE, 'x'))).toBe(
      'That file is larger than the relay accepts.',
    );
    expect(describeError(new ParleyError(ErrorCode.ATTACHMENT_EXPIRED, 'x'))).toBe(
      'This file has expired: the relay no longer has it.',
    );
    expect(describeError(new ParleyError(ErrorCode.ATTACHMENT_QUOTA, 'x'))).toMatch(
      /^You have sent as many files/,
    );
  });

  it('names the handle nobody has, from the details', () => {
    const e = new ParleyError(ErrorCode.HANDLE_NOT_FOUND, 'No user', { handle: 'nobody.here' });
    expect(describeError(e)).toBe('Nobody called @nobody.here is on this relay.');
  });

  it('renders what crossed from the worker the same way', () => {
    const sent = new ParleyError(ErrorCode.BODY_INVALID, 'Invalid handle: x', {
      path: 'handle',
      reason: 'must be a handle',
    });
    expect(describeError(fromWireError(toWireError(sent)))).toBe('The handle must be a handle.');
    expect(describeError(new Error('anything'))).toBe('Something went wrong. Try again.');
  });

  it('tells a mistyped recovery key, a wrong key and a damaged backup apart', () => {
    const typo = describeError(
      new ParleyError(ErrorCode.RECOVERY_KEY_INVALID, 'x', { reason: 'checksum' }),
    );
    const short = describeError(
      new ParleyError(ErrorCode.RECOVERY_KEY_INVALID, 'x', { reason: 'length' }),
    );
    const wrong = describeError(new ParleyError(ErrorCode.ARCHIVE_WRONG_KEY, 'x'));
    const damaged = describeError(new ParleyError(ErrorCode.ARCHIVE_DAMAGED, 'x'));
    const none = describeError(
      new ParleyError(ErrorCode.NOT_FOUND, 'x', { what: 'snapshot', seq: 0 }),
    );
    expect(typo).toMatch(/typo/);
    expect(short).toMatch(/56 letters/);
    expect(wrong).toMatch(/does not open this backup/);
    expect(damaged).toMatch(/damaged/);
    expect(none).toMatch(/no backup of this account for this recovery key/);
    expect(new Set([typo, short, wrong, damaged, none]).size).toBe(5);
  });

  it('tells the passkey restore failures apart: no wrap, one that does not open, no PRF, cancelled', () => {
    const lines = [
      describeError(new ParleyError(ErrorCode.RECOVERY_WRAP_NOT_FOUND, 'x')),
      describeError(
        new ParleyError(ErrorCode.RECOVERY_WRAP_INVALID, 'x', { reason: 'authentication' }),
      ),
      describeError(new ParleyError(ErrorCode.PASSKEY_PRF_UNSUPPORTED, 'x')),
      describeError(new ParleyError(ErrorCode.PASSKEY_CANCELLED, 'x')),
    ];
    expect(lines[0]).toMatch(/not set up to restore/);
    expect(lines[2]).toMatch(/cannot restore backups by itself/);
    expect(new Set(lines).size).toBe(4);
    expect(lines.every((l) => l !== 'Something went wrong. Try again.')).toBe(true);
  });
});
