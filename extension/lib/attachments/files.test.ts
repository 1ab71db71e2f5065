import { describe, expect, it } from 'vitest';
import {
  FILE_MAX_BYTES,
  formatBytes,
  formatDuration,
  isProgram,
  kindOf,
  percent,
  problemOf,
  typeLabel,
} from './files.ts';

describe('attachment files', () => {
  it('refuse empty, too large and blocked files with a sentence naming the file', () => {
    expect(problemOf({ name: 'a.txt', size: 0 })?.code).toBe('empty');
    const big = problemOf({ name: 'film.mkv', size: FILE_MAX_BYTES + 1 });
    expect(big?.code).toBe('too-large');
    expect(big?.message).toContain('at most 100 MB');
    expect(problemOf({ name: 'invoice.PDF.scr', size: 10 })?.code).toBe('blocked');
    expect(problemOf({ name: 'run.vbs', size: 10 })?.message).toContain('.vbs');
    expect(problemOf({ name: 'setup.exe', size: 10 })).toBeNull();
    expect(isProgram('setup.exe')).toBe(true);
    expect(problemOf({ name: 'photo.jpg', size: FILE_MAX_BYTES })).toBeNull();
  });

  it('show images inline (never SVG), voice notes as players, the rest as cards', () => {
    expect(kindOf({ mime: 'image/gif' })).toBe('image');
    expect(kindOf({ mime: 'image/svg+xml' })).toBe('file');
    expect(kindOf({ mime: 'audio/webm', voice: true })).toBe('voice');
    expect(kindOf({ mime: 'audio/mpeg' })).toBe('audio');
    expect(kindOf({ mime: 'application/pdf' })).toBe('file');
  });

  it('format sizes, durations, progress and type labels', () => {
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5 MB');
    expect(formatBytes(100 * 1024 * 1024)).toBe('100 MB');
    expect(formatDuration(7_400)).toBe('0:07');
    expect(formatDuration(65_000)).toBe('1:05');
    expect(percent(1, 3)).toBe(33);
    expect(percent(5, 0)).toBe(0);
    expect(typeLabel('report.pdf', 'application/pdf')).toBe('PDF');
    expect(typeLabel('README', 'text/plain')).toBe('PLAIN');
  });
});
