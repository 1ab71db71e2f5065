import { describe, expect, it } from 'vitest';
import { equalBytes, toHex, utf8 } from '../../../shared/bytes.ts';
import { systemRandom } from '../../../shared/crypto/random.ts';
import { ParleyError } from '../../../shared/errors.ts';
import { errorOf } from '../../../shared/testing/errors.ts';
import type { VaultState } from '../../lib/protocol.ts';
import { memorySession } from '../../testing/fakes.ts';
import { parseHeader, Vault, type VaultHeader } from './vault.ts';
import type { Argon2Params } from './vault-crypto.ts';
import { SESSION_VAULT_KEY, sessionVaultStore } from './vault-session.ts';

// Cheap Argon2 for unit tests; the real cost is measured in the E2E test.
const FAST: Argon2Params = { memoryKiB: 64, iterations: 1, parallelism: 1 };

function memoryHeaders() {
  let stored: unknown;
  return {
    load: async () => stored,
    save: async (h: VaultHeader) => {
      stored = h;
    },
    clear: async () => {
      stored = undefined;
    },
    peek: () => stored as VaultHeader | undefined,
    poke: (h: unknown) => {
      stored = h;
    },
  };
}

function newVault(headers = memoryHeaders()) {
  const states: VaultState[] = [];
  const vault = new Vault({
    headers,
    random: systemRandom,
    now: () => 1_700_000_000_000,
    argon2: FAST,
  });
  vault.onChange((s) => states.push(s));
  return { vault, headers, states };
}

const credentialId = 'Y3JlZGVudGlhbC1pZC0wMQ';

async function encryptProbe(key: CryptoKey): Promise<Uint8Array> {
  const iv = new Uint8Array(12);
  return new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, utf8('probe')));
}

