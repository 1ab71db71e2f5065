/**
 * Linking a device, run in the worker (docs/extension.md, "Linked devices"):
 * the client core's two sides (shared/client/linking/) take minutes and wait
 * on the person, so they run here, one at a time, and pages read their state
 * (`linkStatus`) and answer what the flow asks (`linkDecide`). A job never
 * holds a secret in its state: only the code to show, the other device's
 * name, and the phase.
 *
 * The existing side's `approve` resolves only through `decide(true)`, and that
 * needs a fresh user verification (user-verification.ts); the session token
 * that verification produced is the one handed to the new device. The same
 * answer says whether the message history goes along (docs/protocol.md,
 * "History transfer").
 *
 * Path B (docs/protocol.md, "Linking a device"): the new side shows a link
 * string instead of a code, and once the other browser answered it waits in
 * phase `check` for the 6-digit check code the person types (`answerCheckCode`);
 * the existing side shows that check code (`checkCode`) until the new side
 * confirms, then asks for approval exactly as on path A.
 *
 * The new side imports the history before its client starts and drains the
 * queue: `start` runs only once the core's flow is over (Signal's order; the
 * core skips what arrives twice). Once registered the browser is linked,
 * whatever becomes of the history: a history that did not come is a note on
 * the `done` state (`historyMissing`), never a failed link. The history offer
 * is kept in the client's records (sealed with the vault key like every
 * record, never in chrome.storage) until the archive is imported, so a worker
 * stopped mid-download resumes it on its next start or unlock
 * (`resumeHistory`), within the relay's hour.
 *
 * Runs in: the service worker and Node (tests).
 */

import type { FetchLike as BlobFetch } from '../../../shared/attachments/relay-http.ts';
import type { FetchLike, Timers } from '../../../shared/client/deps.ts';
import { approveLink } from '../../../shared/client/linking/existing-device.ts';
import {
  historyReceiverFor,
  historySenderFor,
} from '../../../shared/client/linking/history-bindings.ts';
import { resumePendingHistory } from '../../../shared/client/linking/history-resume.ts';
import type { LinkPayload } from '../../../shared/client/linking/link-payload.ts';
import { type HistoryResult, linkAsNewDevice } from '../../../shared/client/linking/new-device.ts';
import type { ParleyClient } from '../../../shared/client/parley-client.ts';
import { RelayApi } from '../../../shared/client/relay/relay-api.ts';
import type { AccountInfo } from '../../../shared/client/views.ts';
import type { Random } from '../../../shared/crypto/random.ts';
import { ErrorCode, isParleyError } from '../../../shared/errors.ts';
import type { SessionResponse } from '../../../shared/wire/rest-auth.ts';
import { ExtErrorCode, extError, toWireError } from '../../lib/errors.ts';
import type { LinkState } from '../../lib/protocol.ts';
import type { UserVerification } from './user-verification.ts';

export interface LinkJobDeps {
  readonly fetch: FetchLike;
  /** Uploads and downloads of the history archive (the relay's blob URLs). */
  readonly blobFetch: BlobFetch;
  readonly timers: Timers;
  readonly now: () => number;
  readonly random: Random;
  readonly origin?: string;
  readonly pollMs?: number;
  readonly client: ParleyClient;
  readonly verification: UserVerification;
  /** The state changed: tell pages (they re-read `linkStatus`). */
  readonly changed: () => void;
}

const IDLE: LinkState = { role: 'none', phase: 'idle', strikes: 0 };

interface Running {
  cancelled: boolean;
  decide: ((approve: boolean) => void) | undefined;
  session: SessionResponse | undefined;
  /** Existing side: send the message history too (the approval screen's toggle). */
  history: boolean;
  /** New side, path B: hands the typed check code to the core's `askCheckCode`. */
  answer: { resolve: (code: string) => void; reject: (error: unknown) => void } | undefined;
}

/** The note on the new side's `done` state for a history that did not come (none on purpose: no note). */
function missingOf(history: HistoryResult): Pick<LinkState, 'historyMissing'> {
  if (history.imported) return {};
  switch (history.reason) {
    case 'expired':
    case 'failed':
    case 'interrupted':
      return { historyMissing: history.reason };
    default:
      return {};
  }
}

/** Blob bytes in, as the percentage the new browser shows. */
function percentOf(done: number | undefined, total: number | undefined): number | undefined {
  if (done === undefined || total === undefined || total <= 0) return undefined;
  return Math.min(100, Math.floor((done * 100) / total));
}

export class LinkJobs {
  readonly #d: LinkJobDeps;
  #state: LinkState = IDLE;
  #running: Running | undefined;
  #resuming = false;

  constructor(deps: LinkJobDeps) {
    this.#d = deps;
  }

  state(): LinkState {
    return this.#state;
  }

  #set(next: Partial<LinkState>, job: Running): void {
    if (job !== this.#running) return;
    this.#state = { ...this.#state, ...next };
    this.#d.changed();
  }

