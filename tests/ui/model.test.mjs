// What the window shows for each status and each thing the user does, including the races
// between the statuses the channel pushes and the commands' answers.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { importUi, samples } from "./transpile.mjs";

const model = await importUi("model");
const contract = await importUi("contract");
const { initialUi, receiveStatus, answered, begin, finish, fail, notify, signInStarted, cancelled, disconnected } =
  model;

const NOW = new Date("2026-11-27T12:00:00Z");
const DAY = 86_400_000;
const iso = (ms) => new Date(NOW.getTime() + ms).toISOString();
const DATES = { locale: "en-GB", timeZone: "UTC" };
const show = (ui, now = NOW) => model.present(ui, now, DATES);
/** The details as the lines read. */
const lines = (view) => {
  const { expires, lastRefresh, nextRefresh, ...rest } = view.details;
  const text = (line) => line && model.whenText(line);
  return { ...rest, expires: text(expires), lastRefresh: text(lastRefresh), nextRefresh: text(nextRefresh) };
};

const ADA = { id: 7, name: "Ada" };
const disconnectedStatus = {
  state: "disconnected",
  account: null,
  expires_at: null,
  refreshed_at: null,
  next_refresh_at: null,
  last_error: null,
};
const connectedStatus = {
  state: "connected",
  account: ADA,
  expires_at: iso(365 * DAY - 60_000),
  refreshed_at: iso(-5 * 60_000),
  next_refresh_at: iso(273 * DAY + 60_000),
  last_error: null,
};
const status = (changes) => ({ ...disconnectedStatus, ...changes });
const connected = (changes) => ({ ...connectedStatus, ...changes });
const error = (code, message = `${code} happened.`, hint = `Do something about ${code}.`) => ({ code, message, hint });
// What connect answers when a browser opened: no address (it carries the sign-in's state).
const started = (changes) => ({ expires_at: iso(600_000), url: null, ...changes });
// ... and when none could be opened: the address, for the user to copy.
const ADDRESS = "https://app.kanka.io/oauth/authorize?client_id=1&state=abc";
const noBrowser = () => started({ url: ADDRESS });
const at = (...statuses) => statuses.reduce(receiveStatus, initialUi);

