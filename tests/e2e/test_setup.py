"""End-to-end: the first run with a real Kanka account (issue 11, items 1 and 6). A fresh profile
with no settings at all shows the setup view; following it in the window (copy the redirect,
register it in the sandbox set up like Kanka, enter the id and the secret, Check and save) leads
to "Connected as Sandbox Sage"; each misconfiguration shows its own message in the alert region,
and the browser script (tests/e2e/browser.py) is never started for it. The picture of the setup
view in README.md is taken here (tests/artifacts/setup.png)."""

import os
import pathlib
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import CLIENT_ID, CLIENT_SECRET, E2E, consent, keychain, sandbox_call, stats, world  # noqa: E402

# Registered in the sandbox before the user copies the right one: "redirect not registered".
ELSEWHERE = "https://elsewhere.example/kanka/callback"


def launcher(name: str) -> pathlib.Path:
    return E2E / f"kanka-link-setup-{name}"


def set_up():
    # A profile of its own, empty: no config file, nothing in the keychain for it.
    harness.use_profile("setup")
    harness.set_up()
    plain = {"KANKA_LINK_E2E_DIR": str(E2E), "BROWSER": harness.app_env()["BROWSER"]}
    # No setting at all: kanka.io's defaults.
    harness.write_wrapper(launcher("fresh"), plain)
    # Where Kanka is comes from the config file (test_02 writes it, as Settings would for a
    # self-hosted Kanka); the rest is the user's to enter in the setup view.
    harness.write_wrapper(launcher("sandbox"), plain)
    # kanka.io, with a custom-scheme redirect that its client form refuses.
    harness.write_wrapper(launcher("kanka-custom-scheme"), {**plain, "KANKA_LINK_URL": "https://app.kanka.io",
                                                            "KANKA_LINK_REDIRECT_URI": "kanka-link://oauth/callback"})


setUpModule = set_up


