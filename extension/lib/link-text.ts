/**
 * What a person reads about a link in progress (docs/extension.md, "Linked
 * devices"): one status sentence per phase, for either side. Pure.
 *
 * Runs in: pages.
 */
import { ErrorCode } from '../../shared/errors.ts';
import { LINK_MAX_STRIKES } from '../../shared/wire/limits.ts';
import type { LinkState } from './protocol.ts';

export interface LinkLine {
  readonly text: string;
  /** A failure: the flow is over; offer a new code or another try. */
  readonly failed: boolean;
}

function failureText(state: LinkState): string {
  const reason = state.failure?.reason;
  if (state.failure?.code !== ErrorCode.LINK_FAILED)
    return 'Linking stopped because of an error. Try again.';
  switch (reason) {
    case 'strikes':
      return 'The code was typed wrong three times, so it no longer works. Get a new code.';
    case 'expired':
      return state.role === 'new'
        ? 'The code expired. Get a new code.'
        : 'No browser is waiting with this code. It may have expired: check the code, or get a new one on the new browser.';
    case 'declined':
      return state.role === 'new'
        ? 'The other browser declined. Get a new code to try again.'
        : 'You declined. Nothing was sent.';
    case 'confirmation':
      // Path B: the new browser gave up after three wrong check codes.
      return state.checkCode === undefined
        ? 'That code did not match. Check it and type it again.'
        : 'The check code was typed wrong on the new browser. Nothing was sent. Start again there.';
    case 'check-code':
      return 'The check code was typed wrong three times. Nothing was linked. Start again.';
    default:
      return 'Linking did not complete. Start again.';
  }
}

/** The new browser is linked but its message history did not come: say so, and why. */
const MISSING_HISTORY: Record<NonNullable<LinkState['historyMissing']>, string> = {
  expired:
    ' Your message history could not be transferred: the relay keeps it for one hour only, and that hour is over. New messages arrive here as usual.',
  interrupted:
    ' Your message history could not be transferred: the other browser stopped before sending it. New messages arrive here as usual.',
  failed: ' Your message history could not be transferred. New messages arrive here as usual.',
};

function missingText(state: LinkState): string {
  return state.historyMissing === undefined ? '' : MISSING_HISTORY[state.historyMissing];
}

export function linkLine(state: LinkState): LinkLine {
  switch (state.phase) {
    case 'idle':
    case 'starting':
      if (state.checkCode !== undefined)
        return { text: 'Waiting for the check code on the new browser…', failed: false };
      return {
        text: state.role === 'new' ? 'Getting a code…' : 'Looking for the new browser…',
        failed: false,
      };
    case 'check': {
      const left = LINK_MAX_STRIKES - (state.checkMisses ?? 0);
      return {
        text:
          (state.checkMisses ?? 0) === 0
            ? 'Your other browser answered. Type the check code it shows.'
            : `That check code does not match: ${left} ${left === 1 ? 'try' : 'tries'} left.`,
        failed: false,
      };
    }
    case 'waiting': {
      const left = LINK_MAX_STRIKES - state.strikes;
      return {
        text:
          state.strikes === 0
            ? 'Waiting for your other browser…'
            : `A wrong code was typed on the other browser: ${left} ${left === 1 ? 'try' : 'tries'} left.`,
        failed: false,
      };
    }
    case 'confirm':
      return {
        text:
          state.role === 'new'
            ? 'The check code matches. Approve on your other browser.'
            : 'Waiting for your decision.',
        failed: false,
      };
    case 'sending':
      return { text: 'Approved. Sending the account to the new browser…', failed: false };
    case 'registering':
      return { text: 'Approved. Adding this browser to your account…', failed: false };
    case 'history':
      return {
        text:
          state.historyPercent === undefined
            ? 'Receiving history…'
            : `Receiving history… ${state.historyPercent} %`,
        failed: false,
      };
    case 'done':
      return {
        text:
          state.role === 'new'
            ? `Done: this browser is linked.${missingText(state)}`
            : `Done: ${state.deviceName ?? 'the new browser'} is linked.`,
        failed: false,
      };
    case 'failed':
      return { text: failureText(state), failed: true };
  }
}

/**
 * Whether a Cancel button belongs on the screen: not once the account is on
 * its way (approved: sending, registering, history) nor when the flow is over.
 */
export function offersCancel(state: LinkState): boolean {
  switch (state.phase) {
    case 'sending':
    case 'registering':
    case 'history':
    case 'done':
    case 'failed':
      return false;
    default:
      return true;
  }
}
