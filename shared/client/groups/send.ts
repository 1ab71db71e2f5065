/**
 * Group messages to send frames. One Sender Keys encryption serves every
 * member device: the ciphertext is the send frame's shared `body`, and the
 * relay fans it out (ONE frame for the whole group; docs/protocol.md has the
 * measurements behind this choice). Member devices that do not hold our
 * current sender key (new members, new devices, everyone after a rotation)
 * first get it over their pairwise session, in a `pre` frame that the
 * outbox sends and sees stored before the message itself, so the key always
 * arrives first.
 *
 * Our sequence number goes inside the encrypted content here, when the
 * message is encrypted (so a message that fails before encryption leaves no
 * gap), and the sender key content carries the number of this very message,
 * which is where a device that receives the key starts counting.
 */
import { encodeIdentity } from '../../crypto/identity.ts';
import {
  createDistributionMessage,
  createSenderKey,
  rotateSenderKey,
} from '../../crypto/sender-key-chain.ts';
import { decodeDistributionMessage } from '../../crypto/sender-key-message.ts';
import { encryptGroupMessage } from '../../crypto/sender-keys.ts';
import { ErrorCode } from '../../errors.ts';
import type { MismatchUser } from '../../wire/frames.ts';
import { type OutboxEntry, type OutboxFrame, stageEntry } from '../outbox/outbox.ts';
import { nameOwnAccount, type PrepareOutcome, pendingChange } from '../outbox/send-frames.ts';
import { decodeContent, encodeContent } from '../sessions/content.ts';
import {
  applyMismatch,
  encryptFor,
  ensureSessions,
  type SessionContext,
} from '../sessions/sessions.ts';
import type { Batch } from '../store/batch.ts';
import { deviceTag, isMember, readGroup, readSender, stageSender } from './store.ts';

type Recipients = OutboxFrame['to'];

/** Encrypts a group entry once for all member devices; stages entry and sender state. */
export async function encryptGroupEntry(
  ctx: SessionContext,
  batch: Batch,
  entry: OutboxEntry,
): Promise<PrepareOutcome> {
  const group = entry.group;
  if (group === undefined) return { kind: 'failed', code: ErrorCode.BAD_ARGUMENT };
  const record = await readGroup(batch, group);
  const own = ctx.account.userId;
  if (record === undefined || !isMember(record.chain.head.state, own)) {
    return { kind: 'failed', code: ErrorCode.GROUP_NOT_MEMBER };
  }
  // The members NOW: someone removed since the message was written does not get it.
  const users = record.chain.head.state.members.map((m) => m.user);
  const changed = await pendingChange(batch, ctx, users);
  if (changed !== undefined) return { kind: 'identity-changed', user: changed };
  const to: Recipients = [];
  const current = new Set<string>();
  for (const user of users) {
    const outcome = await ensureSessions(ctx, batch, user);
    if (outcome.identityChanged) return { kind: 'identity-changed', user };
    for (const device of outcome.devices) current.add(deviceTag(user, device));
    if (outcome.devices.length === 0) continue;
    to.push({ user, devices: outcome.devices.map((device) => ({ device })) });
  }
  if (to.length === 0) return { kind: 'nothing-to-send' };
  // Our other devices get our messages too, also one we do not know of yet (the relay's
  // `mismatch` names it): our account is always named.
  nameOwnAccount(to, own);
  let sender = (await readSender(batch, group)) ?? {
    state: await createSenderKey(ctx.deps, group),
    seq: 0,
    sent: [],
  };
  if (sender.sent.some((tag) => !current.has(tag))) {
    // A device that holds our chain is gone (unlinked, or its member left): it must not read
    // what we send next, so everyone gets a new chain, as Signal does on device removal.
    sender = { state: await rotateSenderKey(ctx.deps, sender.state), seq: sender.seq, sent: [] };
  }
  const holding = new Set(sender.sent); // 511 devices in a full group: no linear scans
  const needKey: Array<{ user: string; device: number }> = [];
  for (const recipient of to) {
    for (const { device } of recipient.devices) {
      if (!holding.has(deviceTag(recipient.user, device))) {
        needKey.push({ user: recipient.user, device });
      }
    }
  }

  const content = decodeContent(entry.content);
  if (content.t !== 'text') return { kind: 'failed', code: ErrorCode.CONTENT_INVALID };
  const keyContent = encodeContent({
    v: 1,
    t: 'sender-key',
    g: group,
    dist: createDistributionMessage(sender.state),
    seq: sender.seq,
  });
  const encrypted = await encryptGroupMessage(
    sender.state,
    encodeContent({ ...content, seq: sender.seq }),
    encodeIdentity(ctx.account.publicIdentity),
  );
  const preTo = await pairwiseFrame(ctx, batch, needKey, keyContent);
  await stageSender(batch, group, {
    state: encrypted.state,
    seq: sender.seq + 1,
    sent: [...sender.sent, ...needKey.map((d) => deviceTag(d.user, d.device))],
  });
  const ready: OutboxEntry = {
    ...entry,
    frame: { to, body: encrypted.message },
    keyContent,
    ...(preTo.length === 0 ? {} : { pre: { id: ctx.deps.random(16), frame: { to: preTo } } }),
  };
  stageEntry(batch, ready);
  return { kind: 'ready', entry: ready };
}

