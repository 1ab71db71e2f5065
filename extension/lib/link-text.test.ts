import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/errors.ts';
import { linkLine, offersCancel } from './link-text.ts';
import type { LinkState } from './protocol.ts';

const waiting: LinkState = { role: 'new', phase: 'waiting', strikes: 0, code: 'ABCD-EFGH-JKLM' };
const failed = (role: LinkState['role'], reason: string): LinkState => ({
  role,
  phase: 'failed',
  strikes: 0,
  failure: { code: ErrorCode.LINK_FAILED, reason },
});

describe('linkLine', () => {
  it('counts the tries left after wrong codes', () => {
    expect(linkLine(waiting)).toEqual({ text: 'Waiting for your other browser…', failed: false });
    expect(linkLine({ ...waiting, strikes: 1 }).text).toBe(
      'A wrong code was typed on the other browser: 2 tries left.',
    );
    expect(linkLine({ ...waiting, strikes: 2 }).text).toBe(
      'A wrong code was typed on the other browser: 1 try left.',
    );
  });

  it('says why a link failed, per side', () => {
    expect(linkLine(failed('new', 'strikes'))).toEqual({
      text: 'The code was typed wrong three times, so it no longer works. Get a new code.',
      failed: true,
    });
    expect(linkLine(failed('new', 'expired')).text).toBe('The code expired. Get a new code.');
    expect(linkLine(failed('existing', 'expired')).text).toMatch(/^No browser is waiting/);
    expect(linkLine(failed('existing', 'declined')).text).toBe('You declined. Nothing was sent.');
    expect(
      linkLine({ role: 'new', phase: 'failed', strikes: 0, failure: { code: 'INTERNAL' } }).text,
    ).toBe('Linking stopped because of an error. Try again.');
  });

  it('names the linked device when done on the approving side', () => {
    expect(
      linkLine({ role: 'existing', phase: 'done', strikes: 0, deviceName: 'Laptop' }).text,
    ).toBe('Done: Laptop is linked.');
  });

  it('says plainly when the new browser is linked without its history', () => {
    const done = (historyMissing?: 'expired' | 'interrupted' | 'failed') =>
      linkLine({
        role: 'new',
        phase: 'done',
        strikes: 0,
        ...(historyMissing === undefined ? {} : { historyMissing }),
      });
    expect(done().text).toBe('Done: this browser is linked.');
    expect(done('expired').text).toMatch(
      /^Done: this browser is linked\. Your message history could not be transferred: the relay keeps it for one hour only/,
    );
    expect(done('interrupted').text).toMatch(/the other browser stopped before sending it/);
    expect(done('failed').text).toMatch(/could not be transferred\. New messages arrive here/);
    expect(done('expired').failed).toBe(false);
  });

  it('shows how much history is in on the new browser', () => {
    expect(linkLine({ role: 'new', phase: 'history', strikes: 0 }).text).toBe('Receiving history…');
    expect(linkLine({ role: 'new', phase: 'history', strikes: 0, historyPercent: 42 }).text).toBe(
      'Receiving history… 42 %',
    );
  });

  it('path B: asks for the check code, counts wrong ones, says why it ended', () => {
    const check: LinkState = { role: 'new', phase: 'check', strikes: 0, checkMisses: 0 };
    expect(linkLine(check).text).toBe('Your other browser answered. Type the check code it shows.');
    expect(linkLine({ ...check, checkMisses: 1 }).text).toBe(
      'That check code does not match: 2 tries left.',
    );
    expect(linkLine({ ...check, checkMisses: 2 }).text).toBe(
      'That check code does not match: 1 try left.',
    );
    expect(linkLine({ ...check, phase: 'confirm' }).text).toBe(
      'The check code matches. Approve on your other browser.',
    );
    expect(linkLine(failed('new', 'check-code')).text).toBe(
      'The check code was typed wrong three times. Nothing was linked. Start again.',
    );
    const shown: LinkState = {
      role: 'existing',
      phase: 'starting',
      strikes: 0,
      checkCode: '123456',
    };
    expect(linkLine(shown).text).toBe('Waiting for the check code on the new browser…');
    expect(linkLine({ ...failed('existing', 'confirmation'), checkCode: '123456' }).text).toBe(
      'The check code was typed wrong on the new browser. Nothing was sent. Start again there.',
    );
  });

  it('offers Cancel only until the link was approved', () => {
    const at = (phase: LinkState['phase']) => offersCancel({ role: 'existing', phase, strikes: 0 });
    expect(['starting', 'waiting', 'check', 'confirm'].map((p) => at(p as never))).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(
      ['sending', 'registering', 'history', 'done', 'failed'].map((p) => at(p as never)),
    ).toEqual([false, false, false, false, false]);
  });
});
