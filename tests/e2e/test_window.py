"""End-to-end: the real window (WebKitGTK under Xvfb, driven by tauri-driver), the sandbox Kanka
on loopback, the private session's gnome-keyring, and the desktop's default browser set to a
script that plays the user (tests/e2e/browser.py). Every scenario checks the window and the
keychain. Run by tests/e2e/run.sh inside the private session that tests/run.sh starts; what the
scenarios share is in harness.py."""

import json
import os
import pathlib
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import (APP, BY_HAND, CLIENT_ID, CLIENT_SECRET, E2E, HOME, NO_BROWSER, WITH_ENV,  # noqa: E402
                     api_accepts, classify, cli, cli_by_hand, consent, gio_open, keychain, sandbox_call, stats,
                     world)

setUpModule = harness.set_up


def read_or_empty(path: pathlib.Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


class Window(harness.OneWindow):
    """One window; each test leaves it in the state the next one expects (they run in order)."""

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        # Every secret that went through Kanka: none may be in anything the app wrote under HOME
        # (config, data, logs, WebKit's storage and caches) or in its output (e2e/app.log).
        seen = sandbox_call("/__sandbox/secrets")
        secrets = [seen["client_secret"], *seen["codes"], *seen["code_verifiers"], *seen["access_tokens"],
                   *seen["refresh_tokens"], *world.get("tokens", set())]
        assert seen["access_tokens"] and seen["code_verifiers"], "the run issued tokens and sent verifiers"
        # The test's own launchers carry the client secret in their environment; the sandbox prints it.
        ours = {WITH_ENV, BY_HAND, NO_BROWSER, E2E / "sandbox.log"}
        # os.walk, not rglob: WebKit's processes may still remove a folder of their storage as
        # the app exits, and a file that is gone holds nothing.
        files = [path for folder, _, names in os.walk(HOME) for path in (pathlib.Path(folder, n) for n in names)
                 if path.is_file() and not path.is_symlink() and path not in ours]
        leaks = [f"{path} holds a {kind}" for path, text in ((p, read_or_empty(p)) for p in files)
                 for kind, secret in classify(seen) if secret.encode() in text]
        assert not leaks, leaks
        print(f"secrets: {len(secrets)} secrets (client secret, codes, verifiers, tokens) looked for in "
              f"{len(files)} files the app and WebKit wrote under HOME, and in the app's output: none found")


    def test_01_connect(self):
        self.wait_state("disconnected")
        self.assertEqual(self.session.text("#connect"), "Connect to Kanka")
        self.shot("disconnected")
        self.session.wait_for("the deep-link handler to be registered", lambda: "kanka-link-handler.desktop" in
                              subprocess.run(["xdg-mime", "query", "default", "x-scheme-handler/kanka-link"],
                                             capture_output=True, text=True).stdout)
        entry = (pathlib.Path(os.environ["XDG_DATA_HOME"]) / "applications" / "kanka-link-handler.desktop").read_text()
        self.assertIn(f'Exec="{APP}" %u', entry,
                      "the desktop runs the GTK-free command line, which hands kanka-link: URLs over")
        consent("approve")
        self.click("#connect")
        self.wait_state("connected")
        # The account name comes from a profile request made after the sign-in.
        self.session.wait_for("the account name", lambda: self.session.text("#account") == "Connected as Sandbox Sage")
        self.assertRegex(self.session.text("#expires"), r"in 36[45] days")
        self.shot("connected")
        access, refresh = keychain("access-token"), keychain("refresh-token")
        self.assertTrue(access and refresh, "both tokens are in the keychain")
        self.assertTrue(api_accepts(access))
        self.remember_tokens()
        log = (E2E / "browser.log").read_text()
        self.assertIn("redirect to kanka-link://oauth/callback (code)", log)
        self.assertIn("gio open: exit 0", log)

    def test_02_command_line_agrees_with_the_window(self):
        status = cli("status", "--json")
        self.assertEqual(status.returncode, 0, status.stderr)
        parsed = json.loads(status.stdout)
        self.assertEqual(parsed["state"], "connected")
        self.assertEqual(parsed["account"]["name"], "Sandbox Sage")
        self.assertEqual(f"Connected as {parsed['account']['name']}", self.session.text("#account"))
        self.assertEqual(self.session.find("#expires time").attribute("datetime"), parsed["expires_at"])
        token = cli("token")
        self.assertEqual(token.returncode, 0, token.stderr)
        self.assertEqual(token.stdout.strip(), keychain("access-token"))
        self.assertTrue(api_accepts(token.stdout.strip()))
        human = cli("status")
        self.assertIn("Connected as Sandbox Sage", human.stdout)

    def test_02b_keep_linked_writes_and_removes_the_login_check(self):
        # The XDG autostart entry, named after the app's identifier (tauri.conf.json).
        entry = pathlib.Path(os.environ["XDG_CONFIG_HOME"]) / "autostart" / "app.kankalink.desktop.desktop"
        self.session.wait_for("the switch", lambda: self.session.find("#keep-linked").displayed())
        self.assertFalse(self.session.find("#keep-linked").property("checked"), "off until switched on")
        self.assertFalse(entry.exists())
        self.click("#keep-linked")
        self.session.wait_for("the autostart entry", entry.exists)
        self.session.wait_for("the switch on", lambda: self.session.find("#keep-linked").property("checked"))
        self.assertIn(f'\nExec="{APP.with_name("kanka-link")}" refresh --if-due\n', entry.read_text())
        validated = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
        self.assertEqual((validated.returncode, validated.stdout), (0, ""), entry.read_text())
        self.click("#keep-linked")
        self.session.wait_for("the entry removed", lambda: not entry.exists())
        self.session.wait_for("the switch off", lambda: not self.session.find("#keep-linked").property("checked"))

    def test_03_a_forged_callback_is_refused(self):
        before = stats()
        access = keychain("access-token")
        gio_open("kanka-link://oauth/callback?code=forged&state=forged")
        self.session.wait_for("the refusal", lambda: "ignored" in self.message())
        self.shot("refused-callback")
        self.assertEqual(self.state(), "connected")
        self.assertEqual(self.session.text("#state"), "Connected", "the footer says the state in words")
        # News, not an error: it waits for the screen reader (status), it does not interrupt (alert).
        self.assertIn("ignored", self.session.text("#message-status"))
        self.assertEqual(self.session.text("#message-alert"), "")
        # A passing notice only: nothing written, no error for the command line either.
        status = json.loads(cli("status", "--json").stdout)
        self.assertIsNone(status["last_error"], status)
        self.assertEqual(stats()["token_requests"], before["token_requests"], "no token request was made")
        self.assertEqual(keychain("access-token"), access)
        self.assertTrue(api_accepts(access))

    def test_04_restart_stays_connected(self):
        exchanges = stats()["code_exchanges"]
        self.close()
        self.open()
        self.wait_state("connected")
        self.assertEqual(self.session.text("#account"), "Connected as Sandbox Sage")
        self.assertEqual(stats()["code_exchanges"], exchanges, "no new sign-in")

    def test_05_a_short_lived_token_is_refreshed_on_time(self):
        # A slow token endpoint, so the refresh can be seen under way.
        sandbox_call("/__sandbox/faults", {"path": "/oauth/token", "delay_ms": 1500, "count": 1})
        sandbox_call("/__sandbox/config", {"token_lifetime_secs": 12})
        self.click("#refresh")
        self.session.wait_for("the refresh under way", lambda: self.state() == "refreshing")
        self.assertEqual(self.session.text("#progress"), "Refreshing…")
        self.shot("refreshing")
        self.session.wait_for("a 12-second token", lambda: re.search(r"in 1[0-2] s|in 1[0-2] seconds|seconds",
                                                                     self.session.text("#expires")))
        self.remember_tokens()
        first = self.session.find("#last-refresh time").attribute("datetime")
        refreshes = stats()["refreshes"]
        # The timer refreshes at 9 s (three quarters of 12 s), without anyone asking.
        newer = self.session.wait_for("the timer's refresh", lambda: (
            t := self.session.find("#last-refresh time").attribute("datetime")) != first and t, timeout=25)
        self.assertGreater(newer, first)
        self.assertGreaterEqual(stats()["refreshes"], refreshes + 1)
        self.assertEqual(stats()["refresh_token_reuse"], 0)
        self.remember_tokens()
        self.shot("refreshed")
        sandbox_call("/__sandbox/config", {"token_lifetime_secs": 31536000})
        self.click("#refresh")
        self.session.wait_for("a one-year token", lambda: "365 days" in self.session.text("#expires"))
        self.remember_tokens()

    def test_06_revoked_on_the_server_needs_a_reconnect(self):
        sandbox_call("/__sandbox/revoke", method="POST")
        self.click("#refresh")
        self.wait_state("reconnect_needed")
        self.assertIn("Sandbox Sage", self.message() + self.session.text("#account"))
        self.assertTrue(self.session.find("#connect").displayed())
        self.shot("reconnect-needed")
        status = json.loads(cli("status", "--json").stdout)
        self.assertEqual(status["state"], "reconnect_needed")

    def test_07_disconnect_empties_the_keychain(self):
        consent("approve")
        self.click("#connect")
        self.wait_state("connected")
        self.remember_tokens()
        self.click("#disconnect")
        self.wait_state("disconnected")
        self.assertEqual(self.session.text("#connect"), "Connect to Kanka")
        self.assertIn("revoke", self.message())
        self.assertIsNone(keychain("access-token"))
        self.assertIsNone(keychain("refresh-token"))
        token = cli("token")
        self.assertEqual(token.returncode, 1)
        self.assertIn("not connected", token.stderr)

    def test_08_cancelling_in_kanka_stores_nothing(self):
        # As the disconnect notice advises, the user also revoked the app in Kanka; otherwise
        # Kanka (Passport) skips its consent page for an app that holds a valid token.
        sandbox_call("/__sandbox/revoke", method="POST")
        consent("deny")
        self.click("#connect")
        self.session.wait_for("the cancellation", lambda: "You cancelled the connection in Kanka." in self.message())
        self.assertEqual(self.state(), "disconnected")
        self.shot("cancelled")
        self.assertIsNone(keychain("access-token"))
        self.assertIsNone(keychain("refresh-token"))

    def sign_in_address(self):
        """The address the page was given to copy ('' when it has none), as the page sees it."""
        return self.session.script("return document.getElementById('authorize-url').value;")

    def test_09_waiting_and_failing(self):
        consent("ignore")
        self.click("#connect")
        self.session.wait_for("the wait", lambda: "Waiting for Kanka in your browser…" in self.session.text("#progress"))
        self.session.wait_for("the countdown", lambda: "times out in" in self.session.text("#remaining"))
        # The browser has the page: the window is not given its address (it carries the state).
        self.assertFalse(self.session.find("#authorize-url").displayed())
        self.assertEqual(self.sign_in_address(), "")
        self.shot("waiting")
        # Closed and opened again while waiting: the same sign-in, its countdown, still no address.
        self.close()
        self.open()
        self.wait_state("connecting")
        self.session.wait_for("the countdown again", lambda: "times out in" in self.session.text("#remaining"))
        self.assertFalse(self.session.find("#authorize-url").displayed())
        self.assertEqual(self.sign_in_address(), "")
        self.click("#cancel")
        self.wait_state("disconnected")
        # No browser can be opened: the window says so and shows the address to copy.
        self.close()
        self.open(NO_BROWSER)
        self.wait_state("disconnected")
        self.click("#connect")
        self.session.wait_for("the notice", lambda: "No browser could be opened." in self.message())
        address = self.session.wait_for("the address to copy", lambda: (e := self.session.find("#authorize-url"))
                                        and e.displayed() and e.attribute("value"))
        self.assertTrue(address.startswith(world["kanka"] + "/oauth/authorize?"), address)
        self.assertIn("state=", address)
        self.shot("waiting-without-a-browser")
        self.click("#cancel")
        self.wait_state("disconnected")
        self.close()
        self.open()
        self.wait_state("disconnected")
        # Kanka failing during the exchange: an error with its hint, nothing stored.
        # Two: the setup check's token request before Connect (no answer from settings that passed
        # before does not block), then the code exchange itself.
        sandbox_call("/__sandbox/faults", {"path": "/oauth/token", "status": 500, "count": 2})
        consent("approve")
        self.click("#connect")
        self.wait_state("error")
        self.assertIn("server error", self.message())
        self.assertIn("server error", self.session.text("#message-alert"), "an error interrupts")
        self.assertEqual(self.session.text("#message-status"), "")
        self.shot("error")
        self.assertIsNone(keychain("access-token"))

    def test_10_settings_are_checked_saved_and_kept(self):
        self.close()
        # A client id the config file gives wrong (a fresh profile's setup view: test_setup.py): the
        # window says which setting, and offers the fix beside the setup's steps.
        config = pathlib.Path(os.environ["XDG_CONFIG_HOME"]) / "kanka-link" / "config.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text('client_id = "seven please"\n')
        self.open(BY_HAND)
        self.wait_state("error")
        self.session.wait_for("the setup view", lambda: self.session.find("#setup").displayed())
        self.assertIn("client_id", self.message())
        self.click("#open-settings")
        self.session.wait_for("the settings form", lambda: self.session.find("#setting-url").displayed())
        # Opened from the error: the field it is about is marked with it, and has the focus.
        self.session.wait_for("the field marked", lambda: self.session.find("#setting-client-id").attribute(
            "aria-errormessage") == "setting-client-id-error")
        self.assertIn("client_id", self.session.text("#setting-client-id-error"))
        self.assertEqual(self.session.script("return document.activeElement.id;"), "setting-client-id")
        self.fill("#setting-url", "ftp://kanka.example")
        self.fill("#setting-api-url", world["kanka"] + "/api/1.0")
        self.fill("#setting-client-id", CLIENT_ID)
        self.fill("#setting-client-secret", CLIENT_SECRET)
        self.fill("#setting-redirect-uri", "kanka-link://oauth/callback")
        self.click("#settings-save")
        self.session.wait_for("the refusal", lambda: "url" in self.message() and "https" in self.message())
        self.shot("settings-refused")
        # The error is tied to its field: marked invalid, its message under it and named by it.
        field = self.session.find("#setting-url")
        self.assertEqual(field.attribute("aria-invalid"), "true")
        self.assertEqual(field.attribute("aria-errormessage"), "setting-url-error")
        self.assertIn("setting-url-error", field.attribute("aria-describedby"))
        self.assertTrue(self.session.find("#setting-url-error").displayed())
        self.assertIn("https", self.session.text("#setting-url-error"))
        self.assertEqual(self.session.script("return document.activeElement.id;"), "setting-url")
        self.fill("#setting-url", world["kanka"])
        self.fill("#setting-client-secret", CLIENT_SECRET)
        self.click("#settings-save")
        self.session.wait_for("the confirmation", lambda: "Settings saved." in self.message())
        self.assertIsNone(self.session.find("#setting-url").attribute("aria-invalid"))
        self.assertFalse(self.session.find("#setting-url-error").displayed())
        # Valid settings: ready to sign in (the record may still tell of the failed attempt before).
        self.session.wait_for("a valid configuration", lambda: self.session.find("#connect").displayed())
        status = json.loads(cli_by_hand("status", "--json").stdout)
        self.assertNotEqual((status["last_error"] or {}).get("code"), "invalid_setting", status)
        config = (pathlib.Path(os.environ["XDG_CONFIG_HOME"]) / "kanka-link" / "config.toml").read_text()
        self.assertIn(world["kanka"], config)
        self.assertNotIn(CLIENT_SECRET, config, "the secret never goes to a file")
        self.assertEqual(keychain("client-secret"), CLIENT_SECRET)

        # Saved settings survive a restart, and the secret from the keychain signs in.
        self.close()
        self.open(BY_HAND)
        self.session.wait_for("a valid configuration", lambda: self.session.find("#connect").displayed())
        consent("approve")
        self.click("#connect")
        self.wait_state("connected")
        self.remember_tokens()

    def test_11_the_window_cannot_reach_a_token(self):
        # The page may call the app's own commands and nothing else: no plugin command, no
        # command that hands out a token (there is none), nothing outside the capability.
        attempts = {
            "plugin:opener|open_url": {"url": "https://evil.example"},
            "plugin:deep-link|get_current": {},
            "token": {},
            "access_token": {},
        }
        for command, args in attempts.items():
            outcome = self.session.script_async(
                "const done = arguments[arguments.length - 1];"
                "window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1])"
                ".then(value => done({ok: value}), error => done({refused: String(error)}));",
                command, args)
            self.assertIn("refused", outcome, f"{command} was allowed: {outcome}")
        listed = self.session.script_async(
            "const done = arguments[arguments.length - 1];"
            "window.__TAURI_INTERNALS__.invoke('status').then(done, e => done(String(e)));")
        # Every connection (one here): which, its server, whether it is the default, its status.
        self.assertEqual([set(entry) for entry in listed], [{"id", "server", "default", "status"}], listed)
        self.assertEqual((listed[0]["id"], listed[0]["server"], listed[0]["default"]), ("main", world["kanka"], True))
        status = listed[0]["status"]
        self.assertEqual(status["state"], "connected")
        self.assertEqual(set(status), {"state", "account", "expires_at", "refreshed_at", "next_refresh_at",
                                       "retry_at", "last_error", "notice"}, "the status carries no token")

    def test_12_the_page_hears_no_deep_link(self):
        # tauri-plugin-deep-link emits every deep link, code and state, as `deep-link://new-url`
        # to whoever listens. The page may listen to no event at all: every attempt is refused,
        # and a deep link that arrives meanwhile reaches no page script. The probe stands in for
        # Tauri's listener table, which every event delivered to the page reads first.
        outcome = self.session.script_async("""
            const done = arguments[arguments.length - 1];
            const ipc = window.__TAURI_INTERNALS__;
            const probe = window.__probe = { lookups: [], heard: [], refused: [], allowed: [] };
            Object.defineProperty(window, '__internal_unstable_listeners_object_id__', {
              value: new Proxy(Object.create(null), {
                get: (table, name) => { probe.lookups.push(String(name)); return Reflect.get(table, name); },
              }),
            });
            const attempt = (event) => ipc.invoke('plugin:event|listen', {
                event, target: { kind: 'Any' },
                handler: ipc.transformCallback((heard) => probe.heard.push(JSON.stringify(heard))),
              }).then(() => probe.allowed.push(event), (error) => probe.refused.push(String(error)));
            // Tries again and again while the test delivers a deep link, until told to stop.
            probe.trying = true;
            (async () => { while (probe.trying) { await attempt('deep-link://new-url'); await attempt('status');
              await new Promise((r) => setTimeout(r, 20)); } })();
            Promise.all([attempt('deep-link://new-url'), attempt('status')]).then(() => {
              probe.lookups.length = 0;
              done({ refused: probe.refused.slice(), allowed: probe.allowed.slice() });
            });""")
        self.assertNotIn("ignored", self.message())
        state_before = self.state()
        code, state = "e2e-probe-code-" + os.urandom(4).hex(), "e2e-probe-state-" + os.urandom(4).hex()
        gio_open(f"kanka-link://oauth/callback?code={code}&state={state}")
        # The app refused it, and its status came to the page through the page's own channel.
        self.session.wait_for("the refusal", lambda: "ignored" in self.message())
        time.sleep(1)  # anything the app sent the page with it has landed by now
        probe = self.session.script("window.__probe.trying = false; return window.__probe;")
        self.assertEqual(probe["heard"], [], "a handler of the page heard an event")
        self.assertEqual(probe["lookups"], [], "an event was delivered to the page")
        self.assertNotIn(state, json.dumps(probe))
        self.assertEqual(outcome["allowed"] + probe["allowed"], [], "the page could listen")
        self.assertGreaterEqual(len(outcome["refused"]), 2, outcome)
        self.assertGreater(len(probe["refused"]), len(outcome["refused"]), "the page kept trying as the link arrived")
        self.assertTrue(all("not allowed" in refusal for refusal in probe["refused"]), probe["refused"])
        page = self.session.script("return document.documentElement.outerHTML;")
        self.assertNotIn(state, page)
        self.assertNotIn(code, page)
        self.assertEqual(self.state(), state_before)


if __name__ == "__main__":
    unittest.main(verbosity=2)
