// The setup view's model: when the window shows it, what "Check and save" sends, what the
// check's report says, and that a fresh install sees steps rather than an error.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { importUi, samples } from "./transpile.mjs";

const setupModel = await importUi("setup");
const model = await importUi("model");
const { initialSetup, needsSetup, isShown, openSetup, closeSetup, infoArrived, wantsInfo, formFor, problemOf } =
  setupModel;

const status = (state, last_error = null, extra = {}) => ({
  state,
  account: null,
  expires_at: null,
  refreshed_at: null,
  next_refresh_at: null,
  retry_at: null,
  last_error,
  notice: null,
  ...extra,
});
// The core's own errors (ui/src/generated/samples.json): a fresh install's, a wrong setting's.
const UNSET_ID = samples.unset_client_id;
const BAD_API = samples.bad_api_url;
const NO_SECRET = samples.missing_client_secret;
const INFO = {
  kanka_url: "https://app.kanka.io/",
  new_client_page: "https://app.kanka.io/settings/client/create",
  client_name: "Kanka Link",
  redirect_uri: "http://localhost:47813/kanka-link/callback",
  redirect_uri_fixed: false,
  client_id: "",
  client_id_fixed: false,
  client_secret_fixed: false,
};
const SETTINGS = {
  values: { url: "https://app.kanka.io", api_url: "https://api.kanka.io/1.0", client_id: "", redirect_uri: "kanka-link://oauth/callback" },
  origins: { url: "default", api_url: "default", client_id: "default", redirect_uri: "default", client_secret: "missing" },
  variables: { url: null, api_url: null, client_id: null, redirect_uri: null, client_secret: null },
  client_secret_saved: false,
  config_file: "/home/ada/.config/kanka-link/config.toml",
  notice: null,
};
const show = (setup, ui) => {
  const panel = model.present(ui, new Date("2026-11-28T12:00:00Z"));
  return setupModel.presentSetup(setup, ui, panel.message);
};

describe("when the setup view shows", () => {
  test("no client id or no secret: the view; a fresh install sees the steps, a missing secret is said", () => {
    for (const error of [UNSET_ID, NO_SECRET]) {
      const ui = model.receiveStatus(model.initialUi, status("error", error));
      assert.equal(needsSetup(ui.status), true);
      const view = show(initialSetup, ui);
      assert.equal(view.shown, true);
      assert.equal(view.canClose, false, "nothing else to go back to");
      if (error === UNSET_ID) assert.equal(view.message, null, "a client id never given is not an error");
      else assert.equal(view.message.text, NO_SECRET.message, "the secret a Connect needed is news");
    }
  });

  test("a setting given wrong shows with its own message", () => {
    const ui = model.receiveStatus(model.initialUi, status("error", BAD_API));
    const view = show(initialSetup, ui);
    assert.equal(view.shown, true);
    assert.equal(view.message.text, BAD_API.message);
    assert.equal(view.message.tone, "error");
    assert.equal(view.settingsFix, true, "Settings, where it is fixed, are offered");
    assert.equal(show(initialSetup, model.receiveStatus(model.initialUi, status("error", UNSET_ID))).settingsFix, false);
  });

  test("a fresh install is told by the core's fields, not by the words of its message", () => {
    const { isUnset } = setupModel;
    assert.equal(isUnset(UNSET_ID), true);
    assert.equal(isUnset({ ...UNSET_ID, message: "Le réglage client_id est vide." }), true, "any wording");
    assert.equal(isUnset({ ...UNSET_ID, setting_empty: false }), false, "a client id given wrong");
    assert.equal(isUnset({ ...UNSET_ID, setting: "redirect_uri" }), false, "another setting left empty");
    assert.equal(isUnset(BAD_API), false);
    assert.equal(isUnset(null), false);
  });

  test("a configured install, or one with a connection, does not show it, nor ask for its info", () => {
    const configured = status("disconnected");
    assert.equal(isShown(initialSetup, configured), false);
    assert.equal(wantsInfo(initialSetup, configured), false);
    const connected = status("error", NO_SECRET, { expires_at: "2027-01-01T00:00:00Z" });
    assert.equal(needsSetup(connected), false, "a connection is never hidden behind the setup");
    assert.equal(needsSetup(null), false);
  });

  test("opened from Settings it shows until closed, and asks for its info once shown", () => {
    const configured = status("disconnected");
    const open = openSetup(initialSetup);
    assert.equal(isShown(open, configured), true);
    assert.equal(wantsInfo(open, configured), true);
    const filled = infoArrived(open, INFO);
    assert.equal(wantsInfo(filled, configured), false);
    const ui = model.receiveStatus(model.initialUi, configured);
    assert.equal(show(filled, ui).canClose, true);
    assert.equal(isShown(closeSetup(filled), configured), false);
    assert.equal(closeSetup(filled).info, null, "asked again next time: the settings may change");
  });

  test("a command refused for want of a usable client opens it; other failures do not", () => {
    assert.equal(setupModel.failedWith(initialSetup, NO_SECRET).open, true);
    assert.equal(setupModel.failedWith(initialSetup, { code: "client_unknown", message: "x", hint: null }).open, true);
    assert.equal(setupModel.failedWith(initialSetup, { code: "server_error", message: "x", hint: null }).open, false);
  });

  test("a failed check keeps it shown although the saved settings make a valid configuration", () => {
    let ui = model.receiveStatus(model.initialUi, status("error", UNSET_ID));
    ui = model.begin(ui, "setup-save", "command");
    ui = model.receiveStatus(ui, status("disconnected"));
    const problem = { code: "client_unknown", message: "Kanka does not know client 999.", hint: "Copy the ID." };
    ui = model.fail(ui, problem);
    const view = show(openSetup(infoArrived(initialSetup, INFO)), ui);
    assert.equal(view.shown, true);
    assert.deepEqual(view.message, { text: problem.message, hint: problem.hint, tone: "error" });
  });
});

describe("Check and save", () => {
  test("sends the id typed, the redirect shown and the secret typed, the addresses as they are", () => {
    assert.deepEqual(formFor(SETTINGS, INFO, " 12 ", " s3cret "), {
      url: "https://app.kanka.io",
      api_url: "https://api.kanka.io/1.0",
      client_id: "12",
      redirect_uri: "http://localhost:47813/kanka-link/callback",
      client_secret: "s3cret",
    });
  });

  test("keeps what the environment sets, and a saved secret when none is typed", () => {
    const fixed = { ...INFO, client_id_fixed: true, redirect_uri_fixed: true, client_secret_fixed: true };
    const form = formFor(SETTINGS, fixed, "12", "typed");
    assert.equal(form.client_id, SETTINGS.values.client_id);
    assert.equal(form.redirect_uri, SETTINGS.values.redirect_uri);
    assert.equal(form.client_secret, null);
    assert.equal(formFor(SETTINGS, INFO, "12", "  ").client_secret, null);
  });

  test("the report's own problem is the message; a pass has none", () => {
    const problem = { code: "secret_refused", message: "Kanka refused the secret.", hint: "Copy it again." };
    assert.equal(problemOf({ verdict: "passed", problem: null }), null);
    assert.deepEqual(problemOf({ verdict: "setting_wrong", problem }), problem);
    assert.equal(problemOf({ verdict: "unreachable", problem: null }).code, "internal");
  });
});