describe('Vault with a passkey PRF output', () => {
  it('creates unlocked, locks, and unlocks to the same key', async () => {
    const { vault, states } = newVault();
    const prfOutput = systemRandom(32);
    expect(await vault.state()).toBe('none');
    await vault.create({ method: 'prf', credentialId, prfSalt: systemRandom(32), prfOutput });
    expect(await vault.state()).toBe('unlocked');
    const before = await encryptProbe(vault.key());

    vault.lock();
    expect(await vault.state()).toBe('locked');
    expect((await errorOf(() => vault.key())).code).toBe('VAULT_LOCKED');

    await vault.unlock({ method: 'prf', credentialId, prfOutput });
    expect(equalBytes(await encryptProbe(vault.key()), before)).toBe(true);
    expect(states).toEqual(['unlocked', 'locked', 'unlocked']);
  });

  it('keeps the vault key non-extractable', async () => {
    const { vault } = newVault();
    await vault.create({
      method: 'prf',
      credentialId,
      prfSalt: systemRandom(32),
      prfOutput: systemRandom(32),
    });
    expect(vault.key().extractable).toBe(false);
    await expect(crypto.subtle.exportKey('raw', vault.key())).rejects.toThrow();
  });

  it('refuses a wrong PRF output, another credential, or the passphrase method, and stays locked', async () => {
    const { vault } = newVault();
    const prfOutput = systemRandom(32);
    await vault.create({ method: 'prf', credentialId, prfSalt: systemRandom(32), prfOutput });
    vault.lock();
    expect(
      (
        await errorOf(() =>
          vault.unlock({ method: 'prf', credentialId, prfOutput: systemRandom(32) }),
        )
      ).code,
    ).toBe('VAULT_WRONG_SECRET');
    expect(
      (
        await errorOf(() =>
          vault.unlock({ method: 'prf', credentialId: 'b3RoZXItY3JlZGVudGlhbA', prfOutput }),
        )
      ).code,
    ).toBe('VAULT_WRONG_SECRET');
    expect(
      (await errorOf(() => vault.unlock({ method: 'passphrase', passphrase: 'whatever it is' })))
        .code,
    ).toBe('VAULT_METHOD_MISMATCH');
    expect(await vault.state()).toBe('locked');
  });

  it('stores only public values in the header (no PRF output, no key bytes in the clear)', async () => {
    const { vault, headers } = newVault();
    const prfOutput = systemRandom(32);
    const prfSalt = systemRandom(32);
    await vault.create({ method: 'prf', credentialId, prfSalt, prfOutput });
    const header = headers.peek();
    const wrapper = header?.wrappers[0];
    expect(wrapper?.kind).toBe('prf');
    expect(wrapper?.wrappedKey.length).toBe(48);
    expect(
      JSON.stringify(header, (_k, v) => (v instanceof Uint8Array ? toHex(v) : v)),
    ).not.toContain(toHex(prfOutput));
    expect(await vault.unlockOptions('ext-id')).toEqual({
      methods: ['prf'],
      prf: { rpId: 'ext-id', credentialIds: [credentialId], salt: expect.any(String) },
    });
  });

  it('rejects a tampered wrapped key', async () => {
    const { vault, headers } = newVault();
    const prfOutput = systemRandom(32);
    await vault.create({ method: 'prf', credentialId, prfSalt: systemRandom(32), prfOutput });
    const header = headers.peek();
    const wrapper = header?.wrappers[0];
    if (header === undefined || wrapper === undefined) throw new Error('no header');
    const flipped = wrapper.wrappedKey.slice();
    flipped[3] = (flipped[3] ?? 0) ^ 1;
    const reopened = newVault(memoryHeaders());
    reopened.headers.poke({ ...header, wrappers: [{ ...wrapper, wrappedKey: flipped }] });
    expect(
      (await errorOf(() => reopened.vault.unlock({ method: 'prf', credentialId, prfOutput }))).code,
    ).toBe('VAULT_WRONG_SECRET');
  });

  it('refuses a second vault and unlocking a missing one', async () => {
    const { vault } = newVault();
    expect(
      (await errorOf(() => vault.unlock({ method: 'passphrase', passphrase: 'x' }))).code,
    ).toBe('VAULT_NOT_FOUND');
    expect((await errorOf(() => vault.unlockOptions('id'))).code).toBe('VAULT_NOT_FOUND');
    await vault.create({
      method: 'prf',
      credentialId,
      prfSalt: systemRandom(32),
      prfOutput: systemRandom(32),
    });
    expect(
      (
        await errorOf(() =>
          vault.create({
            method: 'prf',
            credentialId,
            prfSalt: systemRandom(32),
            prfOutput: systemRandom(32),
          }),
        )
      ).code,
    ).toBe('VAULT_EXISTS');
  });

  it('destroy forgets the header and the key', async () => {
    const { vault, states } = newVault();
    await vault.create({
      method: 'prf',
      credentialId,
      prfSalt: systemRandom(32),
      prfOutput: systemRandom(32),
    });
    await vault.destroy();
    expect(await vault.state()).toBe('none');
    expect((await errorOf(() => vault.key())).code).toBe('VAULT_LOCKED');
    expect(states).toEqual(['unlocked', 'none']);
  });
});

describe('Vault with a passphrase (Argon2id)', () => {
  it('unlocks with the right passphrase only', async () => {
    const { vault, headers } = newVault();
    await vault.create({ method: 'passphrase', passphrase: 'correct horse battery staple' });
    expect(headers.peek()?.wrappers[0]).toMatchObject({ kind: 'passphrase', argon2: FAST });
    vault.lock();
    expect(
      (
        await errorOf(() =>
          vault.unlock({ method: 'passphrase', passphrase: 'correct horse battery stapler' }),
        )
      ).code,
    ).toBe('VAULT_WRONG_SECRET');
    expect(await vault.state()).toBe('locked');
    await vault.unlock({ method: 'passphrase', passphrase: 'correct horse battery staple' });
    expect(await vault.state()).toBe('unlocked');
  });

  it('treats canonically equivalent passphrases as the same (NFKC)', async () => {
    const { vault } = newVault();
    await vault.create({
      method: 'passphrase',
      passphrase: 'caf\u00e9 au lait, s\u2019il vous pla\u00eet',
    });
    vault.lock();
    await vault.unlock({
      method: 'passphrase',
      passphrase: 'cafe\u0301 au lait, s\u2019il vous pla\u0069\u0302t',
    });
    expect(await vault.state()).toBe('unlocked');
  });

  it('a wrong passphrase error says nothing about the passphrase', async () => {
    const { vault } = newVault();
    await vault.create({ method: 'passphrase', passphrase: 'the real one here' });
    vault.lock();
    try {
      await vault.unlock({ method: 'passphrase', passphrase: 'guess number one' });
      throw new Error('unlocked with a wrong passphrase');
    } catch (e) {
      expect(e).toBeInstanceOf(ParleyError);
      expect(JSON.stringify((e as ParleyError).toJSON())).not.toContain('guess');
    }
  });
});

