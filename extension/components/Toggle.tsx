/** A labelled on/off switch (Kobalte: a real checkbox underneath, role="switch", keyboard and label wiring). */
import { Switch } from '@kobalte/core/switch';
import type { JSX } from 'solid-js';

export function Toggle(props: {
  label: string;
  description: string;
  checked: boolean;
  disabled?: boolean;
  onChange: (checked: boolean) => void;
}): JSX.Element {
  return (
    <Switch
      class="setting"
      checked={props.checked}
      disabled={props.disabled ?? false}
      onChange={(checked: boolean) => props.onChange(checked)}
    >
      <div class="setting__text">
        <Switch.Label class="setting__label">{props.label}</Switch.Label>
        <Switch.Description class="setting__desc">{props.description}</Switch.Description>
      </div>
      <span class="switch">
        <Switch.Input class="switch__input sr-only" />
        <Switch.Control class="switch__control">
          <Switch.Thumb class="switch__thumb" />
        </Switch.Control>
      </span>
    </Switch>
  );
}
