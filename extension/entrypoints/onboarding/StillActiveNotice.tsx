/**
 * Restore, before the snapshot choice: another device of the account
 * connected within the last 14 days (docs/extension.md, "Backups"), so
 * linking from it is the better way: it brings everything, messages newer
 * than the backup included. Linking is the primary action; "Restore anyway"
 * goes on. Focus moves to the heading when it appears, so a screen reader
 * announces it.
 */
import { type JSX, onMount } from 'solid-js';
import { Icon } from '../../components/Icon.tsx';
import { agoLabel, fullDateTime } from '../../lib/format.ts';

/** The notice's sentence for a device last active at `lastSeenAt`. */
export function stillActiveLine(lastSeenAt: number, now: number): string {
  return `Your account is still active on another device (last active ${agoLabel(lastSeenAt, now)}). Linking this browser from that device keeps everything, including messages since the last backup.`;
}

export function StillActiveNotice(props: {
  lastSeenAt: number;
  now: number;
  onLink: () => void;
  onRestoreAnyway: () => void;
}): JSX.Element {
  let heading: HTMLHeadingElement | undefined;
  onMount(() => heading?.focus());
  return (
    <section
      class="notice notice--request still-active"
      aria-labelledby="restore-alive-heading"
      aria-describedby="restore-alive-line"
      data-restore-alive
    >
      <h3 class="notice__title" id="restore-alive-heading" tabindex="-1" ref={heading}>
        <Icon name="alert" />
        Another device is still active
      </h3>
      <p id="restore-alive-line" title={fullDateTime(props.lastSeenAt)}>
        {stillActiveLine(props.lastSeenAt, props.now)}
      </p>
      <div class="notice__actions">
        <button type="button" class="btn btn--primary" onClick={() => props.onLink()}>
          Link this browser instead
        </button>
        <button type="button" class="btn" onClick={() => props.onRestoreAnyway()}>
          Restore anyway
        </button>
      </div>
    </section>
  );
}