async function pairwiseFrame(
  ctx: SessionContext,
  batch: Batch,
  devices: ReadonlyArray<{ user: string; device: number }>,
  content: Uint8Array,
): Promise<Recipients> {
  const to: Recipients = [];
  for (const { user, device } of devices) {
    let recipient = to.find((r) => r.user === user);
    if (recipient === undefined) {
      recipient = { user, devices: [] };
      to.push(recipient);
    }
    recipient.devices.push({ device, body: await encryptFor(ctx, batch, user, device, content) });
  }
  return to;
}

/**
 * Applies a relay `mismatch` (for the `pre` frame or the message frame) to
 * both: removed devices leave both, added devices join the message frame and
 * get this message's sender key in a (new) `pre` frame, sent first.
 */
export async function readdressGroupEntry(
  ctx: SessionContext,
  batch: Batch,
  entry: OutboxEntry,
  users: readonly MismatchUser[],
): Promise<PrepareOutcome> {
  const frame = entry.frame;
  const keyContent = entry.keyContent;
  const group = entry.group;
  if (frame === undefined || keyContent === undefined || group === undefined) {
    return { kind: 'failed', code: ErrorCode.BAD_ARGUMENT };
  }
  const holderGone = await rotateIfHolderRemoved(ctx, batch, group, keyContent, users);
  if (holderGone) {
    // Encrypted again on the new chain, with this message's own number: no gap, and the
    // removed device never gets a ciphertext it could read.
    for (const mismatch of users) {
      const outcome = await applyMismatch(ctx, batch, mismatch);
      if (outcome.identityChanged) return { kind: 'identity-changed', user: mismatch.user };
    }
    const { frame: _f, pre: _p, keyContent: _k, ...pending } = entry;
    return encryptGroupEntry(ctx, batch, { ...pending, mismatches: entry.mismatches + 1 });
  }
  const main = frame.to.map((r) => ({ user: r.user, devices: [...r.devices] }));
  let pre = (entry.pre?.frame.to ?? []).map((r) => ({ user: r.user, devices: [...r.devices] }));
  const added: Array<{ user: string; device: number }> = [];
  for (const mismatch of users) {
    const outcome = await applyMismatch(ctx, batch, mismatch);
    if (outcome.identityChanged) return { kind: 'identity-changed', user: mismatch.user };
    const removed = new Set(outcome.removed);
    const fresh = new Set(outcome.devices);
    let recipient = main.find((r) => r.user === mismatch.user);
    if (recipient === undefined) {
      recipient = { user: mismatch.user, devices: [] };
      main.push(recipient);
    }
    recipient.devices = recipient.devices.filter(
      (d) => !removed.has(d.device) && !fresh.has(d.device),
    );
    for (const device of outcome.devices) {
      recipient.devices.push({ device });
      added.push({ user: mismatch.user, device });
    }
    pre = pre.map((r) =>
      r.user === mismatch.user
        ? {
            user: r.user,
            devices: r.devices.filter((d) => !removed.has(d.device) && !fresh.has(d.device)),
          }
        : r,
    );
  }
  const extra = await pairwiseFrame(ctx, batch, added, keyContent);
  for (const r of extra) {
    const existing = pre.find((p) => p.user === r.user);
    if (existing === undefined) pre.push(r);
    else existing.devices.push(...r.devices);
  }
  pre = pre.filter((r) => r.devices.length > 0);
  const remaining = main.filter((r) => r.devices.length > 0);
  if (remaining.length === 0) return { kind: 'nothing-to-send' };
  // Devices that got the key of our CURRENT chain need not get it again.
  const sender = await readSender(batch, group);
  if (sender !== undefined && added.length > 0) {
    const sentChain = decodeContentChain(keyContent);
    if (sentChain === sender.state.chainId) {
      await stageSender(batch, group, {
        ...sender,
        sent: [...sender.sent, ...added.map((d) => deviceTag(d.user, d.device))],
      });
    }
  }
  const { pre: _old, ...rest } = entry;
  const ready: OutboxEntry = {
    ...rest,
    frame: { to: remaining, ...(frame.body === undefined ? {} : { body: frame.body }) },
    ...(pre.length === 0
      ? {}
      : { pre: { id: entry.pre?.id ?? ctx.deps.random(16), frame: { to: pre } } }),
    mismatches: entry.mismatches + 1,
  };
  stageEntry(batch, ready);
  return { kind: 'ready', entry: ready };
}

/**
 * The relay says a device is gone (`extra`/`stale`) that holds the chain this
 * message was encrypted on (an unlinked device of a member): the chain is
 * rotated now and the message's number given back, so the caller encrypts it
 * again on the new chain, rather than letting the removed device's key read
 * it (docs/protocol.md, "Sender keys in groups").
 */
async function rotateIfHolderRemoved(
  ctx: SessionContext,
  batch: Batch,
  group: Uint8Array,
  keyContent: Uint8Array,
  users: readonly MismatchUser[],
): Promise<boolean> {
  const sender = await readSender(batch, group);
  const content = decodeContent(keyContent);
  if (sender === undefined || content.t !== 'sender-key') return false;
  if (decodeDistributionMessage(content.dist).chainId !== sender.state.chainId) return false;
  const holders = new Set(sender.sent);
  const gone = users.some((u) =>
    [...(u.extra ?? []), ...(u.stale ?? [])].some((d) => holders.has(deviceTag(u.user, d))),
  );
  if (!gone) return false;
  await stageSender(batch, group, {
    state: await rotateSenderKey(ctx.deps, sender.state),
    seq: content.seq,
    sent: [],
  });
  return true;
}

function decodeContentChain(keyContent: Uint8Array): number | undefined {
  const content = decodeContent(keyContent);
  if (content.t !== 'sender-key') return undefined;
  return decodeDistributionMessage(content.dist).chainId;
}