describe("each state", () => {
  test("before the first status nothing can be clicked", () => {
    const view = show(initialUi);
    assert.equal(view.state, "");
    assert.equal(view.stateLabel, "");
    assert.deepEqual(view.actions, []);
    assert.equal(view.message, null);
  });

  test("the footer names each state in words, not by its raw name", () => {
    const { STATES } = contract;
    const labels = STATES.map((state) => show(at(status({ state }))).stateLabel);
    assert.deepEqual(labels, ["Not connected", "Waiting for the sign-in", "Connected", "Refreshing",
      "Needs a new sign-in", "Stopped by a problem"]);
    for (const [i, label] of labels.entries()) assert.doesNotMatch(label, new RegExp(`^${STATES[i]}$|_`));
  });

  test("disconnected offers Connect to Kanka and nothing else", () => {
    const view = show(at(disconnectedStatus));
    assert.equal(view.state, "disconnected");
    assert.deepEqual(view.actions, ["connect"]);
    assert.equal(view.primary, "connect");
    assert.equal(view.intro, true);
    assert.equal(view.progress, "");
    assert.equal(view.message, null);
    assert.equal(view.details, null);
  });

  test("connected shows who, until when, last and next refresh", () => {
    const view = show(at(connectedStatus));
    assert.equal(view.state, "connected");
    assert.deepEqual(view.actions, ["refresh", "disconnect"]);
    assert.deepEqual(view.disabled, []);
    assert.equal(view.progress, "");
    assert.deepEqual(lines(view), {
      account: "Connected as Ada",
      accountPending: false,
      expires: "Token expires: 27/11/2027, 11:59 (in 365 days)",
      lastRefresh: "Last refresh: 27/11/2026, 11:55",
      nextRefresh: "Next refresh: 27/08/2027, 12:01 (in 273 days)",
    });
    // The core's own text goes into <time datetime>, as it sent it.
    assert.equal(view.details.expires.datetime, connectedStatus.expires_at);
    assert.equal(view.details.lastRefresh.datetime, connectedStatus.refreshed_at);
    assert.equal(view.details.nextRefresh.datetime, connectedStatus.next_refresh_at);
    assert.equal(view.redrawIn, 54.5 * 60_000, "at 59½ minutes the last refresh reads 1 hour ago");
  });

  test("the time left is counted in hours, minutes, then seconds under a day", () => {
    const soon = show(at(connected({ expires_at: iso(5 * 3_600_000 + 1000), next_refresh_at: iso(-1000) })));
    assert.match(lines(soon).expires, /\(in 5 hours\)$/);
    assert.match(lines(soon).nextRefresh, /\(due now\)$/);
    const sooner = show(at(connected({ expires_at: iso(42 * 60_000 + 1000) })));
    assert.match(lines(sooner).expires, /\(in 42 minutes\)$/);
    assert.equal(sooner.redrawIn, 31_001, "at 41½ minutes left the expiry reads in 41 minutes");
    const short = show(at(connected({ expires_at: iso(12_000), refreshed_at: iso(-100), next_refresh_at: iso(9000) })));
    assert.match(lines(short).expires, /\(in 12 seconds\)$/);
    assert.match(lines(short).nextRefresh, /\(in 9 seconds\)$/);
    assert.equal(short.redrawIn, 501, "at 8½ seconds left the next refresh reads in 8 seconds");
    const passing = show(at(connected({ expires_at: iso(200), refreshed_at: iso(-DAY), next_refresh_at: iso(DAY) })));
    assert.equal(passing.redrawIn, 201, "'now' becomes 'expired now' as the instant passes");
    const gone = show(at(connected({ expires_at: iso(-2 * DAY) })));
    assert.match(lines(gone).expires, /\(expired 2 days ago\)$/);
  });

  test("an instant the core did not send reads as unknown", () => {
    const view = show(at(connected({ refreshed_at: null, expires_at: "not a date" })));
    assert.equal(lines(view).expires, "Token expires: unknown");
    assert.equal(view.details.expires.datetime, null);
    assert.equal(lines(view).lastRefresh, "Last refresh: unknown");
  });

  test("connected without the account name says it is being fetched", () => {
    const view = show(at(connected({ account: null })));
    assert.equal(view.details.account, "Connected");
    assert.equal(view.details.accountPending, true);
  });

  test("refreshing says so and disables Refresh now", () => {
    const view = show(at(connected({ state: "refreshing" })));
    assert.equal(view.progress, "Refreshing…");
    assert.deepEqual(view.actions, ["refresh", "disconnect"]);
    assert.deepEqual(view.disabled, ["refresh"]);
  });

  test("connecting after a restart waits without an address to copy", () => {
    const view = show(at(status({ state: "connecting" })));
    assert.equal(view.progress, "Waiting for Kanka in your browser…");
    assert.deepEqual(view.actions, ["open-again", "cancel"]);
    assert.deepEqual(view.waiting, { url: null, remaining: null });
  });

  test("reconnect needed names who, says why, and offers Connect to Kanka", () => {
    const why = error("reconnect_needed", "Ada needs to sign in to Kanka again. The refresh token was revoked.", "Click Connect to Kanka to sign in again.");
    const view = show(at(connected({ state: "reconnect_needed", next_refresh_at: null, last_error: why })));
    assert.deepEqual(view.message, { text: why.message, hint: why.hint, tone: "error" });
    assert.equal(view.details.account, "Was connected as Ada");
    assert.equal(view.details.nextRefresh, null);
    assert.deepEqual(view.actions, ["connect", "disconnect"]);
    assert.equal(view.primary, "connect");
  });

  test("reconnect needed has no words of the window's own: the core always says why (status.rs)", () => {
    const view = show(at(connected({ state: "reconnect_needed", last_error: null })));
    assert.equal(view.message, null);
    assert.deepEqual(view.actions, ["connect", "disconnect"]);
  });
});

