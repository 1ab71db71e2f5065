/**
 * Parley from the command line, for bots, load tests and poking at a relay:
 *
 *   npm run cli -- register <handle> [--relay URL] [--profile DIR] [--name DEVICE] [--seal]
 *   npm run cli -- send <handle> <text…>      sends, waits for the relay's `stored`
 *   npm run cli -- listen                     prints messages as they arrive (Ctrl+C stops)
 *   npm run cli -- inbox [--mark-read]        fetches what waits on the relay, prints conversations
 *   npm run cli -- whoami | safety <handle>
 *   npm run cli -- link-code [--string]       on a NEW profile: shows a code, waits, joins the account
 *   npm run cli -- link-approve <code> [--yes] [--no-history]
 *                                             on a profile of the account: links the device showing it
 *   npm run cli -- devices | unlink <id>      this account's devices; remove one
 *   npm run cli -- reset-identity             new identity, every other device removed (stolen device)
 *   npm run cli -- backup                     encrypted backup to the relay; the recovery key is
 *                                             PARLEY_RECOVERY_KEY, or a new one printed ONCE
 *   npm run cli -- restore <handle> [--remove-others]
 *                                             on a NEW profile holding only the account's
 *                                             passkey.json: restore the newest backup as a new device
 *
 * Options: --relay (default http://127.0.0.1:8787, or the profile's relay),
 * --profile (default ./data/cli/default; one directory per account, so a
 * second user needs its own), --json (one JSON object per line).
 *
 * The profile directory holds the account in plaintext files (see
 * scripts/lib/file-store.ts: the device key is extractable here, unlike in
 * the extension) and the software passkey, so `login`-based device
 * management keeps working across runs. `register --seal` makes a
 * passphrase-sealed profile instead (passphrase in PARLEY_PASSPHRASE for every
 * command; scripts/lib/profile-seal.ts). One command at a time per profile
 * (scripts/lib/profile-lock.ts): a second one exits with an error naming
 * --profile instead of silently taking over the device's relay connection.
 * `listen` never lingers deaf: it reconnects, or exits 1 with the reason.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from '../shared/bytes.ts';
import { createClient, type MessageView, type ParleyClient } from '../shared/client/client.ts';
import type { ConnectionStatus } from '../shared/client/relay/relay-connection.ts';
import {
  nodeClientDeps,
  softAuthenticator,
  TEST_ORIGIN,
} from '../shared/client/testing/harness.ts';
import { isParleyError } from '../shared/errors.ts';
import { cliBackup, cliRestore, RECOVERY_KEY_ENV } from './lib/cli-backup.ts';
import {
  describeImportedHistory,
  describeSentHistory,
  historyFields,
  linkApprove,
  linkCode,
  resumeLinkHistory,
} from './lib/cli-linking.ts';
import { type FileStorage, openFileStorage } from './lib/file-store.ts';
import { acquireProfileLock } from './lib/profile-lock.ts';
import { createSeal, isSealed, openSeal, PASSPHRASE_ENV, type Sealer } from './lib/profile-seal.ts';

const DEFAULT_RELAY = 'http://127.0.0.1:8787';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    relay: { type: 'string' },
    profile: { type: 'string', default: join('data', 'cli', 'default') },
    name: { type: 'string', default: 'cli' },
    json: { type: 'boolean', default: false },
    seal: { type: 'boolean', default: false },
    'mark-read': { type: 'boolean', default: false },
    yes: { type: 'boolean', default: false },
    'no-history': { type: 'boolean', default: false },
    string: { type: 'boolean', default: false },
    'remove-others': { type: 'boolean', default: false },
    timeout: { type: 'string', default: '15000' },
  },
});

const [command, ...args] = positionals;
const profileDir = resolve(values.profile);
const json = values.json;
const timeoutMs = Number(values.timeout);

function out(line: string, data?: Record<string, unknown>): void {
  if (json && data !== undefined) console.log(JSON.stringify(data));
  else console.log(line);
}

function usage(): never {
  console.error(
    'usage: npm run cli -- <register <handle> | send <handle> <text…> | listen | inbox | whoami | safety <handle>\n' +
      '                       | link-code [--string] | link-approve <code> [--yes] [--no-history] | devices | unlink <id> | reset-identity\n' +
      '                       | backup | restore <handle> [--remove-others]> [--relay URL] [--profile DIR] [--json]\n' +
      '  --profile DIR: one directory per account (default ./data/cli/default); a second user needs its own\n' +
      '  register --seal: seal the new profile with the passphrase in PARLEY_PASSPHRASE (needed by every command)\n' +
      `  backup/restore: the recovery key in ${RECOVERY_KEY_ENV} (backup without it makes one and prints it once)`,
  );
  process.exit(2);
}

// ---------------------------------------------------------------------------
// The software passkey, kept in the profile (ES256 private key as JWK).

interface StoredPasskey {
  id: string;
  rpId: string;
  userHandle: string;
  jwk: JsonWebKey;
  prfSecret: string;
  counter: number;
}

const passkeyPath = join(profileDir, 'passkey.json');
/** Set once a sealed profile is opened: passkey.json is sealed like the records. */
let sealer: Sealer | undefined;

