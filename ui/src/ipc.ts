// Typed wrappers of the core's commands and its status channel. Every failure becomes a
// CommandError, an ErrorInfo, whether the core or Tauri itself refused.

import { Channel, invoke, type InvokeArgs } from "@tauri-apps/api/core";
import {
  asErrorInfo,
  internalError,
  isConnectionList,
  isStatus,
  type ConnectionAdded,
  type ConnectionStatus,
  type DisconnectNotice,
  type ErrorInfo,
  type SettingsForm,
  type SettingsView,
  type SetupInfo,
  type SetupReport,
  type SignInStarted,
  type Status,
} from "./contract.ts";

/** A refused command; it is an ErrorInfo itself, so `asErrorInfo` gives it back as it came. */
export class CommandError extends Error implements ErrorInfo {
  readonly code: ErrorInfo["code"];
  readonly hint: string | null;
  readonly setting: string | null;
  readonly setting_empty: boolean;
  constructor(info: ErrorInfo) {
    super(info.message);
    this.name = "CommandError";
    this.code = info.code;
    this.hint = info.hint;
    this.setting = info.setting;
    this.setting_empty = info.setting_empty;
  }
}

const UNREADABLE_STATUS: ErrorInfo = internalError(
  "Kanka Link's core sent a status this window does not understand.",
  "Restart Kanka Link; if it keeps happening, reinstall it.",
);

async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason) {
    throw new CommandError(asErrorInfo(reason));
  }
}

async function callForStatus(command: string, args: InvokeArgs): Promise<Status> {
  const status = await call<unknown>(command, args);
  if (!isStatus(status)) throw new CommandError(UNREADABLE_STATUS);
  return status;
}

/**
 * Every list of statuses the core sends from now on (each connection's, the settings' own first),
 * the current one first, through a channel of this page's own: the window may listen to no event
 * (src-tauri/src/engine.rs says why). `onUnreadable` hears of messages that are not such a list.
 */
export function onStatus(
  handler: (list: ConnectionStatus[]) => void,
  onUnreadable: (error: ErrorInfo) => void,
): Promise<void> {
  const channel = new Channel<unknown>((message) => {
    if (isConnectionList(message)) handler(message);
    else onUnreadable(UNREADABLE_STATUS);
  });
  return call<void>("watch_status", { channel });
}

export async function getStatus(): Promise<ConnectionStatus[]> {
  const list = await call<unknown>("status");
  if (!isConnectionList(list)) throw new CommandError(UNREADABLE_STATUS);
  return list;
}

// The commands that act on one connection take its id (`main`: the settings' own).
export const connect = (id: string) => call<SignInStarted>("connect", { id });
/** "Connect another account": a new connection to the settings' Kanka, its sign-in started. */
export const addConnection = () => call<ConnectionAdded>("add_connection");
/** "Add another Kanka server": a new connection to the Kanka, API and client of `form` (its secret
 * goes to the keychain, never back), its sign-in started. */
export const addServerConnection = (form: SettingsForm) => call<ConnectionAdded>("add_server_connection", { form });
export const openAuthorizationPage = (id: string) => call<SignInStarted>("open_authorization_page", { id });
/** The sign-in in progress, without opening the browser; null when there is none. */
export const signInPage = (id: string) => call<SignInStarted | null>("sign_in_page", { id });
export const cancelConnect = (id: string) => callForStatus("cancel_connect", { id });
export const refreshNow = (id: string) => callForStatus("refresh_now", { id });
/** Makes `id` the default connection; the status channel then sends the list that marks it. */
export const makeDefault = (id: string) => call<null>("make_default", { id });
/** An added connection is removed with its tokens. */
export const disconnect = (id: string) => call<DisconnectNotice>("disconnect", { id });
/** Whether a browser could be opened. */
export const openKankaSettings = (id: string) => call<boolean>("open_kanka_settings", { id });
export const getSettings = () => call<SettingsView>("settings");
export const saveSettings = (form: SettingsForm) => call<SettingsView>("save_settings", { form });
/** Only when the setup view opens: a configured window never asks. */
export const setupInfo = () => call<SetupInfo>("setup_info");
/** Whether a browser could be opened. */
export const openNewClientPage = () => call<boolean>("open_new_client_page");
export const checkSetup = () => call<SetupReport>("check_setup");
/** Whether the login check is on: its autostart entry is there and runs this install. */
export const loginCheck = () => call<boolean>("login_check");
/** Switches the login check on or off; the answer is what the entry says now. */
export const setLoginCheck = (on: boolean) => call<boolean>("set_login_check", { on });
