import assert from "node:assert/strict";
import { test } from "node:test";
import { importUi } from "./transpile.mjs";

const { isStatus, asErrorInfo } = await importUi("contract");
const { describeFields, formFrom, fieldInError, SECRET_PLACEHOLDER } = await importUi("settings");

const good = {
  state: "connected",
  account: { id: 1, name: "Ada" },
  expires_at: "2027-11-27T12:00:00Z",
  refreshed_at: "2026-11-27T12:00:00Z",
  next_refresh_at: "2027-08-28T12:00:00Z",
  last_error: { code: "network", message: "Could not reach app.kanka.io.", hint: null },
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
  const info = { code: "invalid_setting", message: "The setting url …", hint: "Correct url." };
  assert.deepEqual(asErrorInfo(info), info);
  assert.deepEqual(asErrorInfo({ code: "x", message: "y" }), { code: "x", message: "y", hint: null });
  assert.deepEqual(asErrorInfo("command refresh_now not found"), {
    code: "internal",
    message: "command refresh_now not found",
    hint: null,
  });
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
  const fromEnv = describeFields({ ...view, origins: { ...view.origins, client_secret: "environment" }, client_secret_saved: false });
  assert.equal(fromEnv.client_secret.readOnly, true);
  assert.equal(fromEnv.client_secret.note, "Read-only: set by KANKA_LINK_CLIENT_SECRET.");
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

test("fieldInError finds the input an error is about", () => {
  const invalid = (message) => ({ code: "invalid_setting", message, hint: null });
  assert.equal(
    fieldInError(invalid("The setting api_url from the environment variable KANKA_LINK_API_URL is not valid: it must be an https URL, not ftp:.")),
    "api_url",
  );
  assert.equal(fieldInError(invalid("The setting redirect_uri from the settings form is not valid.")), "redirect_uri");
  assert.equal(fieldInError(invalid("Something else.")), null);
  assert.equal(fieldInError({ code: "missing_client_secret", message: "", hint: null }), "client_secret");
  assert.equal(fieldInError({ code: "network", message: "the setting url", hint: null }), "url");
  assert.equal(fieldInError(null), null);
});