async function readPasskeys(): Promise<StoredPasskey[]> {
  const text = readFileSync(passkeyPath, 'utf8');
  if (sealer === undefined) return JSON.parse(text) as StoredPasskey[];
  const { sealed } = JSON.parse(text) as { sealed: string };
  return JSON.parse(fromUtf8(await sealer.open('passkey.json', fromBase64Url(sealed))));
}

async function loadAuthenticator() {
  const authenticator = softAuthenticator(TEST_ORIGIN);
  if (existsSync(passkeyPath)) {
    const stored = await readPasskeys();
    for (const p of stored) {
      authenticator.soft.credentials.push({
        id: fromBase64Url(p.id),
        rpId: p.rpId,
        userHandle: fromBase64Url(p.userHandle),
        privateKey: await crypto.subtle.importKey(
          'jwk',
          p.jwk,
          { name: 'ECDSA', namedCurve: 'P-256' },
          true,
          ['sign'],
        ),
        prfSecret: fromBase64Url(p.prfSecret),
        counter: p.counter,
      });
    }
  }
  return authenticator;
}

async function savePasskeys(
  authenticator: Awaited<ReturnType<typeof loadAuthenticator>>,
): Promise<void> {
  const stored: StoredPasskey[] = [];
  for (const c of authenticator.soft.credentials) {
    stored.push({
      id: toBase64Url(c.id),
      rpId: c.rpId,
      userHandle: toBase64Url(c.userHandle),
      jwk: await crypto.subtle.exportKey('jwk', c.privateKey),
      prfSecret: toBase64Url(c.prfSecret),
      counter: c.counter,
    });
  }
  const json = JSON.stringify(stored);
  const text =
    sealer === undefined
      ? json
      : JSON.stringify({ sealed: toBase64Url(await sealer.seal('passkey.json', utf8(json))) });
  writeFileSync(passkeyPath, text, { mode: 0o600 });
}

// ---------------------------------------------------------------------------

function makeClient(storage: FileStorage): ParleyClient {
  return createClient(
    nodeClientDeps({
      storage,
      onError: (error, context) => {
        if (!json)
          console.error(`(${context}) ${error instanceof Error ? error.message : String(error)}`);
      },
    }),
  );
}

function describeMessage(m: MessageView, names: Map<string, string>): string {
  const who = m.outgoing ? 'me' : (names.get(m.author) ?? m.author.slice(0, 8));
  const time = new Date(m.sentAt).toISOString().slice(11, 19);
  return m.kind === 'system' ? `[${time}] * ${m.text}` : `[${time}] ${who}: ${m.text}`;
}

function until<T>(
  subscribe: (done: (value: T) => void) => () => void,
  ms: number,
): Promise<T | undefined> {
  return new Promise((resolveWait) => {
    let unsubscribe = () => {};
    const timer = setTimeout(() => {
      unsubscribe();
      resolveWait(undefined);
    }, ms);
    unsubscribe = subscribe((value) => {
      clearTimeout(timer);
      unsubscribe();
      resolveWait(value);
    });
  });
}