  /** An API whose requests fail once the job was cancelled: the core's polling loops end with it. */
  #api(relayUrl: string, job: Running): RelayApi {
    const base = this.#d.fetch;
    return new RelayApi({
      baseUrl: relayUrl,
      fetch: (url, init) =>
        job.cancelled
          ? Promise.reject(extError(ExtErrorCode.LINK_NOT_RUNNING, 'Linking was cancelled'))
          : base(url, init),
      now: this.#d.now,
      timers: this.#d.timers,
      ...(this.#d.origin === undefined ? {} : { origin: this.#d.origin }),
    });
  }

  /** Blob requests that fail once the job was cancelled, as the relay's do. */
  #blobFetch(job: Running): BlobFetch {
    const base = this.#d.blobFetch;
    return (url, init) =>
      job.cancelled
        ? Promise.reject(extError(ExtErrorCode.LINK_NOT_RUNNING, 'Linking was cancelled'))
        : base(url, init);
  }

  #begin(state: LinkState): Running {
    if (this.#running !== undefined) this.cancel();
    const job: Running = {
      cancelled: false,
      decide: undefined,
      session: undefined,
      history: true,
      answer: undefined,
    };
    this.#running = job;
    this.#state = state;
    this.#d.changed();
    return job;
  }

  #finish(job: Running, run: Promise<Partial<LinkState>>): void {
    void run.then(
      (done) => this.#set({ ...done, phase: 'done' }, job),
      (error: unknown) => {
        if (job.cancelled) return;
        const wire = toWireError(error);
        const detail = isParleyError(error, ErrorCode.LINK_FAILED)
          ? error.details?.reason
          : undefined;
        const reason = typeof detail === 'string' ? detail : undefined;
        this.#set(
          {
            phase: 'failed',
            failure: { code: wire.code, ...(reason === undefined ? {} : { reason }) },
          },
          job,
        );
      },
    );
  }

  /**
   * The new browser: open a rendezvous, show the code, register when the
   * payload comes, import the history, and only then `start` the client
   * (also when the history failed: the account is registered by then).
   */
  startNew(input: {
    readonly relayUrl: string;
    readonly deviceName: string;
    /** 'code' (path A, default) or 'string' (path B: link string and check code). */
    readonly path?: 'code' | 'string';
    readonly register: (payload: LinkPayload) => Promise<AccountInfo>;
    readonly start: () => Promise<void>;
  }): LinkState {
    const job = this.#begin({ role: 'new', phase: 'starting', strikes: 0 });
    let registered = false;
    const linked = linkAsNewDevice({
      api: this.#api(input.relayUrl, job),
      random: this.#d.random,
      timers: this.#d.timers,
      now: this.#d.now,
      deviceName: input.deviceName,
      path: input.path ?? 'code',
      ...(this.#d.pollMs === undefined ? {} : { pollMs: this.#d.pollMs }),
      onInvitation: (i) =>
        this.#set(
          {
            phase: 'waiting',
            ...(i.code === undefined ? {} : { code: i.code }),
            ...(i.linkString === undefined ? {} : { linkString: i.linkString }),
            expiresAt: i.expiresAt,
          },
          job,
        ),
      askCheckCode: (attempt) =>
        new Promise<string>((resolve, reject) => {
          job.answer = { resolve, reject };
          this.#set({ phase: 'check', checkMisses: attempt - 1 }, job);
        }),
      onCheckCodeMatched: () => this.#set({ phase: 'confirm' }, job),
      onStrike: (strikes) => this.#set({ strikes }, job),
      register: async (payload) => {
        this.#set({ phase: 'registering' }, job);
        const info = await input.register(payload);
        registered = true;
        return info;
      },
      historyReceiver: historyReceiverFor(this.#d.client, this.#blobFetch(job)),
      onProgress: (p) => {
        if (p.phase !== 'history') return;
        const percent = percentOf(p.doneBytes, p.totalBytes);
        this.#set(
          { phase: 'history', ...(percent === undefined ? {} : { historyPercent: percent }) },
          job,
        );
      },
    });
    const run = linked.then(
      async (info): Promise<Partial<LinkState>> => {
        await input.start();
        return { handle: info.handle, ...missingOf(info.history) };
      },
      async (error: unknown): Promise<Partial<LinkState>> => {
        if (!registered) throw error;
        // Registered and listed: the browser is linked; only the history did not come.
        await input.start();
        if (job.cancelled) throw error;
        const handle = this.#d.client.account()?.handle;
        return { ...(handle === undefined ? {} : { handle }), historyMissing: 'failed' };
      },
    );
    this.#finish(job, run);
    return this.#state;
  }

  /**
   * On worker start and after an unlock: a history download this browser did
   * not finish (its worker was stopped) starts again from the offer kept in
   * the sealed records. Nothing pending, locked, or a link running: nothing
   * happens. A blob that is gone (the relay's hour) or damaged ends as `done`
   * with `historyMissing`; a network failure keeps the offer for the next try.
   */
  async resumeHistory(): Promise<void> {
    const { client } = this.#d;
    const relayUrl = client.account()?.relayUrl;
    if (relayUrl === undefined || this.#running !== undefined || this.#resuming) return;
    this.#resuming = true;
    let job: Running | undefined;
    try {
      const pending = await client.archive.pendingTransfer.get();
      if (pending === undefined || this.#running !== undefined) return;
      const current = this.#begin({ role: 'new', phase: 'history', strikes: 0 });
      job = current;
      const handle = client.account()?.handle;
      const done = (history: HistoryResult): Partial<LinkState> => ({
        ...(handle === undefined ? {} : { handle }),
        ...missingOf(history),
      });
      const history = await resumePendingHistory({
        pending: async () => pending,
        receiver: historyReceiverFor(client, this.#blobFetch(current)),
        relayUrl,
        deps: { random: this.#d.random, timers: this.#d.timers },
        onProgress: (p) => {
          const percent = percentOf(p.doneBytes, p.totalBytes);
          this.#set(
            { phase: 'history', ...(percent === undefined ? {} : { historyPercent: percent }) },
            current,
          );
        },
      }).then(
        (result) => (result === undefined ? undefined : done(result)),
        (error: unknown) => {
          if (isParleyError(error, ErrorCode.ARCHIVE_DAMAGED))
            return done({ imported: false, reason: 'failed' });
          throw error;
        },
      );
      if (history !== undefined) this.#set({ ...history, phase: 'done' }, current);
      else if (current === this.#running) this.cancel();
    } catch {
      // Locked, offline or cancelled: the offer stays for the next start or unlock.
      if (job !== undefined && job === this.#running) this.cancel();
    } finally {
      this.#resuming = false;
    }
  }

  /** An existing device: the code the person typed; approval waits for `decide`. */
  startExisting(input: { readonly relayUrl: string; readonly code: string }): LinkState {
    const job = this.#begin({ role: 'existing', phase: 'starting', strikes: 0 });
    const { client } = this.#d;
    const run = approveLink({
      api: this.#api(input.relayUrl, job),
      random: this.#d.random,
      timers: this.#d.timers,
      now: this.#d.now,
      code: input.code,
      ...(this.#d.pollMs === undefined ? {} : { pollMs: this.#d.pollMs }),
      onCheckCode: (checkCode) => this.#set({ checkCode }, job),
      approve: ({ deviceName }) =>
        new Promise<boolean>((resolve) => {
          job.decide = resolve;
          this.#set({ phase: 'confirm', deviceName }, job);
        }),
      session: async () => {
        const session = job.session;
        job.session = undefined;
        if (session === undefined)
          throw extError(ExtErrorCode.USER_VERIFICATION_REQUIRED, 'No verified session');
        return session;
      },
      identity: () => client.exportIdentity(),
      ensureListed: () => client.signedDeviceList.ensureSelfListed(),
      settings: () => client.getSettings(),
      // Read once approved: the approval screen's toggle comes with `decide`.
      get history() {
        return job.history;
      },
      historySender: historySenderFor(client, this.#blobFetch(job)),
    }).then((linked) => ({ deviceName: linked.deviceName, deviceId: linked.deviceId }));
    this.#finish(job, run);
    return this.#state;
  }

  /**
   * The person's answer on the warning screen. Approving takes a fresh user
   * verification (USER_VERIFICATION_REQUIRED otherwise: the flow keeps waiting);
   * `history` false sends the account without the messages.
   */
  decide(approve: boolean, history = true): LinkState {
    const job = this.#running;
    if (job?.decide === undefined || this.#state.phase !== 'confirm')
      throw extError(ExtErrorCode.LINK_NOT_RUNNING, 'No link is waiting for approval');
    if (approve) job.session = this.#d.verification.take().session;
    job.history = history;
    const decide = job.decide;
    job.decide = undefined;
    this.#set(
      {
        phase: approve ? 'sending' : 'failed',
        ...(approve ? {} : { failure: { code: ErrorCode.LINK_FAILED, reason: 'declined' } }),
      },
      job,
    );
    decide(approve);
    return this.#state;
  }

  /**
   * Path B, new side: the check code the person typed. Resolves once the core
   * checked it: phase `check` again (with one more miss) when it was wrong,
   * `confirm` (waiting for the other browser's approval) when it matched.
   * After the last wrong one the job fails once the other side was told.
   */
  async answerCheckCode(code: string): Promise<LinkState> {
    const job = this.#running;
    const answer = job?.answer;
    if (job === undefined || answer === undefined || this.#state.phase !== 'check')
      throw extError(ExtErrorCode.LINK_NOT_RUNNING, 'No link is waiting for a check code');
    job.answer = undefined;
    answer.resolve(code);
    // The core checks the code in a few microtasks: answer with where that left the link.
    await new Promise<void>((resolve) => this.#d.timers.setTimeout(resolve, 0));
    return this.#state;
  }

  /** Stops the running job (its requests fail from now on); the state goes back to idle. */
  cancel(): LinkState {
    const job = this.#running;
    if (job !== undefined) {
      job.cancelled = true;
      job.decide?.(false);
      job.answer?.reject(extError(ExtErrorCode.LINK_NOT_RUNNING, 'Linking was cancelled'));
    }
    this.#running = undefined;
    this.#state = IDLE;
    this.#d.changed();
    return this.#state;
  }
}
