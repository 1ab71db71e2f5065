/**
 * Finds web and mail addresses in message text so the page can show them as
 * links. Only http, https and mailto become links (a `javascript:` or `data:`
 * address stays text); the result is a list of parts the page turns into DOM
 * nodes itself, so no message text is ever parsed as HTML. Nothing is fetched
 * (no previews: docs/extension.md, "Reading and unread").
 *
 * Runs anywhere (pure).
 */

export type TextPart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'link'; readonly text: string; readonly href: string };

const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/** A scheme at a word start (`xhttps://` is not one), or a bare `www.` host. */
const CANDIDATE = /(?<![\w@.\-/])(?:https?:\/\/|mailto:|www\.)[^\s<>"]+/giu;

/** Sentence punctuation after an address belongs to the sentence, not the address. */
const TRAILING = /[.,;:!?'"\u2019\u201d*_~]+$/u;

/** Drops trailing punctuation and closing brackets that open nowhere inside the address. */
function trimAddress(raw: string): string {
  let s = raw;
  for (;;) {
    const before = s;
    s = s.replace(TRAILING, '');
    for (const [open, close] of [
      ['(', ')'],
      ['[', ']'],
      ['{', '}'],
    ] as const) {
      if (s.endsWith(close) && count(s, close) > count(s, open)) s = s.slice(0, -1);
    }
    if (s === before) return s;
  }
}

function count(s: string, ch: string): number {
  let n = 0;
  for (const c of s) if (c === ch) n++;
  return n;
}

/** The address a link opens, or null when it is not a safe, well-formed one. */
export function safeHref(address: string): string | null {
  const withScheme = /^www\./iu.test(address) ? `https://${address}` : address;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return null;
  }
  if (!SAFE_PROTOCOLS.has(url.protocol)) return null;
  if (url.protocol === 'mailto:') return url.pathname.includes('@') ? url.href : null;
  return url.hostname === '' ? null : url.href;
}

/** The text in order, with every safe address as a link part. */
export function linkify(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let at = 0;
  for (const match of text.matchAll(CANDIDATE)) {
    const start = match.index;
    const address = trimAddress(match[0]);
    const href = address === '' ? null : safeHref(address);
    if (href === null) continue;
    if (start > at) parts.push({ kind: 'text', text: text.slice(at, start) });
    parts.push({ kind: 'link', text: address, href });
    at = start + address.length;
  }
  if (at < text.length) parts.push({ kind: 'text', text: text.slice(at) });
  return parts;
}
