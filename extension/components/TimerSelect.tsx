/**
 * The disappearing-message timer of a conversation as a labelled select:
 * off, 30 seconds, 5 minutes, 1 hour, 1 day, 1 week. Either side of a direct
 * chat may change it; in a group only admins (the select is then read-only and
 * says so).
 */
import { For, type JSX } from 'solid-js';
import { timerLabel } from '../lib/format.ts';
import { TIMER_CHOICES_MS, type TimerChoice } from '../lib/protocol.ts';
import { call } from '../lib/rpc-client.ts';
import { useAction } from '../lib/use-action.ts';
import { ErrorLine } from './ErrorLine.tsx';

export function TimerSelect(props: {
  conversationId: string;
  timerMs: number;
  /** False: shown, not changeable (group members who are not admins). */
  canChange: boolean;
  description: string;
}): JSX.Element {
  const { busy, error, run } = useAction();
  const change = (timerMs: TimerChoice) =>
    run(() => call('setTimer', { conversationId: props.conversationId, timerMs }));
  return (
    <div class="setting setting--stack">
      <div class="setting__row">
        <div class="setting__text">
          <label class="setting__label" for="timer-select">
            Disappearing messages
          </label>
          <div class="setting__desc" id="timer-desc">
            {props.description}
          </div>
        </div>
        <select
          id="timer-select"
          class="select"
          aria-describedby="timer-desc"
          value={String(props.timerMs)}
          disabled={!props.canChange || busy()}
          onChange={(e) => {
            const ms = Number(e.currentTarget.value);
            const choice = TIMER_CHOICES_MS.find((c) => c === ms);
            if (choice !== undefined) void change(choice);
          }}
        >
          <For each={TIMER_CHOICES_MS}>
            {(ms) => <option value={String(ms)}>{timerLabel(ms)}</option>}
          </For>
        </select>
      </div>
      <ErrorLine error={error()} />
    </div>
  );
}
