import { describe, expect, it } from 'vitest';
import { backOf, conversationEntry, LIST, neighbourOf, returnFocusOf } from './routes.ts';

describe('backOf', () => {
  it('leads from a chat and settings to the list, from contact and group pages to their chat', () => {
    expect(backOf(LIST)).toBeNull();
    expect(backOf({ name: 'chat', id: 'c1' })).toEqual(LIST);
    expect(backOf({ name: 'settings' })).toEqual(LIST);
    expect(backOf({ name: 'contact', id: 'c1' })).toEqual({ name: 'chat', id: 'c1' });
    expect(backOf({ name: 'group', id: 'g1' })).toEqual({ name: 'chat', id: 'g1' });
  });
});

describe('returnFocusOf', () => {
  it('returns to the list entry of the chat just left', () => {
    expect(returnFocusOf({ name: 'chat', id: 'c1' }, LIST)).toBe('[data-conversation-id="c1"]');
  });
  it('returns to the settings button and to the chat header details button', () => {
    expect(returnFocusOf({ name: 'settings' }, LIST)).toBe('[data-opens="settings"]');
    expect(returnFocusOf({ name: 'contact', id: 'c1' }, { name: 'chat', id: 'c1' })).toBe(
      '[data-opens="details"]',
    );
  });
  it('lets a view opened forward use its own landing spot', () => {
    expect(returnFocusOf(LIST, { name: 'chat', id: 'c1' })).toBeNull();
    expect(returnFocusOf(null, LIST)).toBeNull();
    expect(returnFocusOf({ name: 'contact', id: 'c1' }, { name: 'chat', id: 'c2' })).toBeNull();
  });
  it('quotes ids so a selector cannot be broken out of', () => {
    expect(conversationEntry('a"b\\c')).toBe('[data-conversation-id="a\\"b\\\\c"]');
  });
});

describe('neighbourOf', () => {
  const ids = ['a', 'b', 'c'];
  it('steps through list order and stops at the ends', () => {
    expect(neighbourOf(ids, 'b', 1)).toBe('c');
    expect(neighbourOf(ids, 'b', -1)).toBe('a');
    expect(neighbourOf(ids, 'c', 1)).toBeUndefined();
    expect(neighbourOf(ids, 'a', -1)).toBeUndefined();
  });
  it('starts at the first (next) or last (previous) when no chat is open', () => {
    expect(neighbourOf(ids, null, 1)).toBe('a');
    expect(neighbourOf(ids, null, -1)).toBe('c');
    expect(neighbourOf([], null, 1)).toBeUndefined();
  });
});
