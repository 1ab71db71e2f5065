/**
 * A device's prekey stock on the relay: its status and one-time counts, and
 * uploads (rotated signed and ML-KEM prekeys, more one-time prekeys of both
 * kinds) validated and capped before anything is written (docs/wire.md,
 * "Prekeys"). Part of the device service (devices.ts).
 */
import type { Bytes } from '../../shared/bytes.ts';
import {
  validateKemPreKey,
  validateOneTimeKemPreKeys,
  validateOneTimePreKey,
  validateSignedPreKey,
} from '../../shared/crypto/prekey-validation.ts';
import {
  type KemPreKeyPublic,
  type OneTimeKemPreKeyPublic,
  type OneTimePreKeyPublic,
  PreKeyKind,
  type SignedPreKeyPublic,
} from '../../shared/crypto/prekeys.ts';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import {
  ONE_TIME_KEM_PREKEYS_MAX_STORED,
  ONE_TIME_PREKEYS_MAX_STORED,
} from '../../shared/wire/limits.ts';
import type { PrekeyStatusResponse, PrekeyUpload } from '../../shared/wire/rest-devices.ts';
import type { KemPreKey, OneTimePreKey, SignedPreKey } from '../../shared/wire/rest-fields.ts';
import {
  addOneTimeKemPrekeys,
  addOneTimePrekeys,
  countOneTimeKemPrekeys,
  countOneTimePrekeys,
  findDevice,
  replaceSignedPrekey,
} from '../db/devices.ts';
import type { Db } from '../db/open.ts';

export interface PrekeyCounts {
  readonly oneTimePreKeys: number;
  readonly oneTimeKemPreKeys: number;
}

const signed = (k: SignedPreKey): SignedPreKeyPublic => ({ kind: PreKeyKind.SIGNED, ...k });
const kem = (k: KemPreKey): KemPreKeyPublic => ({ kind: PreKeyKind.KEM, ...k });
const oneTime = (k: OneTimePreKey): OneTimePreKeyPublic => ({ kind: PreKeyKind.ONE_TIME, ...k });
const oneTimeKem = (k: KemPreKey): OneTimeKemPreKeyPublic => ({
  kind: PreKeyKind.ONE_TIME_KEM,
  ...k,
});

function deviceNotFound(): ParleyError {
  return new ParleyError(ErrorCode.NOT_FOUND, 'No such device', { what: 'device' });
}

/** A stored count plus an upload must stay within the per-device cap (PREKEY_LIMIT). */
function checkPrekeyCap(current: number, adding: number, max: number, what: string): void {
  if (current + adding > max) {
    throw new ParleyError(ErrorCode.PREKEY_LIMIT, `At most ${max} ${what} per device`, {
      stored: current,
    });
  }
}

export async function prekeyStatus(
  db: Db,
  accountId: string,
  deviceId: number,
): Promise<PrekeyStatusResponse> {
  const row = await findDevice(db, accountId, deviceId);
  if (row === undefined) throw deviceNotFound();
  const [oneTimePreKeys, oneTimeKemPreKeys] = await Promise.all([
    countOneTimePrekeys(db, accountId, deviceId),
    countOneTimeKemPrekeys(db, accountId, deviceId),
  ]);
  return {
    oneTimePreKeys,
    signedPreKeyId: row.signedPrekeyId,
    kemPreKeyId: row.kemPrekeyId,
    oneTimeKemPreKeys,
  };
}

/** One-time prekeys of both kinds still held for a device (the `ready` frame reports them). */
export async function prekeyCounts(
  db: Db,
  accountId: string,
  deviceId: number,
): Promise<PrekeyCounts> {
  const [oneTimePreKeys, oneTimeKemPreKeys] = await Promise.all([
    countOneTimePrekeys(db, accountId, deviceId),
    countOneTimeKemPrekeys(db, accountId, deviceId),
  ]);
  return { oneTimePreKeys, oneTimeKemPreKeys };
}

/**
 * Rotates the signed and/or ML-KEM prekey and adds one-time prekeys and
 * one-time ML-KEM prekeys. Every part is validated (signatures against the
 * account identity `identitySig`; a last-resort key is refused as one-time,
 * KEY_TYPE or SIGNATURE_INVALID) and the storage caps checked before
 * anything is written.
 */
export async function uploadPrekeys(
  db: Db,
  accountId: string,
  deviceId: number,
  identitySig: Bytes,
  upload: PrekeyUpload,
): Promise<PrekeyStatusResponse> {
  if (upload.signedPreKey !== undefined)
    await validateSignedPreKey(identitySig, signed(upload.signedPreKey));
  if (upload.kemPreKey !== undefined) await validateKemPreKey(identitySig, kem(upload.kemPreKey));
  const more = upload.oneTimePreKeys ?? [];
  for (const [i, k] of more.entries()) validateOneTimePreKey(oneTime(k), `oneTimePreKeys[${i}]`);
  const moreKem = upload.oneTimeKemPreKeys ?? [];
  if (moreKem.length > 0) await validateOneTimeKemPreKeys(identitySig, moreKem.map(oneTimeKem));
  const [current, currentKem] = await Promise.all([
    countOneTimePrekeys(db, accountId, deviceId),
    countOneTimeKemPrekeys(db, accountId, deviceId),
  ]);
  checkPrekeyCap(current, more.length, ONE_TIME_PREKEYS_MAX_STORED, 'one-time prekeys');
  checkPrekeyCap(
    currentKem,
    moreKem.length,
    ONE_TIME_KEM_PREKEYS_MAX_STORED,
    'one-time ML-KEM prekeys',
  );
  if (!(await replaceSignedPrekey(db, accountId, deviceId, upload.signedPreKey, upload.kemPreKey)))
    throw deviceNotFound();
  await addOneTimePrekeys(db, accountId, deviceId, more);
  await addOneTimeKemPrekeys(db, accountId, deviceId, moreKem);
  return prekeyStatus(db, accountId, deviceId);
}
