import { describe, expect, it } from 'vitest';
import { linkify, safeHref } from './linkify.ts';

const links = (text: string) =>
  linkify(text)
    .filter((p) => p.kind === 'link')
    .map((p) => (p.kind === 'link' ? [p.text, p.href] : []));

describe('linkify', () => {
  it('keeps plain text as one text part', () => {
    expect(linkify('hello there')).toEqual([{ kind: 'text', text: 'hello there' }]);
    expect(linkify('')).toEqual([]);
  });

  it('splits text around an address, keeping every character', () => {
    const text = 'see https://example.org/a?b=1#c now';
    const parts = linkify(text);
    expect(parts).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.org/a?b=1#c', href: 'https://example.org/a?b=1#c' },
      { kind: 'text', text: ' now' },
    ]);
    expect(parts.map((p) => p.text).join('')).toBe(text);
  });

  it('leaves trailing sentence punctuation outside the link', () => {
    expect(links('Go to https://example.org.')).toEqual([
      ['https://example.org', 'https://example.org/'],
    ]);
    expect(links('https://example.org/x, then https://example.com/y!?')).toEqual([
      ['https://example.org/x', 'https://example.org/x'],
      ['https://example.com/y', 'https://example.com/y'],
    ]);
    expect(links('"https://example.org/q"')).toEqual([
      ['https://example.org/q', 'https://example.org/q'],
    ]);
  });

  it('keeps balanced parentheses and drops an unbalanced closing one', () => {
    expect(links('(see https://en.wikipedia.org/wiki/Foo_(bar))')).toEqual([
      ['https://en.wikipedia.org/wiki/Foo_(bar)', 'https://en.wikipedia.org/wiki/Foo_(bar)'],
    ]);
    expect(links('(https://example.org/x).')).toEqual([
      ['https://example.org/x', 'https://example.org/x'],
    ]);
  });

  it('links http, https, mailto and bare www addresses', () => {
    expect(links('http://a.example mailto:bob@example.org www.example.org/p')).toEqual([
      ['http://a.example', 'http://a.example/'],
      ['mailto:bob@example.org', 'mailto:bob@example.org'],
      ['www.example.org/p', 'https://www.example.org/p'],
    ]);
  });

  it('refuses other schemes and lookalikes', () => {
    expect(links('javascript:alert(1)')).toEqual([]);
    expect(links('JavaScript:alert(document.cookie)//https://x')).toEqual([]);
    expect(links('data:text/html,<script>alert(1)</script>')).toEqual([]);
    expect(links('xhttps://example.org file:///etc/passwd')).toEqual([]);
    expect(links('http:// nothing')).toEqual([]);
    expect(links('mailto:nobody')).toEqual([]);
  });

  it('does not let markup in the text become anything but text', () => {
    const parts = linkify('<img src=x onerror=alert(1)> https://example.org/<b>');
    expect(parts[0]).toEqual({ kind: 'text', text: '<img src=x onerror=alert(1)> ' });
    expect(parts[1]).toEqual({
      kind: 'link',
      text: 'https://example.org/',
      href: 'https://example.org/',
    });
    expect(parts[2]).toEqual({ kind: 'text', text: '<b>' });
  });
});

describe('safeHref', () => {
  it('answers only for safe, well-formed addresses', () => {
    expect(safeHref('https://example.org')).toBe('https://example.org/');
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref('vbscript:x')).toBeNull();
    expect(safeHref('https://')).toBeNull();
  });
});
