import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeNotes, encodeNote, encodeNotes, type Note } from './wire.ts';

describe('fan-out channel messages', () => {
  it('round-trip every kind of note, binary frames included (as base64 text)', () => {
    const notes: Note[] = [
      { t: 'q', device: 'u/1', seq: 42 },
      { t: 'x', device: 'u/2', frame: new Uint8Array([0, 1, 254, 255]) },
      { t: 'r', device: 'u/3' },
      { t: 'p', device: 'u/4', previous: 'c1', holder: 'c2' },
      { t: 'd', account: 'u' },
      { t: 'h', n: 7 },
    ];
    const text = encodeNotes(notes);
    expect(text).not.toMatch(/[\n\r]/); // one SSE data line
    expect(decodeNotes(text)).toEqual(notes);
    // The routing script joins single notes into one message the same way.
    expect(`[${notes.map(encodeNote).join(',')}]`).toBe(text);
  });

  it('drops malformed messages and notes instead of throwing', () => {
    expect(decodeNotes('not json')).toEqual([]);
    expect(decodeNotes('{"t":"q"}')).toEqual([]);
    expect(decodeNotes('[["q","u/1",-1],["q","",1],["zz"],["x","u/1",5],["q","u/1",3]]')).toEqual([
      { t: 'q', device: 'u/1', seq: 3 },
    ]);
    fc.assert(
      fc.property(fc.json(), (json) => {
        expect(Array.isArray(decodeNotes(json))).toBe(true);
      }),
    );
  });
});
