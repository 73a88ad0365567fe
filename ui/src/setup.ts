// The setup view's model: when the window shows it instead of the status panel, what "Check and
// save" sends, and what the check's report says. Pure, like model.ts (which it reads, never the
// other way round); view.ts draws it, main.ts runs the commands.

import {
  internalError,
  isOneOf,
  type ErrorCode,
  type ErrorInfo,
  type SettingsForm,
  type SettingsView,
  type SetupInfo,
  type SetupReport,
  type Status,
} from "./contract.ts";
import { hasConnection, showsError, type Message, type UiState } from "./model.ts";

/** Errors that mean no usable client is configured: Kanka Link has nothing to sign in with. */
export const SETUP_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "invalid_setting",
  "missing_client_secret",
  "client_unknown",
  "secret_refused",
  "redirect_not_registered",
]);

export const PASSED_TEXT = "Kanka accepts these settings.";
export const PASSED_HINT = "Click Connect to Kanka to link your account.";

export interface SetupState {
  /** Shown whatever the status says: opened from Settings, or a check failed since. */
  open: boolean;
  /** What `setup_info` answered since the view last opened; null until then. */
  info: SetupInfo | null;
}

export const initialSetup: SetupState = { open: false, info: null };

/** Nothing to sign in with, and no connection the view would hide. */
export function needsSetup(status: Status | null): boolean {
  const error = status?.last_error;
  return status !== null && !hasConnection(status) && !!error && isOneOf(SETUP_CODES, error.code);
}

/** No client id at all (a fresh install), as opposed to a setting given wrong: the steps say it
 * better than the error would. A missing secret is said: the engine reports it only once a
 * Connect or a check needed it, so it is news then. */
export function isUnset(error: ErrorInfo | null | undefined): boolean {
  if (!error) return false;
  return error.code === "invalid_setting" && error.setting === "client_id" && error.setting_empty === true;
}

export function isShown(setup: SetupState, status: Status | null): boolean {
  return setup.open || needsSetup(status);
}

export function openSetup(setup: SetupState): SetupState {
  return { ...setup, open: true };
}

/** After a passed check, or "Back": the info is asked again the next time (the settings may change). */
export function closeSetup(_setup: SetupState): SetupState {
  return initialSetup;
}

/** A command that failed for want of a usable client (Connect without a secret, say, which the
 * status does not show until then) opens the view; other failures leave it as it is. */
export function failedWith(setup: SetupState, error: ErrorInfo): SetupState {
  return isOneOf(SETUP_CODES, error.code) ? openSetup(setup) : setup;
}

export function infoArrived(setup: SetupState, info: SetupInfo): SetupState {
  return { ...setup, info };
}

/** Whether the shown view still needs `setup_info`. */
export function wantsInfo(setup: SetupState, status: Status | null): boolean {
  return isShown(setup, status) && setup.info === null;
}

/** What "Check and save" sends to `save_settings`: the addresses as they are, the client id typed,
 * the redirect shown (the environment's own values are kept by the core anyway), the secret only
 * when one was typed. */
export function formFor(current: SettingsView, info: SetupInfo, clientId: string, secret: string): SettingsForm {
  const typed = secret.trim();
  return {
    url: current.values.url,
    api_url: current.values.api_url,
    client_id: info.client_id_fixed ? current.values.client_id : clientId.trim(),
    redirect_uri: info.redirect_uri_fixed ? current.values.redirect_uri : info.redirect_uri,
    client_secret: typed === "" || info.client_secret_fixed ? null : typed,
  };
}

const NO_VERDICT: ErrorInfo = internalError(
  "The setup check ended without saying what is wrong.",
  "Check the settings, then try again.",
);

/** The report's problem, or null when the check passed. */
export function problemOf(report: SetupReport): ErrorInfo | null {
  return report.verdict === "passed" ? null : (report.problem ?? NO_VERDICT);
}

export interface SetupModel {
  shown: boolean;
  info: SetupInfo | null;
  /** "Back" to the status panel: only when it has something to show besides the setup. */
  canClose: boolean;
  /** What the message regions show instead of the status panel's message; null for nothing. */
  message: Message | null;
  /** A setting given wrong that the steps do not ask for (the Kanka URL, say): offer Settings. */
  settingsFix: boolean;
}

/** The view, given the status panel's own message (model.ts `present`). */
export function presentSetup(setup: SetupState, ui: UiState, panelMessage: Message | null): SetupModel {
  const shown = isShown(setup, ui.status);
  const error = ui.status?.last_error;
  // A fresh install gets the steps, not an error for a setting it never had.
  const message = isUnset(error) && showsError(ui) ? null : panelMessage;
  const settingsFix = shown && error?.code === "invalid_setting" && !isUnset(error);
  return { shown, info: setup.info, canClose: shown && !needsSetup(ui.status), message, settingsFix };
}
