/**
 * The group part of the client API (createClient exposes these): create a
 * group, change members, roles, name and timer, leave, accept, and the view
 * the UI shows (group-view.ts). Every change is one signed state (ops.ts),
 * stored and queued in one write on the client's serial queue.
 */
import type { Bytes } from '../../bytes.ts';
import { ErrorCode, fail } from '../../errors.ts';
import { GROUP_MAX_MEMBERS } from '../../wire/limits.ts';
import { ContactStatus, contactOp, newContact, readContact } from '../contacts/contacts.ts';
import { groupConversationId } from '../conversations/conversations.ts';
import type { InboxEffect } from '../effects.ts';
import type { ClientHost } from '../host.ts';
import { releaseHeldReceipts } from '../inbox/receipts.ts';
import type { SyncPayload } from '../sessions/content.ts';
import type { SessionContext } from '../sessions/sessions.ts';
import type { Batch } from '../store/batch.ts';
import { type GroupView, groupIdOf, groupView } from './group-view.ts';
import type { GroupHost } from './membership.ts';
import { changeGroup, createGroup } from './ops.ts';
import { checkGroupName, type GroupRole, isTimerOption, GroupRole as Role } from './state.ts';
import { isMember, readGroup, stageGroup } from './store.ts';

export type { GroupMemberView, GroupView } from './group-view.ts';

export interface GroupApiHost
  extends Pick<ClientHost, 'records' | 'transact' | 'stamps' | 'now' | 'random'> {
  requireSessions(): SessionContext;
  /** Resolves a handle (or passes a user id through) to a user id and its handle. */
  resolveUser(handleOrUserId: string): Promise<{ user: string; handle?: string }>;
  emit(effects: readonly InboxEffect[]): void;
  /** Lets the outbox send what was queued. */
  pump(): void;
  /** Receipts held back for an invitation went back into the queue: flush them. */
  receiptsReleased?(): void;
  /** Queues a sync for our other devices in `batch` (accepting an invitation). */
  stageSync?(batch: Batch, payload: SyncPayload): Promise<void>;
}

/** Runs one group change: signed, stored and queued in one write; then its events, then the outbox. */
export async function runGroupChange(
  host: GroupApiHost,
  job: (batch: Batch, h: GroupHost) => Promise<InboxEffect[]>,
): Promise<void> {
  const h: GroupHost = { sessions: host.requireSessions(), stamps: host.stamps };
  const effects = await host.transact(async (batch) => {
    const out = await job(batch, h);
    return out;
  });
  host.emit(effects);
  host.pump();
}

/** Users by handle or id; new ones are recorded as contacts (we chose to talk to them). */
async function resolveMembers(
  host: GroupApiHost,
  inputs: readonly string[],
  own: string,
): Promise<string[]> {
  const resolved: Array<{ user: string; handle?: string }> = [];
  for (const input of inputs) resolved.push(await host.resolveUser(input));
  const users = [...new Set(resolved.map((r) => r.user))].filter((u) => u !== own);
  await host.transact(async (batch) => {
    for (const r of resolved) {
      if (r.user === own) continue;
      const existing = await readContact(batch, r.user);
      const contact = existing ?? newContact(r.user, ContactStatus.ACCEPTED, host.now());
      if (existing === undefined || (existing.handle === undefined && r.handle !== undefined)) {
        batch.apply(contactOp(r.handle === undefined ? contact : { ...contact, handle: r.handle }));
      }
    }
  });
  return users;
}

