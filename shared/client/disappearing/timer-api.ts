/**
 * The disappearing-message timer in the client API: either side of a direct
 * chat sets it (timer.ts: the later setting wins; sent to the peer and our
 * other devices), admins of a group set it in a signed group state. Shown as
 * a notice in every timeline.
 */
import { ErrorCode, fail } from '../../errors.ts';
import { groupHexOf, peerOf, readConversation } from '../conversations/conversations.ts';
import type { InboxEffect } from '../effects.ts';
import type { GroupApi } from '../groups/group-api.ts';
import { isTimerOption, type TIMER_OPTIONS_MS } from '../groups/state.ts';
import type { ClientHost } from '../host.ts';
import { newOutboxEntry, type OutboxEntry, OutboxKind, stageEntry } from '../outbox/outbox.ts';
import { encodeContent } from '../sessions/content.ts';
import type { SessionContext } from '../sessions/sessions.ts';
import { stageTimer } from './timer.ts';

export interface TimerApiHost extends Pick<ClientHost, 'transact' | 'now' | 'random' | 'stamps'> {
  requireSessions(): SessionContext;
  readonly groups: Pick<GroupApi, 'setGroupTimer'>;
  emit(effects: readonly InboxEffect[]): void;
  /** Lets the outbox send what was queued. */
  pump(): void;
}

export function createTimerApi(host: TimerApiHost) {
  const { transact, now, random, stamps } = host;

  /**
   * Sets a conversation's disappearing-message timer: either side of a direct
   * chat (sent to the peer and our other devices), admins of a group (a signed
   * group state). Shown as a notice in every timeline.
   */
  async function setTimer(input: {
    readonly conversationId: string;
    readonly timer: number;
  }): Promise<void> {
    if (!isTimerOption(input.timer)) {
      fail(ErrorCode.BAD_ARGUMENT, 'The timer must be one of TIMER_OPTIONS_MS');
    }
    if (groupHexOf(input.conversationId) !== undefined) {
      await host.groups.setGroupTimer(input.conversationId, input.timer);
      return;
    }
    const peer = peerOf(input.conversationId);
    if (peer === undefined) fail(ErrorCode.BAD_ARGUMENT, 'Not a conversation id');
    const ctx = host.requireSessions();
    const effects = await transact(async (batch) => {
      const conversation = await readConversation(batch, input.conversationId);
      if (conversation === undefined) fail(ErrorCode.NOT_FOUND, 'No such conversation');
      const at = Math.max(now(), (conversation.timerAt ?? 0) + 1);
      const out = await stageTimer(
        { sessions: ctx, stamps },
        batch,
        conversation,
        input.timer,
        at,
        ctx.account.userId,
      );
      stageEntry(
        batch,
        newOutboxEntry({
          id: random(16) as OutboxEntry['id'],
          stamp: await stamps.next(batch),
          kind: OutboxKind.TIMER,
          conv: conversation.id,
          content: encodeContent({
            v: 1,
            t: 'timer',
            to: { u: peer },
            timer: input.timer as (typeof TIMER_OPTIONS_MS)[number],
            at,
          }),
          recipients: [peer, ctx.account.userId],
          createdAt: now(),
        }),
      );
      return out;
    });
    host.emit(effects);
    host.pump();
  }

  return { setTimer };
}