describe('parseHeader', () => {
  it('accepts nothing stored and rejects damaged headers with VAULT_CORRUPT', async () => {
    expect(parseHeader(undefined)).toBeUndefined();
    const bad = [
      null,
      'text',
      { version: 2, createdAt: 1, wrappers: [] },
      { version: 1, createdAt: 1, wrappers: [] },
      {
        version: 1,
        createdAt: 1,
        wrappers: [{ kind: 'prf', credentialId: 'x', salt: new Uint8Array(3) }],
      },
      {
        version: 1,
        createdAt: 1,
        wrappers: [
          {
            kind: 'passphrase',
            salt: new Uint8Array(32),
            iv: new Uint8Array(12),
            wrappedKey: new Uint8Array(48),
            argon2: { memoryKiB: 0, iterations: 1, parallelism: 1 },
          },
        ],
      },
    ];
    for (const raw of bad)
      expect((await errorOf(() => parseHeader(raw))).code).toBe('VAULT_CORRUPT');
  });
});

describe('Vault across worker restarts (session copy of the key)', () => {
  function sessionVault(headers: ReturnType<typeof memoryHeaders>, area = memorySession()) {
    const vault = new Vault({
      headers,
      random: systemRandom,
      now: () => 1_700_000_000_000,
      argon2: FAST,
      session: sessionVaultStore(area),
    });
    return { vault, area };
  }

  it('a new worker reopens an open vault from session memory, to the same key', async () => {
    const headers = memoryHeaders();
    const first = sessionVault(headers);
    await first.vault.create({ method: 'passphrase', passphrase: 'correct horse' });
    const iv = new Uint8Array(12);
    const sealed = await encryptProbe(first.vault.key());
    expect(first.area.data.has(SESSION_VAULT_KEY)).toBe(true);

    // The worker was stopped: a new Vault over the same header and session memory.
    const second = sessionVault(headers, first.area);
    const states: VaultState[] = [];
    second.vault.onChange((s) => states.push(s));
    expect(await second.vault.restore()).toBe(true);
    expect(states).toEqual(['unlocked']);
    const opened = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv },
      second.vault.key(),
      new Uint8Array(sealed),
    );
    expect(new TextDecoder().decode(opened)).toBe('probe');
    // Still non-extractable in the worker.
    expect(second.vault.key().extractable).toBe(false);
  });

  it('locking deletes the session copy: the next worker starts locked', async () => {
    const headers = memoryHeaders();
    const first = sessionVault(headers);
    await first.vault.create({ method: 'passphrase', passphrase: 'correct horse' });
    first.vault.lock();
    await first.vault.state(); // lets the queued clear run
    await new Promise((r) => setTimeout(r, 0));
    expect(first.area.data.has(SESSION_VAULT_KEY)).toBe(false);
    const second = sessionVault(headers, first.area);
    expect(await second.vault.restore()).toBe(false);
    expect(await second.vault.state()).toBe('locked');

    // Unlock writes it again (the unwrap path, not only create).
    await second.vault.unlock({ method: 'passphrase', passphrase: 'correct horse' });
    expect(first.area.data.has(SESSION_VAULT_KEY)).toBe(true);
    expect(await sessionVault(headers, first.area).vault.restore()).toBe(true);
  });

  it('a browser exit (session memory gone) or a reset vault means locked', async () => {
    const headers = memoryHeaders();
    const first = sessionVault(headers);
    await first.vault.create({ method: 'passphrase', passphrase: 'correct horse' });
    expect(await sessionVault(headers, memorySession()).vault.restore()).toBe(false);
    const stale = memorySession();
    stale.data.set(SESSION_VAULT_KEY, first.area.data.get(SESSION_VAULT_KEY));
    await first.vault.destroy();
    expect(first.area.data.has(SESSION_VAULT_KEY)).toBe(false);
    expect(await sessionVault(headers, stale).vault.restore()).toBe(false);
    expect(stale.data.has(SESSION_VAULT_KEY)).toBe(false);
  });
});