export function createGroupApi(host: GroupApiHost) {
  const run = (job: (batch: Batch, h: GroupHost) => Promise<InboxEffect[]>) =>
    runGroupChange(host, job);

  return {
    getGroup: (conversationId: string): Promise<GroupView> =>
      groupView(host.records, host.requireSessions().account, conversationId),

    /** Creates a group (we are its owner) with members given by handle or user id. */
    async createGroup(input: {
      readonly name: string;
      readonly members: readonly string[];
      readonly timer?: number;
    }): Promise<string> {
      const ctx = host.requireSessions();
      checkGroupName(input.name);
      const timer = input.timer ?? 0;
      if (!isTimerOption(timer)) fail(ErrorCode.BAD_ARGUMENT, 'Not a timer option');
      if (input.members.length + 1 > GROUP_MAX_MEMBERS) {
        fail(ErrorCode.BAD_ARGUMENT, `A group has at most ${GROUP_MAX_MEMBERS} members`);
      }
      const members = await resolveMembers(host, input.members, ctx.account.userId);
      let id: Bytes | undefined;
      await run(async (batch, h) => {
        const created = await createGroup(h, batch, { name: input.name, members, timer });
        id = created.group;
        return created.effects;
      });
      if (id === undefined) fail(ErrorCode.INTERNAL, 'Group not created');
      return groupConversationId(id);
    },

    async addMembers(conversationId: string, users: readonly string[]): Promise<void> {
      const group = groupIdOf(conversationId);
      const members = await resolveMembers(host, users, host.requireSessions().account.userId);
      await run((batch, h) =>
        changeGroup(h, batch, group, (d) => {
          for (const user of members) if (!d.members.has(user)) d.members.set(user, Role.MEMBER);
        }),
      );
    },

    async removeMember(conversationId: string, userId: string): Promise<void> {
      const group = groupIdOf(conversationId);
      await run((batch, h) =>
        changeGroup(h, batch, group, (d) => {
          if (!d.members.delete(userId)) fail(ErrorCode.NOT_FOUND, 'Not a member of this group');
        }),
      );
    },

    /** Makes a member an admin or a member; `owner` transfers ownership (we become an admin). */
    async setRole(conversationId: string, userId: string, role: GroupRole): Promise<void> {
      const group = groupIdOf(conversationId);
      const own = host.requireSessions().account.userId;
      await run((batch, h) =>
        changeGroup(h, batch, group, (d) => {
          if (!d.members.has(userId)) fail(ErrorCode.NOT_FOUND, 'Not a member of this group');
          d.members.set(userId, role);
          if (role === Role.OWNER && userId !== own) d.members.set(own, Role.ADMIN);
        }),
      );
    },

    async renameGroup(conversationId: string, name: string): Promise<void> {
      const group = groupIdOf(conversationId);
      await run((batch, h) =>
        changeGroup(h, batch, group, (d) => {
          d.name = name;
        }),
      );
    },

    async setGroupTimer(conversationId: string, timer: number): Promise<void> {
      if (!isTimerOption(timer)) fail(ErrorCode.BAD_ARGUMENT, 'Not a timer option');
      const group = groupIdOf(conversationId);
      await run((batch, h) =>
        changeGroup(h, batch, group, (d) => {
          d.timer = timer;
        }),
      );
    },

    /** Leaves (the owner must transfer ownership first: GROUP_FORBIDDEN). */
    async leaveGroup(conversationId: string): Promise<void> {
      const group = groupIdOf(conversationId);
      const own = host.requireSessions().account.userId;
      await run((batch, h) =>
        changeGroup(h, batch, group, (d) => {
          d.members.delete(own);
        }),
      );
    },

    /** Accepts a group someone who is not an accepted contact added us to. */
    async acceptGroup(conversationId: string): Promise<void> {
      const group = groupIdOf(conversationId);
      let released = false;
      await run(async (batch) => {
        const record = await readGroup(batch, group);
        if (record === undefined) fail(ErrorCode.NOT_FOUND, 'No such group');
        // Our other devices accept it too, even if it was no request here (docs/client.md, "Own-device sync").
        await host.stageSync?.(batch, { k: 'group-accept', g: group });
        if (record.accepted) return [];
        stageGroup(batch, { ...record, accepted: true });
        released = (await releaseHeldReceipts(batch, { group })) > 0;
        return [
          { type: 'group', conversationId },
          { type: 'conversation', conversationId },
        ];
      });
      if (released) host.receiptsReleased?.();
    },

    /** Whether we are an active member (tests, UI guards). */
    async isActiveMember(conversationId: string): Promise<boolean> {
      const record = await readGroup(host.records, groupIdOf(conversationId));
      return (
        record !== undefined &&
        isMember(record.chain.head.state, host.requireSessions().account.userId)
      );
    },
  };
}

export type GroupApi = ReturnType<typeof createGroupApi>;
