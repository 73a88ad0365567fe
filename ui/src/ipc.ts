// Typed wrappers of the core's commands and its status channel. Every failure becomes a
// CommandError, an ErrorInfo, whether the core or Tauri itself refused.

import { Channel, invoke, type InvokeArgs } from "@tauri-apps/api/core";
import {
  asErrorInfo,
  internalError,
  isStatus,
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

async function callForStatus(command: string): Promise<Status> {
  const status = await call<unknown>(command);
  if (!isStatus(status)) throw new CommandError(UNREADABLE_STATUS);
  return status;
}

/**
 * Every status the core sends from now on, the current one first, through a channel of this
 * page's own: the window may listen to no event (src-tauri/src/engine.rs says why).
 * `onUnreadable` hears of messages that are not a status.
 */
export function onStatus(handler: (status: Status) => void, onUnreadable: (error: ErrorInfo) => void): Promise<void> {
  const channel = new Channel<unknown>((message) => {
    if (isStatus(message)) handler(message);
    else onUnreadable(UNREADABLE_STATUS);
  });
  return call<void>("watch_status", { channel });
}

export const getStatus = () => callForStatus("status");
export const connect = () => call<SignInStarted>("connect");
export const openAuthorizationPage = () => call<SignInStarted>("open_authorization_page");
/** The sign-in in progress, without opening the browser; null when there is none. */
export const signInPage = () => call<SignInStarted | null>("sign_in_page");
export const cancelConnect = () => callForStatus("cancel_connect");
export const refreshNow = () => callForStatus("refresh_now");
export const disconnect = () => call<DisconnectNotice>("disconnect");
/** Whether a browser could be opened. */
export const openKankaSettings = () => call<boolean>("open_kanka_settings");
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