async function nameOf(
  client: ParleyClient,
  user: string,
  names: Map<string, string>,
): Promise<void> {
  if (names.has(user)) return;
  try {
    const contact = await client.getContact(user);
    if (contact.handle !== null) names.set(user, contact.handle);
  } catch {
    // unknown yet
  }
}

/** Gives queued receipts a moment to reach the relay (they are sent next run otherwise). */
async function flushOutbox(client: ParleyClient): Promise<void> {
  const deadline = Date.now() + Math.min(timeoutMs, 5_000);
  await client.idle();
  while ((await client.outboxSize()) > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

function describeStatus(s: ConnectionStatus): string {
  switch (s.state) {
    case 'retrying':
      return `retrying (${s.problem}, next try in ${Math.max(0, s.nextRetryAt - Date.now())} ms)`;
    case 'stopped':
      return `stopped (${s.reason})`;
    default:
      return s.state;
  }
}

/** Consecutive refusals after which `listen` gives up: the device is gone, retrying cannot help. */
const REFUSALS_BEFORE_EXIT = 2;

/** Why the client will receive nothing more, once that is so. */
function whenDeaf(client: ParleyClient): Promise<string> {
  return new Promise((resolveDeaf) => {
    let refusals = 0;
    client.on('status', (s) => {
      if (s.state === 'online') refusals = 0;
      if (s.state === 'stopped')
        resolveDeaf(
          'another connection of this device took over (the relay keeps one per device): ' +
            'is a copy of this profile in use elsewhere? Use --profile DIR for a second account',
        );
      if (s.state === 'retrying' && s.problem === 'rejected' && ++refusals >= REFUSALS_BEFORE_EXIT)
        resolveDeaf(
          'the relay refuses this device (removed from its account, or the account is gone)',
        );
    });
  });
}

/** The sealer of a sealed profile (made by `register --seal`), or undefined for a plaintext one. */
async function profileSealer(): Promise<Sealer | undefined> {
  const passphrase = process.env[PASSPHRASE_ENV];
  if (values.seal) {
    if (command !== 'register') throw new Error('--seal is for `register` (a new profile)');
    if (isSealed(profileDir)) return openSeal(profileDir, passphrase);
    const log = join(profileDir, 'records.log');
    if (existsSync(log) && statSync(log).size > 0)
      throw new Error(
        `--seal needs a new profile: ${profileDir} already holds plaintext records (pass --profile DIR)`,
      );
    return createSeal(profileDir, passphrase ?? '');
  }
  return isSealed(profileDir) ? openSeal(profileDir, passphrase) : undefined;
}

async function main(): Promise<void> {
  if (command === undefined) usage();
  mkdirSync(profileDir, { recursive: true, mode: 0o700 });
  const lock = acquireProfileLock(profileDir, `npm run cli -- ${command}`);
  try {
    sealer = await profileSealer();
  } catch (error) {
    lock.release();
    throw error;
  }
  const storage = openFileStorage(profileDir, sealer === undefined ? {} : { sealer });
  const client = makeClient(storage);
  try {
    const account = await client.load();
    const relayUrl = values.relay ?? account?.relayUrl ?? DEFAULT_RELAY;
    // A history download an earlier link-code left unfinished comes in first.
    if (account !== undefined) await resumeLinkHistory(client, out);
    switch (command) {
      case 'register': {
        const handle = args[0];
        if (handle === undefined) usage();
        if (account !== undefined)
          throw new Error(
            `This profile already holds ${account.handle} (${profileDir}): pass --profile DIR (a new directory) to register another account`,
          );
        const authenticator = await loadAuthenticator();
        const created = await client.register({
          relayUrl,
          handle,
          authenticator,
          deviceName: values.name,
          extractableDeviceKey: true,
        });
        await savePasskeys(authenticator);
        out(
          `registered ${created.handle}: user ${created.userId}, device ${created.deviceId}, relay ${relayUrl}`,
          {
            event: 'registered',
            ...created,
          },
        );
        return;
      }
      case 'whoami': {
        if (account === undefined)
          throw new Error(`No account in ${profileDir}: run register first`);
        out(
          `${account.handle}: user ${account.userId}, device ${account.deviceId}, relay ${account.relayUrl}`,
          {
            event: 'account',
            ...account,
          },
        );
        return;
      }
      case 'safety': {
        const handle = args[0];
        if (handle === undefined) usage();
        const chat = await client.startConversation(handle);
        const contact = await client.getContact(chat.peer ?? '');
        const groups = contact.safetyNumber?.groups ?? [];
        out(
          `safety number with ${handle}:\n${groups.slice(0, 6).join(' ')}\n${groups.slice(6).join(' ')}`,
          {
            event: 'safety-number',
            handle,
            digits: contact.safetyNumber?.digits ?? null,
            verified: contact.verified,
          },
        );
        return;
      }
      case 'send': {
        const [handle, ...words] = args;
        if (handle === undefined || words.length === 0) usage();
        await client.start();
        const chat = await client.startConversation(handle);
        const sent = await client.sendText({ conversationId: chat.id, text: words.join(' ') });
        const settled = await until<MessageView>(
          (done) =>
            client.on('message-state', (m) => {
              if (m.id === sent.id && m.state !== 'sending') done(m);
            }),
          timeoutMs,
        );
        const state = settled?.state ?? 'sending';
        out(
          `${state === 'failed' ? 'failed' : state === 'sending' ? 'queued (relay not reached yet)' : state}: ${sent.id}`,
          {
            event: 'sent',
            id: sent.id,
            state,
            ...(settled?.error === undefined ? {} : { error: settled.error }),
          },
        );
        if (state === 'failed') process.exitCode = 1;
        return;
      }
      case 'listen': {
        const names = new Map<string, string>();
        client.on('status', (s) => {
          if (!json) console.error(`relay: ${describeStatus(s)}`);
        });
        const deaf = whenDeaf(client);
        client.on('message', (m) => {
          if (m.outgoing && m.authorDevice === client.account()?.deviceId) return;
          void nameOf(client, m.author, names).then(() =>
            out(describeMessage(m, names), {
              event: 'message',
              ...m,
              from: names.get(m.author) ?? null,
            }),
          );
        });
        await client.start();
        const reason = await Promise.race([
          deaf,
          new Promise<undefined>((resolveStop) => {
            process.once('SIGINT', () => resolveStop(undefined));
            process.once('SIGTERM', () => resolveStop(undefined));
          }),
        ]);
        if (reason !== undefined) {
          if (json) console.error(JSON.stringify({ event: 'stopped', reason }));
          console.error(`parley: listen stopped: ${reason}`);
          process.exitCode = 1;
        }
        return;
      }
      case 'inbox': {
        const drained = until((done) => client.on('drained', done), timeoutMs);
        await client.start();
        await drained;
        await client.idle();
        const names = new Map<string, string>();
        for (const c of await client.listConversations()) {
          out(`${c.title}${c.isRequest ? ' (request)' : ''}: ${c.unread} unread`, {
            event: 'conversation',
            ...c,
          });
          if (c.unread === 0) continue;
          const page = await client.getMessages({
            conversationId: c.id,
            limit: Math.min(c.unread, 100),
          });
          for (const m of page.messages) {
            await nameOf(client, m.author, names);
            out(`  ${describeMessage(m, names)}`, { event: 'message', ...m });
          }
          if (values['mark-read']) await client.markRead({ conversationId: c.id });
        }
        await flushOutbox(client);
        return;
      }
      case 'link-code': {
        if (account !== undefined)
          throw new Error(
            `This profile already holds ${account.handle} (${profileDir}): link-code needs a new profile (--profile DIR)`,
          );
        const linked = await linkCode({
          client,
          relayUrl,
          deviceName: values.name,
          linkString: values.string,
          out,
        });
        const { history, ...info } = linked;
        out(
          `linked to ${info.handle}: user ${info.userId}, device ${info.deviceId}, relay ${info.relayUrl}`,
          { event: 'linked', ...info },
        );
        out(describeImportedHistory(history), { event: 'history', ...history });
        return;
      }
      case 'link-approve': {
        const code = args.join(' ');
        if (code === '') usage();
        if (account === undefined)
          throw new Error(`No account in ${profileDir}: run register (or link-code) first`);
        // The passkey login for the new device's session moves the signature counter: keep it.
        const authenticator = await loadAuthenticator();
        const linked = await linkApprove({
          client,
          relayUrl,
          code,
          authenticator,
          yes: values.yes,
          history: !values['no-history'],
          out,
        });
        await savePasskeys(authenticator);
        out(`linked device ${linked.deviceId} (${linked.deviceName})`, {
          event: 'approved',
          deviceId: linked.deviceId,
          deviceName: linked.deviceName,
        });
        out(describeSentHistory(linked.history), {
          event: 'history',
          ...historyFields(linked.history),
        });
        return;
      }
      case 'devices': {
        for (const d of await client.listDevices()) {
          const added = new Date(d.createdAt).toISOString().slice(0, 19).replace('T', ' ');
          out(
            `${d.id}${d.current ? ' (this device)' : ''}: ${d.name ?? '(unnamed)'}, added ${added}`,
            {
              event: 'device',
              ...d,
            },
          );
        }
        return;
      }
      case 'unlink': {
        const id = Number(args[0]);
        if (!Number.isInteger(id) || id <= 0) usage();
        await client.removeDevice(id);
        out(`removed device ${id}`, { event: 'unlinked', device: id });
        return;
      }
      case 'reset-identity': {
        // "Remove and reset identity" for a stolen device (docs/protocol.md): a fresh passkey login.
        if (account === undefined)
          throw new Error(`No account in ${profileDir}: run register first`);
        const authenticator = await loadAuthenticator();
        const session = await client.login(authenticator);
        await savePasskeys(authenticator);
        const reset = await client.resetIdentity({ session });
        out(`new identity; this device is now ${reset.deviceId}, every other device removed`, {
          event: 'identity-reset',
          device: reset.deviceId,
        });
        return;
      }
      case 'backup': {
        const made = await cliBackup(client, relayUrl);
        if (made.newRecoveryKey !== undefined && !json) {
          console.log('Your recovery key (shown once; keep it offline, never share it):');
          console.log(`  ${made.newRecoveryKey}`);
          console.log(`Pass it as ${RECOVERY_KEY_ENV} for later backups and to restore.`);
        }
        out(`backup ${made.seq} stored (${made.size} bytes)`, {
          event: 'backup',
          seq: made.seq,
          size: made.size,
          ...(made.newRecoveryKey === undefined ? {} : { recoveryKey: made.newRecoveryKey }),
        });
        return;
      }
      case 'restore': {
        const handle = args[0];
        if (handle === undefined) usage();
        if (account !== undefined)
          throw new Error(
            `This profile already holds ${account.handle} (${profileDir}): restore needs a new profile (--profile DIR)`,
          );
        const authenticator = await loadAuthenticator();
        const restored = await cliRestore({
          client,
          relayUrl,
          handle,
          authenticator,
          deviceName: values.name,
          removeOthers: values['remove-others'],
        });
        await savePasskeys(authenticator);
        out(
          `restored ${restored.account.handle} from backup ${restored.snapshot.seq}: device ${restored.account.deviceId}, ${restored.written} records` +
            (restored.removed.length > 0 ? `, removed devices ${restored.removed.join(', ')}` : ''),
          {
            event: 'restored',
            ...restored.account,
            seq: restored.snapshot.seq,
            written: restored.written,
            removed: restored.removed,
          },
        );
        return;
      }
      default:
        usage();
    }
  } finally {
    await client.stop();
    storage.close();
    lock.release();
  }
}

main().catch((error: unknown) => {
  const message = isParleyError(error)
    ? `${error.code}: ${error.message}`
    : error instanceof Error
      ? error.message
      : String(error);
  console.error(`parley: ${message}`);
  process.exit(1);
});