class Setup(harness.App):
    """One profile, followed as a new user would; the tests run in order."""

    def tearDown(self):
        # Each test opens its own window: one that failed must not keep the driver's only session.
        if self.session:
            self.close()

    def browser_runs(self) -> list:
        log = E2E / "browser.log"
        return log.read_text().splitlines() if log.exists() else []

    @staticmethod
    def clipboard() -> str:
        """The X clipboard, as another program pastes it (Tk reads it; no xclip on the machine)."""
        read = subprocess.run([sys.executable, "-c", "import tkinter; t = tkinter.Tk(); t.withdraw(); "
                               "print(t.clipboard_get(), end='')"], capture_output=True, text=True, timeout=30)
        return read.stdout

    def setup_shown(self):
        return self.session.wait_for("the setup view", lambda: self.session.find("#setup").displayed()
                                     and self.session.find("#setup-redirect").property("value"))

    def check_and_save(self, client_id: str, secret: str, expect: str):
        """Enters the id and the secret, clicks Check and save and waits for `expect` in the alert
        region; the browser script is not started, no consent page is shown, no code issued."""
        runs, before = self.browser_runs(), stats()
        self.fill("#setup-client-id", client_id)
        self.fill("#setup-client-secret", secret)
        self.click("#setup-save")
        try:
            alert = self.session.wait_for(f"the message {expect!r}", lambda: (
                text := self.session.text("#message-alert")) and expect in text and text)
        except AssertionError:
            raise AssertionError(f"{expect!r} not in the alert; the window says {self.message()!r}, "
                                 f"state {self.state()!r}") from None
        self.assertTrue(self.session.find("#setup").displayed(), "the setup view stays")
        self.assertEqual(self.session.text("#message-status"), "")
        self.assertEqual(self.session.find("#setup-client-secret").property("value"), "",
                         "the secret does not stay in the page")
        self.assertEqual(self.browser_runs(), runs, "the browser script was started")
        after = stats()
        for counter in ("consents_shown", "code_exchanges"):
            self.assertEqual(after[counter], before[counter], counter)
        return alert

    def test_01_a_fresh_profile_shows_the_setup_view(self):
        consent("ignore")
        self.open(launcher("fresh"))
        self.setup_shown()
        self.assertEqual(self.state(), "error")
        # A fresh install gets the steps, not an error for a setting it never had.
        self.assertEqual(self.session.text("#message-alert"), "")
        self.assertEqual(self.session.find("#setup-redirect").property("value"),
                         "http://localhost:47813/kanka-link/callback", "a redirect kanka.io's client form takes")
        self.assertEqual(self.session.text("#new-client-page"), "https://app.kanka.io/settings/client/create")
        self.assertEqual(self.session.text("#client-name"), "Kanka Link")
        self.assertFalse(self.session.find("#connect").displayed())
        self.assertFalse(self.session.find("#setup-close").displayed(), "nothing to go back to")
        self.shot("setup")
        # The new-client page opens in the system browser (the test's script, which only logs it).
        self.click("#open-new-client")
        self.session.wait_for("the browser", lambda: any(
            "open https://app.kanka.io/settings/client/create" in line for line in self.browser_runs()))

    def test_02_following_it_leads_to_connected(self):
        sandbox_call("/__sandbox/config", {"redirect_uris": [ELSEWHERE]})
        config = pathlib.Path(os.environ["XDG_CONFIG_HOME"]) / "kanka-link" / "config.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(f'url = "{world["kanka"]}"\napi_url = "{world["kanka"]}/api/1.0"\n')
        self.open(launcher("sandbox"))
        shown = self.setup_shown()
        # For a server that takes the app's own deep link (the sandbox, a self-hosted Kanka).
        self.assertEqual(shown, "kanka-link://oauth/callback")
        self.assertEqual(self.session.text("#new-client-page"), world["kanka"] + "/settings/client/create")

        # The redirect is not registered yet.
        alert = self.check_and_save(CLIENT_ID, CLIENT_SECRET, "does not know the redirect URL")
        self.assertIn("kanka-link://oauth/callback", alert)
        self.shot("setup-redirect-not-registered")
        self.assertEqual(keychain("client-secret"), CLIENT_SECRET, "the secret went to the keychain")

        # Copied from the window, and registered in Kanka (the sandbox) as the user would paste it.
        self.click("#copy-redirect")
        self.session.wait_for("the copy", lambda: "copied" in self.message() or "to copy" in self.message())
        copied = self.clipboard() if "copied" in self.message() else self.session.script(
            # Where the clipboard refused, the window selected the address for Ctrl+C.
            "const f = document.getElementById('setup-redirect');"
            "return f.value.substring(f.selectionStart, f.selectionEnd);")
        self.assertEqual(copied, shown)
        sandbox_call("/__sandbox/config", {"redirect_uris": [copied]})

        self.check_and_save("999", CLIENT_SECRET, "does not know the client id 999")
        self.shot("setup-client-unknown")
        self.check_and_save(CLIENT_ID, "not-the-secret", "refused the client secret")
        self.shot("setup-secret-refused")

        # Right at last: the normal window, ready to connect.
        self.fill("#setup-client-id", CLIENT_ID)
        self.fill("#setup-client-secret", CLIENT_SECRET)
        self.click("#setup-save")
        self.session.wait_for("the pass", lambda: "Kanka accepts these settings." in self.message())
        self.session.wait_for("Connect", lambda: self.session.find("#connect").displayed())
        self.assertFalse(self.session.find("#setup").displayed())
        self.assertEqual(self.session.text("#message-alert"), "")
        self.assertEqual(self.session.script("return document.activeElement.id;"), "connect")
        self.shot("setup-passed")
        consent("approve")
        self.click("#connect")
        self.wait_state("connected")
        self.session.wait_for("the account name", lambda: self.session.text("#account") == "Connected as Sandbox Sage")
        self.assertIn("redirect to kanka-link://oauth/callback (code)", (E2E / "browser.log").read_text())
        config = (pathlib.Path(os.environ["XDG_CONFIG_HOME"]) / "kanka-link" / "config.toml").read_text()
        self.assertIn('client_id = "7"', config)
        self.assertNotIn(CLIENT_SECRET, config, "the secret never goes to a file")

        # Settings open the setup view again, and Back returns to the connection.
        self.click("#settings-toggle")
        self.click("#open-setup")
        self.setup_shown()
        self.assertEqual(self.session.find("#setup-client-id").property("value"), CLIENT_ID)
        self.click("#setup-close")
        self.session.wait_for("the connection", lambda: self.session.find("#account").displayed())
        self.assertFalse(self.session.find("#setup").displayed())

    def test_03_a_custom_scheme_against_kanka_is_named(self):
        runs = self.browser_runs()
        self.open(launcher("kanka-custom-scheme"))
        self.setup_shown()
        # Said before anything is asked of anyone, and again by Check and save.
        alert = self.session.wait_for("the reason", lambda: (t := self.session.text("#message-alert"))
                                      and "redirect_uri" in t and t)
        self.assertIn("http or https", alert)
        self.fill("#setup-client-id", CLIENT_ID)
        self.fill("#setup-client-secret", "any-secret")
        # Check and save is over when the card, busy meanwhile, is not any more.
        self.session.script("const card = document.getElementById('connection'); window.__busy = [];"
                            "new MutationObserver(() => window.__busy.push(card.getAttribute('aria-busy')))"
                            ".observe(card, {attributes: true, attributeFilter: ['aria-busy']});")
        self.click("#setup-save")
        self.session.wait_for("the refusal", lambda: self.session.script(
            "return window.__busy.includes('true') && document.getElementById('connection')"
            ".getAttribute('aria-busy') === 'false';"))
        alert = self.session.text("#message-alert")
        self.assertIn("redirect_uri", alert)
        self.assertIn("http or https", alert)
        self.shot("setup-custom-scheme")
        self.assertEqual(self.browser_runs(), runs, "the browser script was started")

    def test_04_connect_without_a_secret_opens_it(self):
        # The client id is saved, the secret is not (the keychain lost it): the status says nothing
        # until Connect, whose refusal brings the setup view with its reason.
        self.open(launcher("sandbox"))
        self.wait_state("connected")
        self.click("#disconnect")
        self.wait_state("disconnected")
        subprocess.run(["secret-tool", "clear", "service", "kanka-link", "username",
                        f"client-secret:{CLIENT_ID}@{world['kanka']}"], check=True)
        self.assertIsNone(keychain("client-secret"))
        runs = self.browser_runs()
        self.click("#connect")
        self.setup_shown()
        self.session.wait_for("the reason", lambda: "No client secret" in self.session.text("#message-alert"))
        self.assertEqual(self.browser_runs(), runs, "the browser script was started")
        # Entered again, the window is ready to connect.
        self.fill("#setup-client-secret", CLIENT_SECRET)
        self.click("#setup-save")
        self.session.wait_for("the pass", lambda: "Kanka accepts these settings." in self.message())
        self.session.wait_for("Connect", lambda: self.session.find("#connect").displayed())


if __name__ == "__main__":
    unittest.main(verbosity=2)
