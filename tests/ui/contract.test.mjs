import assert from "node:assert/strict";
import { test } from "node:test";
import { importUi, samples } from "./transpile.mjs";

const { isStatus, asErrorInfo, FIELDS, SETTING_KEYS } = await importUi("contract");
const { describeFields, formFrom, fieldInError, SECRET_PLACEHOLDER } = await importUi("settings");

const good = {
  state: "connected",
  account: { id: 1, name: "Ada" },
  expires_at: "2027-11-27T12:00:00Z",
  refreshed_at: "2026-11-27T12:00:00Z",
  next_refresh_at: "2027-08-28T12:00:00Z",
  last_error: samples.network,
};

test("isStatus accepts the core's snapshot and refuses anything else", () => {
  assert.equal(isStatus(good), true);
  assert.equal(isStatus({ ...good, account: null, last_error: null, expires_at: null }), true);
  assert.equal(isStatus({ ...good, state: "sleeping" }), false);
  assert.equal(isStatus({ ...good, account: { id: "1", name: "Ada" } }), false);
  assert.equal(isStatus({ ...good, expires_at: 1234 }), false);
  assert.equal(isStatus({ ...good, last_error: "boom" }), false);
  assert.equal(isStatus({ ...good, retry_at: "2026-11-27T12:00:01Z", notice: { code: "state_mismatch", message: "m", hint: null } }), true);
  assert.equal(isStatus({ ...good, notice: "boom" }), false);
  assert.equal(isStatus({ ...good, retry_at: 5 }), false);
  assert.equal(isStatus(null), false);
  assert.equal(isStatus("connected"), false);
});

test("asErrorInfo keeps the core's ErrorInfo and wraps Tauri's strings", () => {
  const info = samples.bad_api_url;
  assert.deepEqual(asErrorInfo(info), info);
  assert.deepEqual(asErrorInfo({ code: "x", message: "y" }), { code: "x", message: "y", hint: null, setting: null, setting_empty: false });
  assert.deepEqual(asErrorInfo("command refresh_now not found"), {
    code: "internal",
    message: "command refresh_now not found",
    hint: null,
    setting: null,
    setting_empty: false,
  });
  assert.equal(asErrorInfo({ code: "x", message: "y", setting: 5 }).code, "internal", "not the core's shape");
  assert.equal(asErrorInfo(new Error("boom")).message, "boom");
  assert.equal(asErrorInfo(undefined).code, "internal");
});

const view = {
  values: {
    url: "https://app.kanka.io",
    api_url: "http://127.0.0.1:8123/1.0",
    client_id: "",
    redirect_uri: "kanka-link://oauth/callback",
  },
  origins: { url: "default", api_url: "environment", client_id: "default", redirect_uri: "file", client_secret: "keychain" },
  variables: { url: null, api_url: "KANKA_LINK_API_URL", client_id: null, redirect_uri: null, client_secret: null },
  client_secret_saved: true,
  config_file: "/home/ada/.config/kanka-link/config.toml",
};

test("settings set by the environment are read-only and say which variable", () => {
  const fields = describeFields(view);
  assert.equal(fields.api_url.readOnly, true);
  assert.equal(fields.api_url.note, "Read-only: set by KANKA_LINK_API_URL.");
  assert.equal(fields.url.readOnly, false);
  assert.equal(fields.url.note, "Built-in default.");
  assert.equal(fields.client_id.note, "Not set yet.");
  assert.equal(fields.redirect_uri.note, "From the config file.");
  const typed = describeFields({ ...view, origins: { ...view.origins, url: "input" } });
  assert.equal(typed.url.note, "", "an origin the form does not know gets no note");
  assert.equal(typed.url.readOnly, false);
  const fromEnv = describeFields({
    ...view,
    origins: { ...view.origins, client_secret: "environment" },
    variables: { ...view.variables, client_secret: "SOME_SECRET_VARIABLE" },
    client_secret_saved: false,
  });
  assert.equal(fromEnv.client_secret.readOnly, true);
  assert.equal(fromEnv.client_secret.note, "Read-only: set by SOME_SECRET_VARIABLE.", "the core names the variable");
});

test("the settings view as the core makes it: the variables it names, the origins it says", () => {
  const real = samples.settings_view;
  const fields = describeFields(real);
  assert.equal(fields.api_url.readOnly, true);
  assert.equal(fields.api_url.note, "Read-only: set by KANKA_LINK_API_URL.");
  assert.equal(fields.client_secret.readOnly, true);
  assert.equal(fields.client_secret.note, "Read-only: set by KANKA_LINK_CLIENT_SECRET.");
  assert.equal(fields.url.note, "Built-in default.");
  assert.equal(fields.client_id.note, "Not set yet.");
  // The run-time lists are the generated types' members: the core's fields, in and out.
  assert.deepEqual([...SETTING_KEYS].sort(), Object.keys(real.values).sort());
  assert.deepEqual([...FIELDS].sort(), Object.keys(real.origins).sort());
  assert.deepEqual([...FIELDS].sort(), Object.keys(real.variables).sort());
  assert.deepEqual(Object.keys(formFrom({ ...real.values, client_secret: "" }, fields)).sort(), [...FIELDS].sort());
});

test("the client secret is never shown: a placeholder says it is saved", () => {
  const fields = describeFields(view);
  assert.equal(fields.client_secret.value, "");
  assert.equal(fields.client_secret.placeholder, SECRET_PLACEHOLDER);
  assert.equal(SECRET_PLACEHOLDER, "saved in the keychain");
  const missing = describeFields({ ...view, origins: { ...view.origins, client_secret: "missing" }, client_secret_saved: false });
  assert.equal(missing.client_secret.placeholder, "");
  assert.match(missing.client_secret.note, /^Not saved yet/);
});

test("the form sent to save_settings: trimmed, an empty secret keeps the saved one", () => {
  const fields = describeFields(view);
  const inputs = { ...view.values, client_id: " 42 ", client_secret: "" };
  assert.deepEqual(formFrom(inputs, fields), { ...view.values, client_id: "42", client_secret: null });
  assert.equal(formFrom({ ...inputs, client_secret: " s3cret " }, fields).client_secret, "s3cret");
  const fromEnv = describeFields({ ...view, origins: { ...view.origins, client_secret: "environment" } });
  assert.equal(formFrom({ ...inputs, client_secret: "typed" }, fromEnv).client_secret, null);
});

test("fieldInError finds the input the core says an error is about, whatever its words", () => {
  assert.equal(fieldInError(samples.bad_api_url), "api_url");
  assert.equal(fieldInError(samples.unset_client_id), "client_id");
  assert.equal(fieldInError(samples.missing_client_secret), "client_secret");
  assert.equal(fieldInError(samples.invalid_client), "client_id");
  assert.equal(fieldInError(samples.network), null);
  assert.equal(fieldInError({ ...samples.network, message: "The setting url is wrong." }), null, "never read from the words");
  assert.equal(fieldInError({ ...samples.bad_api_url, message: "Réglage invalide." }), "api_url");
  assert.equal(fieldInError({ ...samples.bad_api_url, setting: "config.toml" }), null, "the file as a whole: no input");
  assert.equal(fieldInError(null), null);
});
