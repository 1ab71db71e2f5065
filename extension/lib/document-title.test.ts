import { describe, expect, it } from 'vitest';
import { APP_NAME, pageTitle } from './document-title.ts';

describe('pageTitle', () => {
  it('names the conversation or page first', () => {
    expect(pageTitle({ about: 'bob' })).toBe('bob – Parley');
    expect(pageTitle({ about: 'Settings', unread: 4 })).toBe('Settings – Parley');
  });

  it('counts unread messages on the list, and says only the name without any', () => {
    expect(pageTitle({ unread: 3 })).toBe('(3) Parley');
    expect(pageTitle({ unread: 0 })).toBe(APP_NAME);
    expect(pageTitle({ about: '' })).toBe(APP_NAME);
  });
});
