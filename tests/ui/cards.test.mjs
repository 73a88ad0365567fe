// Several connections: one card per connection, as the status channel lists them; the default
// marked, "Connect another account" once the first is connected, and one connection reading as
// the single view always did. The statuses are fed through the contract's check first, as the
// page receives them.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { importUi } from "./transpile.mjs";

const cards = await importUi("cards");
const model = await importUi("model");
const { isConnectionList } = await importUi("contract");

const NOW = new Date("2026-11-27T12:00:00Z");
const iso = (ms) => new Date(NOW.getTime() + ms).toISOString();
const DATES = { locale: "en-GB", timeZone: "UTC" };
const SERVER = "https://app.kanka.io";

const signedOut = {
  state: "disconnected",
  account: null,
  expires_at: null,
  refreshed_at: null,
  next_refresh_at: null,
  retry_at: null,
  last_error: null,
  notice: null,
};
const signedIn = (name, id) => ({
  ...signedOut,
  state: "connected",
  account: { id, name },
  expires_at: iso(365 * 86_400_000),
  refreshed_at: iso(-60_000),
  next_refresh_at: iso(273 * 86_400_000),
});
const entry = (id, status, changes = {}) => ({ id, server: SERVER, default: id === "main", status, ...changes });
/** A list as the page takes it: checked by the contract first. */
const listOf = (...entries) => {
  assert.ok(isConnectionList(entries), JSON.stringify(entries));
  return entries;
};
/** Each card as the page draws it: heading, marks and its buttons. */
const drawn = (list) =>
  cards.cardsOf(list).map((head, at) => {
    const ui = model.receiveStatus(model.initialUi, list[at].status);
    const view = model.present(ui, NOW, DATES, head);
    return { ...head, actions: view.actions, removes: view.removes, account: view.details?.account ?? null };
  });

describe("the list of connections", () => {
  test("one connection reads as the single view did: 'Kanka account', Connect to Kanka, no mark, nothing to add", () => {
    const list = listOf(entry("main", signedOut));
    assert.deepEqual(drawn(list), [
      { id: "main", heading: "Kanka account", isDefault: false, removable: false, offersDefault: false, suffix: "",
        actions: ["connect"], removes: false, account: null },
    ]);
    assert.equal(cards.canAddAnother(list), false, "nothing to add beside a connection not signed in");
  });

  test("'Connect another account' shows once the first connection is connected", () => {
    assert.equal(cards.canAddAnother(listOf(entry("main", signedIn("Ada", 1)))), true);
    assert.equal(cards.canAddAnother(listOf(entry("main", { ...signedIn("Ada", 1), state: "refreshing" }))), true);
    for (const state of ["connecting", "reconnect_needed", "error"]) {
      assert.equal(cards.canAddAnother(listOf(entry("main", { ...signedIn("Ada", 1), state }))), false, state);
    }
  });

  test("two connections: a card each, in the core's order, each naming its account, the default marked", () => {
    const list = listOf(entry("main", signedIn("Ada", 1)), entry("2", signedIn("Grace", 2)));
    assert.deepEqual(drawn(list), [
      { id: "main", heading: "Kanka account: Ada (default)", isDefault: true, removable: false, offersDefault: false,
        suffix: "", actions: ["refresh", "disconnect"], removes: false, account: "Connected as Ada" },
      { id: "2", heading: "Kanka account: Grace", isDefault: false, removable: true, offersDefault: true, suffix: "-2",
        actions: ["refresh", "make-default", "disconnect"], removes: false, account: "Connected as Grace" },
    ]);
    assert.equal(cards.canAddAnother(list), true);
  });

  test("the default is where the core says, not always the first", () => {
    const list = listOf(entry("main", signedIn("Ada", 1), { default: false }), entry("2", signedIn("Grace", 2), { default: true }));
    assert.deepEqual(cards.cardsOf(list).map((c) => [c.heading, c.isDefault]), [
      ["Kanka account: Ada", false],
      ["Kanka account: Grace (default)", true],
    ]);
  });

  test("'Make default' is on every card but the default's, once there are several, while it holds an account", () => {
    const offered = (list) => drawn(list).map((card) => card.actions.includes("make-default"));
    assert.deepEqual(offered(listOf(entry("main", signedIn("Ada", 1)))), [false], "one connection is the default by itself");
    assert.deepEqual(
      offered(listOf(entry("main", signedIn("Ada", 1), { default: false }), entry("2", signedIn("Grace", 2), { default: true }))),
      [true, false],
      "the settings' own is offered it when another is the default",
    );
    // A connection that needs a new sign-in still holds its account; one that holds none
    // (signing in, never signed in, or refused) would make `kanka-link token` fail.
    const revoked = { ...signedIn("Grace", 2), state: "reconnect_needed" };
    const refused = { ...signedOut, last_error: { code: "account_already_connected", message: "m", hint: "h",
      setting: null, setting_empty: false } };
    const list = listOf(entry("main", signedIn("Ada", 1)), entry("2", revoked), entry("3", signedOut),
      entry("4", { ...signedOut, state: "connecting" }), entry("5", refused));
    assert.deepEqual(offered(list), [false, true, false, false, false]);
    assert.deepEqual(drawn(list)[1].actions, ["connect", "make-default", "disconnect"], "never the card's main action");
  });

  test("an added connection still signing in, or never signed in, can be removed; the first cannot", () => {
    const waiting = { ...signedOut, state: "connecting" };
    const list = listOf(entry("main", signedIn("Ada", 1)), entry("2", waiting), entry("3", signedOut));
    const [, second, third] = drawn(list);
    assert.equal(second.heading, "Another Kanka account");
    assert.equal(third.heading, "Another Kanka account");
    assert.deepEqual(third.actions, ["connect", "disconnect"]);
    assert.equal(third.removes, true, "its Disconnect reads Remove: there is no account to disconnect");
    // The settings' own connection, signed out beside another: Connect only, never removed.
    const [first] = drawn(listOf(entry("main", signedOut), entry("2", signedIn("Grace", 2))));
    assert.deepEqual([first.heading, first.actions, first.removes], ["Kanka account (default)", ["connect"], false]);
  });

  test("connections on several servers name their server", () => {
    const list = listOf(entry("main", signedIn("Ada", 1)), entry("2", signedIn("Ada", 1), { server: "http://127.0.0.1:8080" }));
    assert.deepEqual(cards.cardsOf(list).map((c) => c.heading), [
      "Kanka account: Ada on app.kanka.io (default)",
      "Kanka account: Ada on 127.0.0.1:8080",
    ]);
  });

  test("an added card's element ids take a suffix the page can use in an id", () => {
    assert.equal(cards.suffixOf("main"), "");
    assert.equal(cards.suffixOf("2"), "-2");
    assert.equal(cards.suffixOf("a b\"<c>"), "-a_b__c_");
  });
});

describe("the list as the channel sends it", () => {
  test("is refused unless every entry is a connection with a valid status", () => {
    const good = entry("main", signedOut);
    assert.equal(isConnectionList([good]), true);
    assert.equal(isConnectionList([]), false, "the settings' own connection is always there");
    assert.equal(isConnectionList(signedOut), false, "a bare status is no longer what the channel sends");
    assert.equal(isConnectionList([{ ...good, id: "" }]), false);
    assert.equal(isConnectionList([{ ...good, default: "yes" }]), false);
    assert.equal(isConnectionList([{ ...good, server: null }]), false);
    assert.equal(isConnectionList([{ ...good, status: { ...signedOut, state: "sleeping" } }]), false);
    assert.equal(isConnectionList([good, "boom"]), false);
  });
});