describe("errors and the button that fixes them", () => {
  const cases = [
    ["invalid_setting", false, ["open-settings", "connect"]],
    ["missing_client_secret", false, ["open-settings", "connect"]],
    ["invalid_client", true, ["open-settings", "refresh", "disconnect"]],
    ["invalid_request", false, ["open-settings", "connect"]],
    ["keychain_unavailable", false, ["try-again"]],
    ["keychain_locked", true, ["try-again", "disconnect"]],
    ["keychain", false, ["try-again"]],
    ["storage", false, ["connect"]],
    ["storage", true, ["refresh", "disconnect"]],
    ["lock_timeout", true, ["refresh", "disconnect"]],
  ];
  for (const [code, withConnection, actions] of cases) {
    test(`${code}${withConnection ? " while connected" : ""}: ${actions[0]}`, () => {
      const base = withConnection ? connected({}) : status({});
      const problem = error(code);
      const view = show(at({ ...base, state: "error", last_error: problem }));
      assert.equal(view.state, "error");
      assert.deepEqual(view.message, { text: problem.message, hint: problem.hint, tone: "error" });
      assert.deepEqual(view.actions, actions);
      assert.equal(view.primary, actions[0]);
      assert.equal(view.details === null, !withConnection);
    });
  }

  test("an error state keeps its message after the user acts", () => {
    const problem = error("keychain_locked");
    const ui = begin(at(status({ state: "error", last_error: problem })), "try-again", "command");
    assert.equal(show(ui).message.text, problem.message);
  });
});

describe("messages", () => {
  test("a refused callback is news until the user acts, and again when it changes", () => {
    const forged = error("state_mismatch", "This sign-in answer does not belong to the connection in progress, so it was ignored.");
    let ui = at(connected({ last_error: forged }));
    assert.equal(show(ui).message.text, forged.message);
    ui = begin(ui, "refresh", "command");
    assert.equal(show(ui).message, null);
    ui = receiveStatus(finish(ui), connected({ last_error: forged }));
    assert.equal(show(ui).message, null, "the same error is not news");
    const replayed = error("replayed_callback");
    ui = receiveStatus(ui, connected({ last_error: replayed }));
    assert.equal(show(ui).message.text, replayed.message);
  });

  test("a command's own answer shows its error even if it is the one acted on", () => {
    const offline = error("network", "Could not reach api.kanka.io: connection refused.");
    let ui = begin(at(connected({ last_error: offline })), "refresh", "command");
    ui = answered(finish(ui), connected({ last_error: offline }));
    assert.equal(show(ui).message.text, offline.message);
    ui = answered(begin(ui, "refresh", "command"), connected({ last_error: null }));
    assert.equal(show(ui).message, null);
  });

  test("a failed command says why and frees the buttons", () => {
    let ui = begin(at(connectedStatus), "refresh", "command");
    assert.equal(show(ui).busy, "refresh");
    const offline = error("network", "Could not reach app.kanka.io: timed out.", "Check your internet connection.");
    ui = fail(ui, offline);
    const view = show(ui);
    assert.equal(view.busy, null);
    assert.deepEqual(view.message, { text: offline.message, hint: offline.hint, tone: "error" });
  });

  test("a window message gives way to a new error from the core, not to a cleared one", () => {
    let ui = notify(at(disconnectedStatus), "Settings saved.", null, "info");
    ui = receiveStatus(ui, status({}));
    assert.equal(show(ui).message.text, "Settings saved.");
    const locked = error("keychain_locked");
    ui = receiveStatus(ui, status({ state: "error", last_error: locked }));
    assert.equal(show(ui).message.text, locked.message);
  });

  test("disconnecting says where to revoke the app and offers Kanka's settings", () => {
    let ui = begin(at(connectedStatus), "disconnect", "command");
    const answer = {
      message: "Disconnected. To revoke Kanka Link itself, remove it in Kanka under Settings → API.",
      settings_url: "https://app.kanka.io/settings/api",
    };
    ui = disconnected(finish(ui), answer);
    ui = receiveStatus(ui, disconnectedStatus);
    const view = show(ui);
    assert.deepEqual(view.actions, ["connect"]);
    assert.deepEqual(view.message, { text: answer.message, hint: null, tone: "info" });
    assert.equal(view.kankaSettings, true);
    ui = begin(ui, "connect", "sign-in");
    assert.equal(show(ui).kankaSettings, false);
    assert.equal(show(ui).message, null);
  });

  test("side actions (open the page again) keep the message", () => {
    const ui = begin(notify(at(status({ state: "connecting" })), "Hello.", null, "info"), "open-again", "side");
    assert.equal(show(ui).message.text, "Hello.");
  });
});

