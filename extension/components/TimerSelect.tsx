/**
 * The disappearing-message timer of a conversation: off, 30 seconds,
 * 5 minutes, 1 hour, 1 day, 1 week. Either side of a direct chat may change
 * it; in a group only admins (others see it as text).
 *
 * A menu of choices (Kobalte: a button that opens a menu of radio items), not
 * a native select: a select commits on every arrow key, and each change is
 * sent to the peer, so arrowing from "Off" to "1 hour" would announce
 * "30 seconds" and "5 minutes" on the way. Here arrows only move within the
 * open menu; Enter, Space or a click commits one choice, and the menu closes
 * with focus back on its button (docs/extension.md, "Focus and keyboard").
 */
import { DropdownMenu } from '@kobalte/core/dropdown-menu';
import { For, type JSX, Show } from 'solid-js';
import { timerLabel } from '../lib/format.ts';
import { TIMER_CHOICES_MS, type TimerChoice } from '../lib/protocol.ts';
import { call } from '../lib/rpc-client.ts';
import { useAction } from '../lib/use-action.ts';
import { ErrorLine } from './ErrorLine.tsx';
import { Icon } from './Icon.tsx';

export function TimerSelect(props: {
  conversationId: string;
  timerMs: number;
  /** False: shown, not changeable (group members who are not admins). */
  canChange: boolean;
  description: string;
}): JSX.Element {
  const { busy, error, run } = useAction();
  const choose = (value: string) => {
    const timerMs: TimerChoice | undefined = TIMER_CHOICES_MS.find((c) => String(c) === value);
    if (timerMs === undefined || timerMs === props.timerMs) return;
    void run(() => call('setTimer', { conversationId: props.conversationId, timerMs }));
  };
  return (
    <div class="setting setting--stack">
      <div class="setting__row">
        <div class="setting__text">
          <span class="setting__label" id="timer-label">
            Disappearing messages
          </span>
          <div class="setting__desc" id="timer-desc">
            {props.description}
          </div>
        </div>
        <Show
          when={props.canChange}
          fallback={
            <span class="select select--readonly" id="timer-value">
              {timerLabel(props.timerMs)}
            </span>
          }
        >
          <DropdownMenu gutter={4} placement="bottom-end">
            <DropdownMenu.Trigger
              id="timer-select"
              class="select select--menu"
              aria-labelledby="timer-label timer-value"
              aria-describedby="timer-desc"
              aria-disabled={busy()}
              aria-busy={busy()}
            >
              <span id="timer-value">{timerLabel(props.timerMs)}</span>
              <Icon name="chevron" class="select__chevron" />
            </DropdownMenu.Trigger>
            <DropdownMenu.Portal>
              <DropdownMenu.Content class="menu" aria-labelledby="timer-label">
                <DropdownMenu.RadioGroup value={String(props.timerMs)} onChange={choose}>
                  <For each={TIMER_CHOICES_MS}>
                    {(ms) => (
                      <DropdownMenu.RadioItem class="menu__item" value={String(ms)} closeOnSelect>
                        <DropdownMenu.ItemIndicator class="menu__check">
                          <Icon name="check" class="menu__check-icon" />
                        </DropdownMenu.ItemIndicator>
                        <DropdownMenu.ItemLabel>{timerLabel(ms)}</DropdownMenu.ItemLabel>
                      </DropdownMenu.RadioItem>
                    )}
                  </For>
                </DropdownMenu.RadioGroup>
              </DropdownMenu.Content>
            </DropdownMenu.Portal>
          </DropdownMenu>
        </Show>
      </div>
      <ErrorLine error={error()} />
    </div>
  );
}
