/**
 * The archive's three outcomes (docs/protocol.md "Archive", "Errors"): a wrong
 * key, a damaged archive, an unsupported one. Messages never carry key
 * material or archive contents.
 */
import { ErrorCode, ParleyError } from '../errors.ts';

export function archiveDamaged(what: string): ParleyError {
  return new ParleyError(ErrorCode.ARCHIVE_DAMAGED, `Archive damaged: ${what}`);
}

export function archiveUnsupported(what: string): ParleyError {
  return new ParleyError(ErrorCode.ARCHIVE_UNSUPPORTED, `Archive unsupported: ${what}`);
}

export function archiveWrongKey(): ParleyError {
  return new ParleyError(ErrorCode.ARCHIVE_WRONG_KEY, 'Archive key check failed: wrong key');
}
