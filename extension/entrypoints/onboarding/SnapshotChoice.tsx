/**
 * Restore's second step (docs/extension.md, "Backups"): the relay's
 * snapshots for this recovery key and account, newest first and chosen by
 * default, as a native radio group (arrow keys move the choice). Focus goes
 * to the heading when the list appears, so a screen reader announces it.
 */
import { For, type JSX, onMount } from 'solid-js';
import { fullDateTime } from '../../lib/format.ts';
import type { RestoreSnapshot } from '../../lib/protocol.ts';

/** "Backup 3, Monday, 7 December 2026 at 10:02 (newest)". */
export function snapshotLabel(snapshot: RestoreSnapshot, newest: boolean): string {
  return `Backup ${snapshot.seq}, ${fullDateTime(snapshot.storedAt)}${newest ? ' (newest)' : ''}`;
}

export function SnapshotChoice(props: {
  snapshots: readonly RestoreSnapshot[];
  chosen: number;
  onChoose: (seq: number) => void;
}): JSX.Element {
  let heading: HTMLHeadingElement | undefined;
  onMount(() => heading?.focus());
  return (
    <div
      class="field snapshot-choice"
      role="radiogroup"
      aria-labelledby="restore-snapshots-heading"
      aria-describedby="restore-snapshots-hint"
    >
      <h3 id="restore-snapshots-heading" tabindex="-1" ref={heading}>
        Choose a backup
      </h3>
      <span class="field__hint" id="restore-snapshots-hint">
        The relay keeps your last two backups. The restore shows the date signed inside the one you
        choose.
      </span>
      <For each={props.snapshots}>
        {(snapshot, i) => (
          <label class="check-row">
            <input
              type="radio"
              name="restore-snapshot"
              value={snapshot.seq}
              checked={props.chosen === snapshot.seq}
              onChange={() => props.onChoose(snapshot.seq)}
            />
            {snapshotLabel(snapshot, i() === 0)}
          </label>
        )}
      </For>
    </div>
  );
}
