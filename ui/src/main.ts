// Start-up and wiring: buttons call commands, statuses come back through the status channel,
// and every change goes through the reducers of model.ts before view.ts draws it.

import { asErrorInfo, type Status } from "./contract.ts";
import * as ipc from "./ipc.ts";
import {
  answered,
  begin,
  cancelled,
  disconnected,
  fail,
  finish,
  hasConnection,
  initialUi,
  needsSignInPage,
  notify,
  present,
  receiveStatus,
  signInResumed,
  signInStarted,
  type Effect,
  type UiState,
} from "./model.ts";
import { setUpKeepLinked } from "./keep.ts";
import { setUpSettings } from "./settings.ts";
import {
  closeSetup,
  failedWith,
  formFor,
  infoArrived,
  initialSetup,
  openSetup,
  PASSED_HINT,
  PASSED_TEXT,
  presentSetup,
  problemOf,
  wantsInfo,
  type SetupState,
} from "./setup.ts";
import { bindView } from "./view.ts";

let ui: UiState = initialUi;
let setup: SetupState = initialSetup;
let askedForSetup = false;
const view = bindView();
let redraw: number | undefined;
// A timer that sleeps through a suspended machine wakes late; an hour at most keeps the text true.
const LONGEST_REDRAW = 3_600_000;

let askedForPage = false;

function update(next: UiState): void {
  ui = next;
  if (needsSignInPage(ui) && !askedForPage) {
    // Waiting since before this window opened: fetch the page's address to show it again.
    askedForPage = true;
    ipc.signInPage().then((page) => update(signInResumed(ui, page)), () => undefined);
  } else if (ui.status?.state !== "connecting") {
    askedForPage = false;
  }
  if (wantsInfo(setup, ui.status) && !askedForSetup) {
    // Only once the setup view shows: a configured window never asks.
    askedForSetup = true;
    ipc.setupInfo().then(
      (info) => {
        setup = infoArrived(setup, info);
        update(ui);
      },
      (reason) => update(notify(ui, asErrorInfo(reason).message, asErrorInfo(reason).hint, "error")),
    );
  } else if (setup.info !== null) {
    askedForSetup = false;
  }
  const model = present(ui, new Date());
  view.render(model, presentSetup(setup, ui, model.message));
  // Redraws the countdown and "in N days" when their text changes, not on a period: display
  // only, nothing is asked of the core.
  window.clearTimeout(redraw);
  redraw =
    model.redrawIn === null
      ? undefined
      : window.setTimeout(() => update(ui), Math.min(model.redrawIn, LONGEST_REDRAW));
}

async function perform<T>(
  button: string,
  effect: Effect,
  command: () => Promise<T>,
  done: (ui: UiState, result: T) => UiState,
): Promise<void> {
  // One command at a time, except Cancel: it must stop a sign-in that is still starting.
  if (ui.busy && button !== "cancel") return;
  update(begin(ui, button, effect));
  try {
    const result = await command();
    update(done(finish(ui), result));
  } catch (reason) {
    const error = asErrorInfo(reason);
    setup = failedWith(setup, error);
    update(fail(ui, error));
  }
}

const settings = setUpSettings({
  load: ipc.getSettings,
  save: ipc.saveSettings,
  begin: () => update(begin(ui, "settings-save", "command")),
  saved: (text) => update(notify(finish(ui), text, null, "info")),
  // Saving is a command of its own; loading the form is not.
  failed: (error) =>
    update(ui.busy === "settings-save" ? fail(ui, error) : notify(ui, error.message, error.hint, "error")),
});

setUpKeepLinked({
  get: ipc.loginCheck,
  set: ipc.setLoginCheck,
  failed: (error) => update(notify(ui, error.message, error.hint, "error")),
});

