// The contract with the Rust side: what the commands return and the status channel carries.
// The window sees status, never a token or a secret; a sign-in's address (with its `state`) only
// when it must show it for the user to copy.

export const STATES = ["disconnected", "connecting", "connected", "refreshing", "reconnect_needed", "error"] as const;
export type State = (typeof STATES)[number];

export interface ErrorInfo {
  code: string;
  message: string;
  hint: string | null;
}

export interface Account {
  id: number;
  name: string;
}

/** One full snapshot; RFC 3339 times. */
export interface Status {
  state: State;
  account: Account | null;
  expires_at: string | null;
  refreshed_at: string | null;
  next_refresh_at: string | null;
  /** When a failed attempt is tried again; null while nothing waits for a retry. */
  retry_at: string | null;
  last_error: ErrorInfo | null;
  /** Passing news that changed nothing (a link that answered no sign-in); never an error. */
  notice: ErrorInfo | null;
}

export interface SignInStarted {
  expires_at: string;
  /** Kanka's consent page, only when no browser could be opened: the user copies it. */
  url: string | null;
}

export interface DisconnectNotice {
  message: string;
  settings_url: string;
}

export type Origin = "environment" | "file" | "default" | "keychain";
export const SETTING_KEYS = ["url", "api_url", "client_id", "redirect_uri"] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];
export type SettingsValues = Record<SettingKey, string>;

export interface SettingsView {
  values: SettingsValues;
  origins: Record<SettingKey, Origin> & { client_secret: Origin | "missing" };
  client_secret_saved: boolean;
  config_file: string;
  /** What saving meant for the connection (another server needs its own sign-in). */
  notice: string | null;
}

/** What `save_settings` takes; a null client secret keeps the saved one. */
export interface SettingsForm extends SettingsValues {
  client_secret: string | null;
}

/** Errors the user fixes in the settings form. */
export const SETTINGS_CODES: ReadonlySet<string> = new Set([
  "invalid_setting",
  "missing_client_secret",
  "invalid_client",
  "invalid_request",
]);

/** Errors that go away once the keychain is there and unlocked. */
export const KEYCHAIN_CODES: ReadonlySet<string> = new Set(["keychain_unavailable", "keychain_locked", "keychain"]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

const isText = (value: unknown): value is string => typeof value === "string";
const isTextOrNull = (value: unknown): value is string | null => value === null || isText(value);

export function isErrorInfo(value: unknown): value is ErrorInfo {
  return isObject(value) && isText(value.code) && isText(value.message) && isTextOrNull(value.hint ?? null);
}

/** A command's rejection as an ErrorInfo: the core sends one; Tauri itself sends plain strings. */
export function asErrorInfo(reason: unknown): ErrorInfo {
  if (isErrorInfo(reason)) return { code: reason.code, message: reason.message, hint: reason.hint ?? null };
  const message = isText(reason) ? reason : reason instanceof Error ? reason.message : String(reason);
  return { code: "internal", message: message || "Something went wrong.", hint: null };
}

export function isStatus(value: unknown): value is Status {
  if (!isObject(value)) return false;
  const account = value.account;
  return (
    (STATES as readonly unknown[]).includes(value.state) &&
    (account === null || (isObject(account) && typeof account.id === "number" && isText(account.name))) &&
    isTextOrNull(value.expires_at) &&
    isTextOrNull(value.refreshed_at) &&
    isTextOrNull(value.next_refresh_at) &&
    isTextOrNull(value.retry_at ?? null) &&
    (value.last_error === null || isErrorInfo(value.last_error)) &&
    (value.notice === undefined || value.notice === null || isErrorInfo(value.notice))
  );
}

/** What the setup view shows (`setup_info`): addresses and the client id, never a secret. */
export interface SetupInfo {
  kanka_url: string;
  new_client_page: string;
  client_name: string;
  /** The exact redirect to register in Kanka. */
  redirect_uri: string;
  /** Set by the environment: saving leaves it alone. */
  redirect_uri_fixed: boolean;
  client_id: string;
  client_id_fixed: boolean;
  client_secret_fixed: boolean;
}

export type Verdict = "passed" | "setting_wrong" | "unreachable";

/** The setup check's report (`check_setup`), as far as the window reads it. */
export interface SetupReport {
  verdict: Verdict;
  /** What is wrong and what to do, unless the check passed. */
  problem: ErrorInfo | null;
}
