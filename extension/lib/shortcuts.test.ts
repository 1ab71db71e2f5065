import { describe, expect, it } from 'vitest';
import { type KeyPress, type KeyTarget, shortcutOf } from './shortcuts.ts';

const press = (over: Partial<KeyPress>): KeyPress => ({
  key: '',
  code: '',
  altKey: false,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  isComposing: false,
  defaultPrevented: false,
  ...over,
});
const page: KeyTarget = { typing: false, picker: false };
const field: KeyTarget = { typing: true, picker: false };

describe('shortcutOf', () => {
  it('maps the documented keys', () => {
    expect(shortcutOf(press({ key: 'Escape' }), page)).toBe('back');
    expect(shortcutOf(press({ key: 'n', code: 'KeyN', altKey: true }), field)).toBe('newChat');
    // Alt+N types "˜" on a Mac: the code decides.
    expect(shortcutOf(press({ key: '˜', code: 'KeyN', altKey: true }), page)).toBe('newChat');
    expect(shortcutOf(press({ key: 'k', code: 'KeyK', ctrlKey: true }), field)).toBe('search');
    expect(shortcutOf(press({ key: '/', code: 'Slash' }), page)).toBe('search');
    expect(shortcutOf(press({ key: 'ArrowDown', altKey: true }), field)).toBe('nextChat');
    expect(shortcutOf(press({ key: 'ArrowUp', altKey: true }), page)).toBe('previousChat');
    expect(shortcutOf(press({ key: '?', shiftKey: true }), page)).toBe('help');
  });
  it('lets "/" and "?" type in text fields', () => {
    expect(shortcutOf(press({ key: '/' }), field)).toBeNull();
    expect(shortcutOf(press({ key: '?', shiftKey: true }), field)).toBeNull();
  });
  it('leaves keys a control already handled, an IME composition and a picker alone', () => {
    expect(shortcutOf(press({ key: 'Escape', defaultPrevented: true }), page)).toBeNull();
    expect(shortcutOf(press({ key: 'Escape', isComposing: true }), field)).toBeNull();
    expect(
      shortcutOf(press({ key: 'ArrowDown', altKey: true }), { typing: false, picker: true }),
    ).toBeNull();
  });
  it('does not take the browser’s keys', () => {
    expect(shortcutOf(press({ key: 'ArrowLeft', altKey: true }), page)).toBeNull();
    expect(
      shortcutOf(press({ key: 'k', code: 'KeyK', ctrlKey: true, shiftKey: true }), page),
    ).toBeNull();
    expect(shortcutOf(press({ key: 'n', code: 'KeyN', ctrlKey: true }), page)).toBeNull();
    expect(shortcutOf(press({ key: 'Escape', shiftKey: true }), page)).toBeNull();
  });
});
