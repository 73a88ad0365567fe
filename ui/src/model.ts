// What the window shows, derived from the last status and what the user just did. Pure: the
// reducers return a new UiState, `present` turns one into a ViewModel that view.ts draws.

import {
  KEYCHAIN_CODES,
  SETTINGS_CODES,
  isOneOf,
  type DisconnectNotice,
  type ErrorInfo,
  type SignInStarted,
  type State,
  type Status,
} from "./contract.ts";
import {
  agoAfterAnHour,
  agoAfterAnHourChangesIn,
  countdown,
  countdownChangesIn,
  formatDateTime,
  parseInstant,
  relativeTime,
  relativeTimeChangesIn,
  type DateOptions,
} from "./format.ts";

/** The buttons of the status panel, by element id. */
export type Action = "connect" | "cancel" | "open-again" | "refresh" | "try-again" | "open-settings" | "make-default"
  | "disconnect";

export const WAITING_TEXT = "Waiting for Kanka in your browser…";
export const REFRESHING_TEXT = "Refreshing…";

export type Tone = "error" | "info";

/** Each state in words, for the footer: people read these, the tests read the raw name beside them. */
export const STATE_LABELS: Record<State, string> = {
  disconnected: "Not connected",
  connecting: "Waiting for the sign-in",
  connected: "Connected",
  refreshing: "Refreshing",
  reconnect_needed: "Needs a new sign-in",
  error: "Stopped by a problem",
};

/** A message from the window itself (a command's answer or failure), as opposed to the core's last error. */
export interface Notice {
  text: string;
  hint: string | null;
  tone: Tone;
  /** Offer "Open Kanka's settings" with it (after a disconnect). */
  kankaSettings: boolean;
  /** Belongs to the sign-in in progress and goes when it ends. */
  whileWaiting: boolean;
  /** The core's last error when the notice was made: a different one replaces the notice. */
  seenError: string | null;
}

interface SignIn {
  /** What `connect` answered; null while that call is in flight. */
  started: SignInStarted | null;
  /** A "connecting" status arrived since the user clicked Connect. */
  sawConnecting: boolean;
}

export interface UiState {
  status: Status | null;
  signIn: SignIn | null;
  notice: Notice | null;
  /** The core's last error as it was when the user last acted: news only until then. */
  dismissedError: string | null;
  /** The button whose command is in flight. */
  busy: string | null;
}

export const initialUi: UiState = { status: null, signIn: null, notice: null, dismissedError: null, busy: null };

/** "command" clears the messages, "sign-in" also starts waiting, "side" (open a page, copy) changes nothing. */
export type Effect = "command" | "sign-in" | "side";

export function errorKey(error: ErrorInfo | null | undefined): string | null {
  return error ? `${error.code}\n${error.message}` : null;
}

export function hasConnection(status: Status | null): boolean {
  return status !== null && (status.expires_at !== null || status.account !== null);
}

export function isWaiting(ui: UiState): boolean {
  return ui.status?.state === "connecting" || (ui.signIn?.started ?? null) !== null;
}

/** Notices of a sign-in go with it. */
function settle(ui: UiState): UiState {
  return ui.notice?.whileWaiting && !isWaiting(ui) ? { ...ui, notice: null } : ui;
}

function makeNotice(ui: UiState, text: string, hint: string | null, tone: Tone, extra: Partial<Notice> = {}): Notice {
  return { text, hint, tone, kankaSettings: false, whileWaiting: false, seenError: errorKey(ui.status?.last_error), ...extra };
}

export function receiveStatus(ui: UiState, status: Status): UiState {
  let { signIn, notice, dismissedError } = ui;
  if (signIn) {
    // The sign-in ends with the first other state after "connecting" (or after `connect` answered).
    if (status.state === "connecting") signIn = { ...signIn, sawConnecting: true };
    else if (signIn.sawConnecting || signIn.started) {
      signIn = null;
      // Its outcome is news even when it reads as the error the user acted on: the same refusal
      // twice (Kanka signed in the account another connection holds, again) is said twice.
      if (ui.signIn?.sawConnecting) dismissedError = null;
    }
  }
  const key = errorKey(status.last_error);
  if (notice && key !== null && key !== notice.seenError) notice = null;
  return settle({ ...ui, status, signIn, notice, dismissedError });
}

