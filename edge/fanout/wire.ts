/**
 * Messages between relay instances on Redis channels: JSON text (Upstash's
 * subscribe stream carries text only), one array of notes per message so a
 * whole group commit's signals for one instance travel in one publish.
 * Frames (transient deliveries) are base64. Decoding checks every field and
 * drops what it does not understand: a channel is shared infrastructure, not
 * a trusted peer.
 */
import { fromBase64Url, toBase64Url } from '../../shared/bytes.ts';

export type Note =
  /** Rows were queued for `device`: read the queue. */
  | { readonly t: 'q'; readonly device: string; readonly seq: number }
  /** A transient frame for `device`, delivered only if it is connected. */
  | { readonly t: 'x'; readonly device: string; readonly frame: Uint8Array }
  /** `device` was removed: close its socket. */
  | { readonly t: 'r'; readonly device: string }
  /** Connection `previous` no longer holds `device`: `holder` does. */
  | {
      readonly t: 'p';
      readonly device: string;
      readonly previous: string;
      readonly holder: string;
    }
  /** The device list of `account` changed: drop cached lists. */
  | { readonly t: 'd'; readonly account: string }
  /** Liveness probe an instance sends to itself. */
  | { readonly t: 'h'; readonly n: number };

type Raw = readonly unknown[];

function noteArray(note: Note): Raw {
  switch (note.t) {
    case 'q':
      return ['q', note.device, note.seq];
    case 'x':
      return ['x', note.device, toBase64Url(note.frame)];
    case 'r':
      return ['r', note.device];
    case 'p':
      return ['p', note.device, note.previous, note.holder];
    case 'd':
      return ['d', note.account];
    case 'h':
      return ['h', note.n];
  }
}

export function encodeNotes(notes: readonly Note[]): string {
  return JSON.stringify(notes.map(noteArray));
}

/** One note as JSON text; `[a,b,...]` of these is a valid message (the routing script joins them). */
export function encodeNote(note: Note): string {
  return JSON.stringify(noteArray(note));
}

const isText = (v: unknown): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= 200;
const isCount = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function decodeNote(raw: unknown): Note | undefined {
  if (!Array.isArray(raw)) return undefined;
  const [t, a, b, c] = raw as unknown[];
  switch (t) {
    case 'q':
      return isText(a) && isCount(b) ? { t, device: a, seq: b } : undefined;
    case 'x':
      if (!isText(a) || typeof b !== 'string') return undefined;
      try {
        return { t, device: a, frame: fromBase64Url(b) };
      } catch {
        return undefined;
      }
    case 'r':
      return isText(a) ? { t, device: a } : undefined;
    case 'p':
      return isText(a) && isText(b) && isText(c)
        ? { t, device: a, previous: b, holder: c }
        : undefined;
    case 'd':
      return isText(a) ? { t, account: a } : undefined;
    case 'h':
      return isCount(a) ? { t, n: a } : undefined;
    default:
      return undefined;
  }
}

/** Parses a channel message; malformed notes (or a malformed message) yield nothing. */
export function decodeNotes(text: string): Note[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const out: Note[] = [];
  for (const raw of parsed) {
    const note = decodeNote(raw);
    if (note !== undefined) out.push(note);
  }
  return out;
}
