/**
 * A sealed box: anonymous public-key encryption of small values to an X25519
 * key (used by the extension's locked inbox to keep frames that arrive while
 * the vault is locked). Each box has its own ephemeral key:
 *
 *   sealed = ephemeralPublic (32) || AES-256-GCM(k, nonce = 0, plaintext, aad = ephemeralPublic)
 *   k = HKDF-SHA-256(DH(ephemeral, recipient), salt = ephemeralPublic || recipientPublic, info)
 *
 * A fresh ephemeral key per box makes every k single-use, so the fixed nonce is
 * safe. Binding both public keys in the salt ties k to this recipient. The
 * format and `info` are stored on disk (locked inbox): frozen by
 * vectors/sealed-box.json.
 */
import { type Bytes, concat } from '../bytes.ts';
import { ErrorCode, fail } from '../errors.ts';
import { openSmall, sealSmall } from './aead.ts';
import { hkdf } from './kdf.ts';
import { Label } from './labels.ts';
import { type DhKeyPair, dh, generateDhKeyPair, X25519_KEY_BYTES } from './x25519.ts';

/** HKDF info of the locked inbox's boxes (stored data: never change it). */
export const LOCKED_INBOX_INFO = `${Label.VAULT}/locked-inbox`;
const ZERO_NONCE = new Uint8Array(12);
const GCM_TAG_BYTES = 16;

function boxKey(
  shared: Uint8Array,
  ephemeralPublic: Uint8Array,
  recipientPublic: Uint8Array,
  info: string,
): Bytes {
  return hkdf(shared, concat(ephemeralPublic, recipientPublic), info, 32);
}

/**
 * Seals `plaintext` to `recipientPublic`. `ephemeral` is for test vectors only:
 * reusing one breaks the single-use key the fixed nonce relies on.
 */
export async function seal(
  recipientPublic: Uint8Array,
  plaintext: Uint8Array,
  info: string,
  ephemeral?: DhKeyPair,
): Promise<Bytes> {
  const eph = ephemeral ?? (await generateDhKeyPair(false));
  const key = boxKey(
    await dh(eph.privateKey, recipientPublic),
    eph.publicKey,
    recipientPublic,
    info,
  );
  return concat(eph.publicKey, sealSmall(key, ZERO_NONCE, plaintext, eph.publicKey));
}

/** Opens a box sealed to `recipient`; DECRYPT_FAILED if it was not, or was changed. */
export async function open(recipient: DhKeyPair, sealed: Uint8Array, info: string): Promise<Bytes> {
  if (sealed.length < X25519_KEY_BYTES + GCM_TAG_BYTES)
    fail(ErrorCode.DECRYPT_FAILED, 'Cannot open sealed box: too short');
  const ephemeralPublic = sealed.subarray(0, X25519_KEY_BYTES);
  const key = boxKey(
    await dh(recipient.privateKey, ephemeralPublic),
    ephemeralPublic,
    recipient.publicKey,
    info,
  );
  return openSmall(key, ZERO_NONCE, sealed.subarray(X25519_KEY_BYTES), ephemeralPublic);
}