/** A status a command answered with: its error is news even if it is the one the user acted on. */
export function answered(ui: UiState, status: Status): UiState {
  return receiveStatus({ ...ui, dismissedError: null }, status);
}

export function begin(ui: UiState, button: string, effect: Effect): UiState {
  if (effect === "side") return { ...ui, busy: button };
  const next: UiState = { ...ui, busy: button, notice: null, dismissedError: errorKey(ui.status?.last_error) };
  if (effect === "sign-in") next.signIn = { started: null, sawConnecting: false };
  return settle(next);
}

export function finish(ui: UiState): UiState {
  return { ...ui, busy: null };
}

export function fail(ui: UiState, error: ErrorInfo): UiState {
  // A sign-in whose `connect` failed never started.
  const signIn = ui.signIn && !ui.signIn.started ? null : ui.signIn;
  return settle({ ...ui, busy: null, signIn, notice: makeNotice(ui, error.message, error.hint, "error") });
}

export function notify(ui: UiState, text: string, hint: string | null, tone: Tone, whileWaiting = false): UiState {
  return settle({ ...ui, notice: makeNotice(ui, text, hint, tone, { whileWaiting }) });
}

/** A sign-in that was already waiting when the window opened (the app restarted): its page. */
export function signInResumed(ui: UiState, page: SignInStarted | null): UiState {
  if (!page || ui.status?.state !== "connecting" || ui.signIn?.started) return ui;
  return settle({ ...ui, signIn: { started: page, sawConnecting: true } });
}

/** Whether the window waits for a sign-in whose page it does not know. */
export function needsSignInPage(ui: UiState): boolean {
  return ui.status?.state === "connecting" && !ui.signIn && ui.busy === null;
}

export function signInStarted(ui: UiState, started: SignInStarted): UiState {
  // Already over (its statuses came first): nothing to wait for.
  if (!ui.signIn) return ui;
  const next: UiState = { ...ui, signIn: { ...ui.signIn, started } };
  // An address comes only when no browser could be opened.
  if (started.url === null) return next;
  return notify(
    next,
    "No browser could be opened.",
    "Copy the address below into a browser to sign in to Kanka.",
    "info",
    true,
  );
}

export function cancelled(ui: UiState, status: Status): UiState {
  const next = receiveStatus({ ...ui, signIn: null }, status);
  const news = status.last_error && errorKey(status.last_error) !== next.dismissedError;
  return next.notice || news ? next : notify(next, "The sign-in was cancelled.", null, "info");
}

export function disconnected(ui: UiState, answer: DisconnectNotice): UiState {
  return settle({
    ...ui,
    signIn: null,
    notice: makeNotice(ui, answer.message, null, "info", { kankaSettings: true }),
  });
}

/** The button that fixes an error. */
export function fixFor(error: ErrorInfo | null, connected: boolean): Action {
  if (error && isOneOf(SETTINGS_CODES, error.code)) return "open-settings";
  if (error && isOneOf(KEYCHAIN_CODES, error.code)) return "try-again";
  return connected ? "refresh" : "connect";
}

export interface Message {
  text: string;
  hint: string | null;
  tone: Tone;
}

/** A line such as "Token expires: 27/11/2027, 11:59 (in 365 days)". */
export interface When {
  label: string;
  /** The instant as the core sent it, for a <time datetime>; null if it sent none. */
  datetime: string | null;
  date: string;
  relative: string;
}

export interface Details {
  account: string;
  /** Connected, but the account name is still being fetched. */
  accountPending: boolean;
  expires: When;
  lastRefresh: When;
  nextRefresh: When | null;
}

