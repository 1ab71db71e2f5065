/** Backup-signed requests: what the signature binds, and the strict header parser. */
import { describe, expect, it } from 'vitest';
import { deriveBackupKeys } from '../backup/keys.ts';
import { toBase64Url } from '../bytes.ts';
import { ErrorCode, isParleyError } from '../errors.ts';
import {
  parseBackupAuthorization,
  signBackupRequest,
  verifyBackupRequest,
} from './backup-request.ts';

const body = new TextEncoder().encode('{"seq":1}');
const request = { method: 'POST', path: '/v1/backups/AAAAAAAAAAAAAAAAAAAAAA/snapshots', body };

function reasonOf(header: string): string {
  try {
    parseBackupAuthorization(header);
    return 'none';
  } catch (error) {
    if (!isParleyError(error, ErrorCode.AUTH_HEADER_INVALID)) throw error;
    return String(error.details?.reason);
  }
}

describe('backup request signatures', () => {
  it('verify for exactly the signed method, path, body, key and time', async () => {
    const { auth } = await deriveBackupKeys(new Uint8Array(32).fill(1), 'account');
    const other = await deriveBackupKeys(new Uint8Array(32).fill(2), 'account');
    const header = await signBackupRequest(auth, request, 1_700_000_000_000);
    const parsed = parseBackupAuthorization(header);
    expect(parsed.key).toEqual(auth.publicKey);
    expect(await verifyBackupRequest(parsed, request)).toBe(true);
    const changed = [
      { ...request, method: 'PUT' },
      { ...request, path: `${request.path}x` },
      { ...request, body: new TextEncoder().encode('{"seq":2}') },
    ];
    for (const r of changed) expect(await verifyBackupRequest(parsed, r)).toBe(false);
    expect(await verifyBackupRequest({ ...parsed, ts: parsed.ts + 1 }, request)).toBe(false);
    expect(await verifyBackupRequest({ ...parsed, key: other.auth.publicKey }, request)).toBe(
      false,
    );
  });

  it('parses strictly: scheme, each parameter once, canonical base64url, decimal ts', async () => {
    const { auth } = await deriveBackupKeys(new Uint8Array(32).fill(1), 'account');
    const good = await signBackupRequest(auth, request, 5);
    expect(reasonOf(good)).toBe('none');
    expect(reasonOf(good.replace('Parley-Backup', 'parley-backup'))).toBe('none');
    expect(reasonOf(good.replace('Parley-Backup', 'Parley-Device'))).toBe('scheme');
    expect(reasonOf(`${good}, ts=6`)).toBe('duplicate parameter');
    expect(reasonOf(`${good}, user=x`)).toBe('unknown parameter');
    expect(reasonOf(good.replace('ts=5', 'ts=05'))).toBe('ts');
    expect(reasonOf(good.replace(/key=[^,]+/, `key=${toBase64Url(new Uint8Array(31))}`))).toBe(
      'key',
    );
    expect(reasonOf(good.replace(/, sig=.*$/, ''))).toBe('sig');
    expect(reasonOf('')).toBe('missing');
  });
});
