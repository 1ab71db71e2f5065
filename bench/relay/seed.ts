/**
 * Seeds a relay database with N accounts of one device each, directly (not
 * through the REST registration flow, whose passkey ceremonies would take
 * most of a 1000-client run).
 *
 * What is real: the account identity (X25519 + Ed25519 with its binding
 * signature; the load generator signs the socket's unlock proof with its
 * Ed25519 key), the device key (Ed25519; the load generator signs the socket
 * challenge with it and the relay verifies it as for any device) and the
 * device certificate signed by the identity. What is not: the signed and
 * ML-KEM prekeys are random bytes of the right sizes, since the benchmark
 * never fetches a prekey bundle. Migrations are applied by the relay's own
 * openDatabase, so the schema is exactly the relay's.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { openDatabase } from '../../edge/db/open.ts';
import { certifyDevice } from '../../shared/crypto/device-certificate.ts';
import { signingKeyPairFromPrivate } from '../../shared/crypto/ed25519.ts';
import { identityKeyPairFromPrivate } from '../../shared/crypto/identity.ts';

export interface SeededDevice {
  readonly userId: string;
  readonly deviceId: number;
  /** 32-byte Ed25519 seed, hex: the load generator imports it to answer challenges. */
  readonly seedHex: string;
  /** 32-byte seed of the account's identity Ed25519 key, hex: it signs the socket's `unlock`. */
  readonly identitySeedHex: string;
}

const KEM_PUBLIC_BYTES = 1184; // ML-KEM-768

async function makeDevice(index: number, now: number) {
  const identitySeed = randomBytes(32);
  const identity = await identityKeyPairFromPrivate(randomBytes(32), identitySeed, false);
  const seed = randomBytes(32);
  const deviceKey = await signingKeyPairFromPrivate(seed, false);
  const userId = randomUUID();
  const deviceId = 1 + (index % 1000);
  const certificate = await certifyDevice(identity, {
    userId,
    deviceId,
    deviceKey: deviceKey.publicKey,
    createdAt: now,
  });
  return {
    seeded: {
      userId,
      deviceId,
      seedHex: seed.toString('hex'),
      identitySeedHex: identitySeed.toString('hex'),
    },
    row: {
      userId,
      handle: `bench${index}`,
      identity: {
        dh: identity.dh.publicKey,
        sig: identity.signing.publicKey,
        binding: identity.binding,
      },
      deviceId,
      deviceKey: deviceKey.publicKey,
      certificate: certificate.signature,
    },
  };
}

/** Creates (migrates) the database at `path` and inserts `count` accounts with one device each. */
export async function seedDevices(path: string, count: number): Promise<SeededDevice[]> {
  const database = await openDatabase({ url: `file:${path}` });
  const now = Date.now();
  const out: SeededDevice[] = [];
  try {
    for (let start = 0; start < count; start += 500) {
      const made = await Promise.all(
        Array.from({ length: Math.min(500, count - start) }, (_, i) => makeDevice(start + i, now)),
      );
      const statements = made.flatMap(({ row }) => [
        {
          sql: `INSERT INTO accounts (id, handle, webauthn_user_id, identity_dh, identity_sig, identity_binding, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)`,
          args: [
            row.userId,
            row.handle,
            row.userId,
            row.identity.dh,
            row.identity.sig,
            row.identity.binding,
            now,
          ],
        },
        {
          sql: `INSERT INTO devices (account_id, device_id, device_key, certificate, certificate_created_at,
                  signed_prekey_id, signed_prekey, signed_prekey_sig, kem_prekey_id, kem_prekey, kem_prekey_sig, created_at)
                VALUES (?, ?, ?, ?, ?, 1, ?, ?, 1, ?, ?, ?)`,
          args: [
            row.userId,
            row.deviceId,
            row.deviceKey,
            row.certificate,
            now,
            randomBytes(32),
            randomBytes(64),
            randomBytes(KEM_PUBLIC_BYTES),
            randomBytes(64),
            now,
          ],
        },
      ]);
      await database.client.batch(statements, 'write');
      for (const m of made) out.push(m.seeded);
    }
    await database.client.execute('PRAGMA wal_checkpoint(TRUNCATE)');
  } finally {
    database.close();
  }
  return out;
}