const { buttons } = view;
buttons.connect.addEventListener("click", () => perform("connect", "sign-in", ipc.connect, signInStarted));
buttons.cancel.addEventListener("click", () => perform("cancel", "command", ipc.cancelConnect, cancelled));
buttons["open-again"].addEventListener("click", () =>
  perform("open-again", "side", ipc.openAuthorizationPage, signInStarted),
);
buttons.refresh.addEventListener("click", () => perform("refresh", "command", ipc.refreshNow, answered));
buttons["try-again"].addEventListener("click", () =>
  hasConnection(ui.status)
    ? perform("try-again", "command", ipc.refreshNow, answered)
    : perform("try-again", "sign-in", ipc.connect, signInStarted),
);
buttons.disconnect.addEventListener("click", () => perform("disconnect", "command", ipc.disconnect, disconnected));
buttons["open-kanka-settings"].addEventListener("click", () =>
  perform("open-kanka-settings", "side", ipc.openKankaSettings, (state, opened) =>
    opened
      ? state
      : notify(state, "No browser could be opened.", "Open Kanka's Settings → API page in your browser.", "error"),
  ),
);
buttons["open-settings"].addEventListener("click", () => {
  void settings.open(ui.status?.last_error ?? null);
});
/** Copies a field's text; where the clipboard refuses, selects it for the user to copy. */
async function copy(field: HTMLInputElement | HTMLTextAreaElement, done: string, hint: string, whileWaiting: boolean): Promise<void> {
  try {
    await navigator.clipboard.writeText(field.value);
    update(notify(ui, done, hint, "info", whileWaiting));
  } catch {
    field.focus();
    field.select();
    const keys = /Mac|iPhone|iPad/.test(navigator.userAgent) ? "⌘C" : "Ctrl+C";
    update(notify(ui, `Press ${keys} to copy the selected address.`, null, "info", whileWaiting));
  }
}

buttons["copy-url"].addEventListener("click", () =>
  copy(view.authorizeUrl, "The address is copied.", "Paste it into your browser's address bar.", true),
);

// The setup view.
function showSetup(): void {
  setup = openSetup(closeSetup(setup));
  update(ui);
  document.getElementById("connection-heading")?.focus();
}
document.getElementById("open-setup")?.addEventListener("click", showSetup);
buttons["setup-close"].addEventListener("click", () => {
  setup = closeSetup(setup);
  update(ui);
});
buttons["open-new-client"].addEventListener("click", () =>
  perform("open-new-client", "side", ipc.openNewClientPage, (state, opened) =>
    opened
      ? state
      : notify(state, "No browser could be opened.", `Open ${setup.info?.new_client_page ?? "Kanka"} in your browser.`, "error"),
  ),
);
buttons["copy-redirect"].addEventListener("click", () =>
  copy(view.setup.redirect, "The redirect URL is copied.", "Paste it into the client's Redirect URL field in Kanka.", false),
);
view.setup.form.addEventListener("submit", (event) => {
  event.preventDefault();
  void checkAndSave();
});

/** "Check and save": the settings first (the secret straight to the keychain), then the setup
 * check; the view stays until Kanka accepts them. */
async function checkAndSave(): Promise<void> {
  const info = setup.info;
  if (ui.busy || !info) return;
  setup = openSetup(setup);
  update(begin(ui, "setup-save", "command"));
  try {
    const current = await ipc.getSettings();
    await ipc.saveSettings(formFor(current, info, view.setup.clientId.value, view.setup.secret.value));
    view.setup.secret.value = "";
    const problem = problemOf(await ipc.checkSetup());
    if (problem) {
      update(fail(ui, problem));
      return;
    }
    setup = closeSetup(setup);
    update(notify(finish(ui), PASSED_TEXT, PASSED_HINT, "info"));
    buttons.connect.focus();
  } catch (reason) {
    update(fail(ui, asErrorInfo(reason)));
  }
}

async function start(): Promise<void> {
  update(ui);
  // Ask at once, so the window shows the real state one round trip sooner (bench variant
  // tiny-page-listen), then subscribe: the channel sends the current status first, and every
  // change after it. Statuses are full snapshots, so once one has come through the channel the
  // answer to `status` can only be as new, or older.
  let statusesSeen = 0;
  const first = (async (answer: Promise<Status>) => {
    try {
      const status = await answer;
      if (statusesSeen === 0) update(receiveStatus(ui, status));
    } catch (reason) {
      update(fail(ui, asErrorInfo(reason)));
    }
  })(ipc.getStatus());
  try {
    await ipc.onStatus(
      (status) => {
        statusesSeen += 1;
        update(receiveStatus(ui, status));
      },
      (error) => update(notify(ui, error.message, error.hint, "error")),
    );
  } catch (reason) {
    update(fail(ui, asErrorInfo(reason)));
  }
  await first;
}

void start();
