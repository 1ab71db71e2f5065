/**
 * What the composer and the message list decide about a file, without I/O:
 * whether it may be sent (size limit, blocked types), how it is shown
 * (image inline, voice note player, file card) and how its size reads.
 * docs/extension.md "Attachments" explains the blocklist decision.
 *
 * Runs in: extension pages and Node (tests).
 */
import { ATTACHMENT_FILE_MAX_BYTES } from '../../../shared/wire/limits.ts';

/**
 * The largest file Parley offers to send: 100 MiB, whose padded blob a relay
 * at its default limit accepts (a relay configured lower refuses it with
 * ATTACHMENT_TOO_LARGE and its limit, which the tray shows).
 */
export const FILE_MAX_BYTES = ATTACHMENT_FILE_MAX_BYTES;

/**
 * Refused in both directions: types that run when double-clicked without
 * looking like a program (scripts, shortcuts, screensavers, registry files).
 * Nobody shares them on purpose in a chat and they are a classic lure.
 */
const BLOCKED_EXTENSIONS = new Set([
  'bat',
  'cmd',
  'com',
  'cpl',
  'hta',
  'jse',
  'lnk',
  'pif',
  'ps1',
  'reg',
  'scf',
  'scr',
  'vbe',
  'vbs',
  'ws',
  'wsc',
  'wsf',
  'wsh',
]);

/** Allowed, with a warning on the card: programs and installers people do share. */
const PROGRAM_EXTENSIONS = new Set([
  'apk',
  'app',
  'appimage',
  'deb',
  'dmg',
  'exe',
  'jar',
  'msi',
  'pkg',
  'rpm',
  'sh',
  'js',
]);

/** Shown inline (the browser decodes them itself; SVG is a file: it can carry script). */
const INLINE_IMAGES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif']);

export type FileKind = 'image' | 'voice' | 'audio' | 'video' | 'file';

export type FileProblem =
  | { readonly code: 'too-large'; readonly message: string }
  | { readonly code: 'blocked'; readonly message: string }
  | { readonly code: 'empty'; readonly message: string };

export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot + 1).toLowerCase();
}

export function isBlocked(name: string): boolean {
  return BLOCKED_EXTENSIONS.has(extensionOf(name));
}

export function isProgram(name: string): boolean {
  return PROGRAM_EXTENSIONS.has(extensionOf(name));
}

/** Why a file cannot be sent, or null. */
export function problemOf(file: {
  readonly name: string;
  readonly size: number;
}): FileProblem | null {
  if (file.size === 0) return { code: 'empty', message: `${file.name} is empty.` };
  if (file.size > FILE_MAX_BYTES) {
    return {
      code: 'too-large',
      message: `${file.name} is ${formatBytes(file.size)}; files can be at most ${formatBytes(FILE_MAX_BYTES)}.`,
    };
  }
  if (isBlocked(file.name)) {
    return {
      code: 'blocked',
      message: `${file.name} is a .${extensionOf(file.name)} file, a type Parley does not send because it runs when opened.`,
    };
  }
  return null;
}

export function kindOf(file: { readonly mime: string; readonly voice?: boolean }): FileKind {
  if (file.voice === true) return 'voice';
  if (INLINE_IMAGES.has(file.mime)) return 'image';
  if (file.mime.startsWith('audio/')) return 'audio';
  if (file.mime.startsWith('video/')) return 'video';
  return 'file';
}

/** 1023 B, 1.5 KB, 12 MB, 1.2 GB (powers of 1024, as file managers show them). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = value < 10 ? value.toFixed(1).replace(/\.0$/, '') : Math.round(value).toString();
  return `${shown} ${units[unit]}`;
}

/** 0:07, 1:05, 12:00 */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** A percentage for a progress bar, 0..100 (0 for an unknown total). */
export function percent(done: number, total: number): number {
  if (total <= 0) return 0;
  return Math.min(100, Math.max(0, Math.round((done / total) * 100)));
}

/** The short label of a file's type on its card (PDF, ZIP, MP4). */
export function typeLabel(name: string, mime: string): string {
  const ext = extensionOf(name);
  if (ext !== '' && ext.length <= 5) return ext.toUpperCase();
  const sub = mime.split('/')[1] ?? '';
  return sub === '' ? 'FILE' : sub.slice(0, 5).toUpperCase();
}