describe("signing in", () => {
  test("connect, wait with the time left and no address (the browser has it), then connected", () => {
    let ui = begin(at(disconnectedStatus), "connect", "sign-in");
    assert.deepEqual(show(ui).actions, ["connect"], "nothing changes until connect answers");
    ui = signInStarted(finish(ui), started());
    let view = show(ui);
    assert.equal(view.progress, "Waiting for Kanka in your browser…");
    assert.deepEqual(view.actions, ["open-again", "cancel"]);
    assert.deepEqual(view.waiting, { url: null, remaining: "The sign-in times out in 10:00." });
    assert.equal(view.redrawIn, 1000, "the countdown, at 10:00, reads 9:59 a second later");
    assert.equal(view.message, null, "a browser opened: nothing to say");
    assert.equal(show(ui, new Date(NOW.getTime() + 61_000)).waiting.remaining, "The sign-in times out in 8:59.");

    ui = receiveStatus(ui, status({ state: "connecting" }));
    assert.equal(show(ui).waiting.url, null);
    // Until the core says the sign-in ended, the window waits with it.
    assert.equal(show(ui, new Date(NOW.getTime() + 600_000)).waiting.remaining, "The sign-in has timed out.");
    ui = receiveStatus(ui, connectedStatus);
    view = show(ui);
    assert.equal(view.waiting, null);
    assert.equal(view.progress, "");
    assert.equal(view.details.account, "Connected as Ada");
  });

  test("without a browser, it shows the address to copy, until the sign-in ends", () => {
    let ui = begin(at(disconnectedStatus), "connect", "sign-in");
    ui = receiveStatus(ui, status({ state: "connecting" }));
    ui = signInStarted(finish(ui), noBrowser());
    let view = show(ui);
    assert.equal(view.message.text, "No browser could be opened.");
    assert.match(view.message.hint, /Copy the address below into a browser/);
    assert.equal(view.waiting.url, ADDRESS);
    // "Open again" found a browser this time: its answer has no address, and none is shown.
    ui = signInStarted(finish(begin(ui, "open-again", "side")), started());
    assert.equal(show(ui).waiting.url, null);
    ui = receiveStatus(ui, connectedStatus);
    view = show(ui);
    assert.equal(view.message, null);
    assert.equal(view.waiting, null);
  });

  test("statuses that arrive before connect's answer win", () => {
    let ui = begin(at(disconnectedStatus), "connect", "sign-in");
    ui = receiveStatus(ui, status({ state: "connecting" }));
    ui = receiveStatus(ui, connectedStatus);
    ui = signInStarted(finish(ui), noBrowser());
    const view = show(ui);
    assert.equal(view.waiting, null);
    assert.equal(view.message, null);
    assert.deepEqual(view.actions, ["refresh", "disconnect"]);
  });

  test("an unrelated status before the sign-in shows up does not end it", () => {
    let ui = begin(at(disconnectedStatus), "connect", "sign-in");
    ui = receiveStatus(ui, disconnectedStatus);
    ui = signInStarted(finish(ui), started());
    assert.equal(show(ui).progress, "Waiting for Kanka in your browser…");
  });

  test("a sign-in the core never confirmed stops waiting when its time is up", () => {
    const ui = signInStarted(finish(begin(at(disconnectedStatus), "connect", "sign-in")), started());
    assert.equal(show(ui, new Date(NOW.getTime() + 599_000)).progress, "Waiting for Kanka in your browser…");
    const view = show(ui, new Date(NOW.getTime() + 600_000));
    assert.equal(view.waiting, null);
    assert.deepEqual(view.actions, ["connect"]);
  });

  test("a timed-out sign-in ends in the core's message and Connect to Kanka", () => {
    let ui = signInStarted(finish(begin(at(disconnectedStatus), "connect", "sign-in")), started());
    const expired = error("authorization_expired", "The connection attempt expired before Kanka answered.");
    ui = receiveStatus(ui, status({ last_error: expired }));
    const view = show(ui);
    assert.equal(view.waiting, null);
    assert.deepEqual(view.actions, ["connect"]);
    assert.equal(view.message.text, expired.message);
  });

  test("a refused answer while waiting is shown and the wait goes on", () => {
    let ui = signInStarted(finish(begin(at(disconnectedStatus), "connect", "sign-in")), noBrowser());
    ui = receiveStatus(ui, status({ state: "connecting" }));
    const forged = error("state_mismatch");
    ui = receiveStatus(ui, status({ state: "connecting", last_error: forged }));
    const view = show(ui);
    assert.equal(view.progress, "Waiting for Kanka in your browser…");
    assert.equal(view.message.text, forged.message);
  });

  test("a sign-in Kanka gave another connection's account: the core's words, Connect and Remove, said again each time", () => {
    // As the core says it (samples.json, from the Rust code), on an added card (removable).
    const held = samples.account_already_connected;
    assert.equal(held.code, "account_already_connected");
    const added = { removable: true, offersDefault: true };
    const view = (ui) => model.present(ui, NOW, DATES, added);
    const refusedBy = (ui) => {
      ui = signInStarted(finish(begin(ui, "connect", "sign-in")), started());
      ui = receiveStatus(ui, status({ state: "connecting" }));
      return receiveStatus(ui, status({ last_error: held }));
    };
    let ui = refusedBy(at(disconnectedStatus));
    const refused = view(ui);
    assert.equal(refused.waiting, null);
    assert.deepEqual(refused.message, { text: held.message, hint: held.hint, tone: "error" });
    assert.deepEqual(refused.actions, ["connect", "disconnect"], "Connect again, or Remove; no default without an account");
    assert.equal(refused.removes, true);
    // Connecting again with the browser still signed in as that account: refused again, and
    // said again, though it reads as the error the user acted on.
    ui = begin(ui, "connect", "sign-in");
    assert.equal(view(ui).message, null);
    ui = refusedBy(ui);
    assert.deepEqual(view(ui).message, { text: held.message, hint: held.hint, tone: "error" });
    // Signed in to Kanka as the other account, it connects.
    ui = signInStarted(finish(begin(ui, "connect", "sign-in")), started());
    ui = receiveStatus(receiveStatus(ui, status({ state: "connecting" })), connected({ account: { id: 2, name: "Grace" } }));
    assert.equal(view(ui).message, null);
    assert.equal(view(ui).details.account, "Connected as Grace");
    assert.deepEqual(view(ui).actions, ["refresh", "make-default", "disconnect"]);
  });

  test("a connect that fails says why and stays signed out", () => {
    let ui = begin(at(disconnectedStatus), "connect", "sign-in");
    ui = fail(ui, error("missing_client_secret", "No client secret is set for Kanka client 1."));
    const view = show(ui);
    assert.equal(view.waiting, null);
    assert.deepEqual(view.actions, ["connect"]);
    assert.equal(view.message.text, "No client secret is set for Kanka client 1.");
  });

  test("Cancel ends the wait and says so", () => {
    let ui = signInStarted(finish(begin(at(disconnectedStatus), "connect", "sign-in")), started());
    ui = receiveStatus(ui, status({ state: "connecting" }));
    ui = begin(ui, "cancel", "command");
    ui = cancelled(finish(ui), disconnectedStatus);
    const view = show(ui);
    assert.equal(view.waiting, null);
    assert.equal(view.progress, "");
    assert.deepEqual(view.actions, ["connect"]);
    assert.deepEqual(view.message, { text: "The sign-in was cancelled.", hint: null, tone: "info" });
  });

  test("Cancel shows the core's own message when it has one", () => {
    let ui = signInStarted(finish(begin(at(disconnectedStatus), "connect", "sign-in")), started());
    const news = error("cancelled", "You cancelled the connection.");
    ui = cancelled(finish(begin(ui, "cancel", "command")), status({ last_error: news }));
    assert.equal(show(ui).message.text, news.message);
  });

  test("copy notices belong to the wait", () => {
    let ui = signInStarted(finish(begin(at(disconnectedStatus), "connect", "sign-in")), started());
    ui = notify(ui, "The address is copied.", null, "info", true);
    assert.equal(show(ui).message.text, "The address is copied.");
    ui = receiveStatus(ui, connectedStatus);
    assert.equal(show(ui).message, null);
  });
});

