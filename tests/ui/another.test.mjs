// "Add another Kanka server" (ui/src/another.ts): what its form starts with, what it sends to
// add_server_connection, and where a refusal shows, as the core names the field (never by its
// words). The form itself, in the real window, is tests/e2e/test_other_kanka.py's.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { importUi, samples } from "./transpile.mjs";

const { blankForm, formOf, DEFAULT_REDIRECT } = await importUi("another");
const { fieldInError } = await importUi("settings");
const { FIELDS } = await importUi("contract");

const TYPED = {
  url: " https://kanka.example.org ",
  api_url: "https://kanka.example.org/api/1.0 ",
  client_id: " 8",
  client_secret: " s3cret ",
  redirect_uri: " kanka-link://oauth/callback",
};

describe("the form's start", () => {
  test("the settings' redirect, everything else blank: no address of the settings' own Kanka", () => {
    const view = samples.settings_view;
    assert.deepEqual(blankForm(view), {
      url: "",
      api_url: "",
      client_id: "",
      client_secret: "",
      redirect_uri: view.values.redirect_uri,
    });
    assert.deepEqual(Object.keys(blankForm(view)).sort(), [...FIELDS].sort(), "an input for each field");
  });

  test("without the settings (they could not be read), or with a blank redirect: the built-in one", () => {
    assert.equal(blankForm(null).redirect_uri, DEFAULT_REDIRECT);
    assert.equal(DEFAULT_REDIRECT, "kanka-link://oauth/callback");
    const blank = { ...samples.settings_view, values: { ...samples.settings_view.values, redirect_uri: "  " } };
    assert.equal(blankForm(blank).redirect_uri, DEFAULT_REDIRECT);
  });
});

describe("what add_server_connection gets", () => {
  test("each value trimmed, the secret as typed (trimmed), the shape of the settings form", () => {
    assert.deepEqual(formOf(TYPED), {
      url: "https://kanka.example.org",
      api_url: "https://kanka.example.org/api/1.0",
      client_id: "8",
      redirect_uri: "kanka-link://oauth/callback",
      client_secret: "s3cret",
    });
  });

  test("a blank secret is none: the keychain's for that server and client is used, if it has one", () => {
    assert.equal(formOf({ ...TYPED, client_secret: "" }).client_secret, null);
    assert.equal(formOf({ ...TYPED, client_secret: "   " }).client_secret, null);
  });
});

describe("where a refusal shows", () => {
  test("at the field the core names: a wrong address, a missing secret", () => {
    assert.equal(fieldInError(samples.bad_api_url), "api_url");
    assert.equal(fieldInError({ ...samples.bad_api_url, setting: "url" }), "url");
    assert.equal(fieldInError(samples.missing_client_secret), "client_secret");
    for (const field of FIELDS) assert.equal(fieldInError({ ...samples.bad_api_url, setting: field }), field);
  });

  test("no field (the keychain, the network): on the card; never read from the message's words", () => {
    assert.equal(fieldInError(samples.network), null);
    assert.equal(fieldInError({ ...samples.network, message: "The setting url is not valid." }), null);
    assert.equal(fieldInError({ ...samples.bad_api_url, setting: "config.toml" }), null);
  });
});