export interface ViewModel {
  /** The raw state name, "" before the first status. */
  state: string;
  /** The state in words, "" before the first status. */
  stateLabel: string;
  progress: string;
  message: Message | null;
  kankaSettings: boolean;
  /** The "not connected" explanation. */
  intro: boolean;
  waiting: { url: string | null; remaining: string | null } | null;
  details: Details | null;
  actions: Action[];
  primary: Action | null;
  disabled: Action[];
  busy: string | null;
  /** "Disconnect" reads "Remove": an added connection that holds no account yet goes from the list. */
  removes: boolean;
  /** Milliseconds until time-dependent text reads differently; null when none is shown. */
  redrawIn: number | null;
}

/** Whether the message shown is the core's last error, rather than a notice: told by where the
 * message comes from, never by comparing its words. */
export function showsError(ui: UiState): boolean {
  const status = ui.status;
  if (ui.notice || !status?.last_error) return false;
  // In these states the error is the state itself; elsewhere it is news until the user acts.
  const standing = status.state === "error" || status.state === "reconnect_needed";
  return standing || errorKey(status.last_error) !== ui.dismissedError;
}

function messageOf(ui: UiState): Message | null {
  if (ui.notice) return { text: ui.notice.text, hint: ui.notice.hint, tone: ui.notice.tone };
  const status = ui.status;
  if (!status) return null;
  const error = status.last_error;
  if (error && showsError(ui)) return { text: error.message, hint: error.hint, tone: "error" };
  // A link that answered no sign-in: news that changed nothing, and hides no error.
  if (status.notice) return { text: status.notice.message, hint: status.notice.hint, tone: "info" };
  // A reconnect always comes with the core's own error, which says who and what to do (status.rs).
  if (status.state === "error") return { text: "Kanka Link ran into a problem.", hint: null, tone: "error" };
  return null;
}

function when(label: string, iso: string | null, dates: DateOptions, describe: (at: Date) => string): When {
  const at = parseInstant(iso);
  return at
    ? { label, datetime: iso, date: formatDateTime(at, dates), relative: describe(at) }
    : { label, datetime: null, date: "unknown", relative: "" };
}

function detailsOf(status: Status, now: Date, dates: DateOptions): Details {
  const name = status.account?.name ?? null;
  const reconnect = status.state === "reconnect_needed";
  const account = reconnect
    ? name ? `Was connected as ${name}` : "Was connected"
    : name ? `Connected as ${name}` : "Connected";
  const relative = (at: Date) => relativeTime(at, now);
  return {
    account,
    accountPending: !reconnect && name === null,
    expires: when("Token expires:", status.expires_at, dates, (at) =>
      at > now ? relative(at) : `expired ${relative(at)}`,
    ),
    lastRefresh: when("Last refresh:", status.refreshed_at, dates, (at) => agoAfterAnHour(at, now)),
    nextRefresh:
      reconnect || status.next_refresh_at === null
        ? null
        : when("Next refresh:", status.next_refresh_at, dates, (at) => (at > now ? relative(at) : "due now")),
  };
}

/** When the first of the shown instants' texts changes: its relative part ("in 3 hours"), or
 * "in …" turning into "expired …" or "due now" as the instant passes. */
function redrawFor(status: Status, now: Date): number | null {
  const ahead = [status.expires_at, status.next_refresh_at].flatMap((iso) => {
    const at = parseInstant(iso);
    if (at === null) return [];
    const passes = at.getTime() - now.getTime();
    return passes > 0 ? [relativeTimeChangesIn(at, now), passes + 1] : [relativeTimeChangesIn(at, now)];
  });
  const refreshed = parseInstant(status.refreshed_at);
  const changes = refreshed ? [...ahead, agoAfterAnHourChangesIn(refreshed, now)] : ahead;
  return changes.length ? Math.min(...changes) : null;
}