test("fixFor follows the error code", () => {
  assert.equal(model.fixFor(null, false), "connect");
  assert.equal(model.fixFor(null, true), "refresh");
  assert.equal(model.fixFor(error("invalid_client"), true), "open-settings");
  assert.equal(model.fixFor(error("keychain"), true), "try-again");
  assert.equal(model.fixFor(error("network"), false), "connect");
});

describe("a sign-in that waited through a restart", () => {
  // What sign_in_page answers: the countdown, no address ("Open again" opens the page).
  const page = { expires_at: iso(5 * 60_000), url: null };

  test("asks for its page once, then shows its countdown without an address", () => {
    const waiting = receiveStatus(initialUi, status({ state: "connecting" }));
    assert.equal(model.needsSignInPage(waiting), true);
    const resumed = model.signInResumed(waiting, page);
    assert.equal(model.needsSignInPage(resumed), false);
    assert.deepEqual(show(resumed).waiting, { url: null, remaining: "The sign-in times out in 5:00." });
    assert.equal(show(resumed).message, null, "no notice about a browser");
    assert.deepEqual(show(resumed).actions, ["open-again", "cancel"]);
  });

  test("is not asked for when nothing waits, or the page is gone", () => {
    assert.equal(model.needsSignInPage(receiveStatus(initialUi, disconnectedStatus)), false);
    const waiting = receiveStatus(initialUi, status({ state: "connecting" }));
    assert.equal(model.signInResumed(waiting, null), waiting);
    const over = receiveStatus(waiting, disconnectedStatus);
    assert.equal(model.signInResumed(over, page), over);
  });
});

