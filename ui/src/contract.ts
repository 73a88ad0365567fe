// The contract with the Rust side: what the commands return and the status channel carries.
// The window sees status, never a token or a secret; a sign-in's address (with its `state`) only
// when it must show it for the user to copy.

import type {
  ConnectionStatus,
  ErrorCode,
  ErrorInfo as CoreErrorInfo,
  SettingOrigins,
  SettingValues,
  State,
  Status,
} from "./generated/contract.ts";

// The types themselves are generated from the Rust ones (`npm run contract`): never copied here.
export type {
  Account,
  ConnectionAdded,
  ConnectionStatus,
  DisconnectNotice,
  ErrorCode,
  OriginKind,
  SettingsForm,
  SettingsView,
  SetupInfo,
  SetupReport,
  SignInStarted,
  State,
  Status,
  Verdict,
} from "./generated/contract.ts";

/** An error as the window shows it: the core's, or the window's own, `internal` (Tauri refused a
 * command, or the core sent what this window does not understand). */
export type ErrorInfo = Omit<CoreErrorInfo, "code"> & { code: ErrorCode | "internal" };

/** A Record over a generated union must name every member and nothing else, so a state or a
 * field renamed or added in Rust breaks `tsc` here; its keys are the run-time list. */
function every<K extends string>(members: Record<K, true>): readonly K[] {
  return Object.keys(members) as K[];
}

export const STATES = every<State>({
  disconnected: true,
  connecting: true,
  connected: true,
  refreshing: true,
  reconnect_needed: true,
  error: true,
});

export type SettingKey = keyof SettingValues;
export const SETTING_KEYS = every<SettingKey>({ url: true, api_url: true, client_id: true, redirect_uri: true });

/** Every input of the settings form: the values and the client secret. */
export type Field = keyof SettingOrigins;
export const FIELDS = every<Field>({ url: true, api_url: true, client_id: true, redirect_uri: true, client_secret: true });

/** Errors the user fixes in the settings form. */
export const SETTINGS_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "invalid_setting",
  "missing_client_secret",
  "invalid_client",
  "invalid_request",
]);

/** Errors that go away once the keychain is there and unlocked. */
export const KEYCHAIN_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["keychain_unavailable", "keychain_locked", "keychain"]);

/** Whether a code is in one of these sets; the window's own `internal` is in none. */
export const isOneOf = (codes: ReadonlySet<ErrorCode>, code: ErrorCode | "internal"): boolean =>
  code !== "internal" && codes.has(code);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

const isText = (value: unknown): value is string => typeof value === "string";
const isTextOrNull = (value: unknown): value is string | null => value === null || isText(value);

export function isErrorInfo(value: unknown): value is ErrorInfo {
  return (
    isObject(value) &&
    isText(value.code) &&
    isText(value.message) &&
    isTextOrNull(value.hint ?? null) &&
    isTextOrNull(value.setting ?? null) &&
    (value.setting_empty === undefined || typeof value.setting_empty === "boolean")
  );
}

/** The window's own error, about no setting. */
export function internalError(message: string, hint: string | null = null): ErrorInfo {
  return { code: "internal", message, hint, setting: null, setting_empty: false };
}

/** A command's rejection as an ErrorInfo: the core sends one; Tauri itself sends plain strings. */
export function asErrorInfo(reason: unknown): ErrorInfo {
  if (isErrorInfo(reason)) {
    const { code, message } = reason;
    return { code, message, hint: reason.hint ?? null, setting: reason.setting ?? null, setting_empty: reason.setting_empty ?? false };
  }
  const message = isText(reason) ? reason : reason instanceof Error ? reason.message : String(reason);
  return internalError(message || "Something went wrong.");
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

/** One connection as the channel lists it: its id, its server, whether it is the default, its status. */
export function isConnectionStatus(value: unknown): value is ConnectionStatus {
  return (
    isObject(value) &&
    isText(value.id) &&
    value.id !== "" &&
    isText(value.server) &&
    typeof value.default === "boolean" &&
    isStatus(value.status)
  );
}

/** The list the status channel and `status` send: every connection, the settings' own first. */
export function isConnectionList(value: unknown): value is ConnectionStatus[] {
  return Array.isArray(value) && value.length > 0 && value.every(isConnectionStatus);
}