/** A When as the text it reads as. */
export function whenText(line: When): string {
  return `${line.label} ${line.date}${line.relative ? ` (${line.relative})` : ""}`;
}

/** The core's error says when it is tried again, when it is. */
function withRetry(message: Message | null, ui: UiState, dates: DateOptions): Message | null {
  const retry = parseInstant(ui.status?.retry_at);
  if (!message || !showsError(ui) || retry === null) return message;
  const next = `Next try: ${formatDateTime(retry, dates)}.`;
  return { ...message, hint: message.hint ? `${message.hint} ${next}` : next };
}

/** What a card is among several (cards.ts draws the heading from the same list). */
export interface CardRole {
  /** Added beside the settings' own: "Disconnect" removes it. */
  removable: boolean;
  /** One of several and not the default: it offers "Make default" while it holds an account. */
  offersDefault: boolean;
}

const ALONE: CardRole = { removable: false, offersDefault: false };

export function present(ui: UiState, now: Date, dates: DateOptions = {}, role: CardRole = ALONE): ViewModel {
  const { removable, offersDefault } = role;
  const status = ui.status;
  const model: ViewModel = {
    state: status?.state ?? "",
    stateLabel: status ? STATE_LABELS[status.state] : "",
    progress: "",
    message: withRetry(messageOf(ui), ui, dates),
    kankaSettings: ui.notice?.kankaSettings ?? false,
    intro: false,
    waiting: null,
    details: null,
    actions: [],
    primary: null,
    disabled: [],
    busy: ui.busy,
    removes: false,
    redrawIn: null,
  };
  if (!status) return model;
  const connected = hasConnection(status);
  model.removes = removable && !connected;

  const started = ui.signIn?.started ?? null;
  const until = parseInstant(started?.expires_at);
  // The core ends a sign-in with a status; past its time, no "connecting" from the core means none.
  const lapsed = status.state !== "connecting" && until !== null && until <= now;
  if (isWaiting(ui) && !lapsed) {
    const left = until ? countdown(until, now) : null;
    model.progress = WAITING_TEXT;
    model.waiting = {
      url: started?.url ?? null,
      remaining: left === null ? null : left === "0:00" ? "The sign-in has timed out." : `The sign-in times out in ${left}.`,
    };
    model.actions = ["open-again", "cancel"];
    model.primary = "open-again";
    model.redrawIn = until ? countdownChangesIn(until, now) : null;
    return model;
  }

  switch (status.state) {
    case "connected":
    case "refreshing":
      model.actions = ["refresh", "disconnect"];
      if (status.state === "refreshing") {
        model.progress = REFRESHING_TEXT;
        model.disabled = ["refresh"];
      }
      break;
    case "reconnect_needed":
      model.actions = connected || removable ? ["connect", "disconnect"] : ["connect"];
      break;
    case "error": {
      // The fix first; then what comes after it (a fixed setting still needs a sign-in or a
      // refresh), unless "Try again" already does that.
      const fix = fixFor(status.last_error, connected);
      const next: Action = connected ? "refresh" : "connect";
      model.actions = fix === next || fix === "try-again" ? [fix] : [fix, next];
      if (connected || removable) model.actions.push("disconnect");
      break;
    }
    default:
      // "disconnected", or "connecting" that the sign-in above already covers.
      model.actions = removable ? ["connect", "disconnect"] : ["connect"];
      model.intro = !connected;
  }
  // Never first (it is no fix), and before Disconnect, as the page orders them. A connection that
  // holds no account would make `kanka-link token` fail: it is not offered.
  if (offersDefault && connected) {
    const at = model.actions.indexOf("disconnect");
    model.actions.splice(at < 0 ? model.actions.length : at, 0, "make-default");
  }
  model.primary = model.actions[0] ?? null;
  if (connected) {
    model.details = detailsOf(status, now, dates);
    model.redrawIn = redrawFor(status, now);
  }
  return model;
}