describe("news from the core that is not an error", () => {
  test("a link that answered no sign-in is shown as passing news, and hides no error", () => {
    const stray = error("unexpected_callback", "No connection to Kanka is in progress, so this sign-in answer was ignored.");
    const view = show(at(connected({ notice: stray })));
    assert.deepEqual(view.message, { text: stray.message, hint: stray.hint, tone: "info" });
    assert.equal(view.state, "connected");
    const warning = error("tokens_not_saved");
    const held = show(at(connected({ notice: stray, last_error: warning })));
    assert.equal(held.message.text, warning.message, "the warning stays on show");
    assert.equal(show(at(connected({ notice: null }))).message, null, "and the notice goes with the core's");
  });

  test("an error that is tried again says when", () => {
    const failed = connected({ last_error: error("server_error"), retry_at: iso(1000), next_refresh_at: iso(1000) });
    const view = show(at(failed));
    assert.equal(view.message.tone, "error");
    assert.equal(view.message.hint, "Do something about server_error. Next try: 27/11/2026, 12:00.");
    const settled = show(at(connected({ last_error: error("invalid_client"), retry_at: null })));
    assert.equal(settled.message.hint, "Do something about invalid_client.", "no retry, no promise");
  });

  test("the retry goes with the core's error, told by where the message comes from, not by its words", () => {
    const failed = connected({ last_error: error("server_error"), retry_at: iso(1000), next_refresh_at: iso(1000) });
    // A stray link's notice that happens to read like the error: no promise of a retry under it.
    const lookalike = { ...error("state_mismatch"), message: failed.last_error.message, hint: null };
    const seen = begin(at(failed), "refresh", "command");
    const view = show(receiveStatus(seen, { ...failed, notice: lookalike }));
    assert.equal(view.message.text, lookalike.message);
    assert.equal(view.message.tone, "info");
    assert.equal(view.message.hint, null);
  });
});
