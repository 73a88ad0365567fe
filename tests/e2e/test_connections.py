"""End-to-end: several connections in the real window. A second account is added through the
window ("Connect another account"), signs in through the deep link (the sandbox has one user, so
both connections sign in as Sandbox Sage: two accounts of one server and client, each with its own
tokens), both cards show connected, and disconnecting one leaves the other connected. Each
connection's tokens are checked in the keychain and against the sandbox's API. Run by
tests/e2e/run.sh inside the private session that tests/run.sh starts."""

import json
import os
import pathlib
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import CLIENT_ID, api_accepts, consent, stats, world  # noqa: E402


PROFILE = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME")


def set_up():
    # A profile of its own: the other modules leave connections and settings behind; and the
    # modules after this one get theirs back (test_window uses the session's own).
    saved = {variable: os.environ.get(variable) for variable in PROFILE}
    unittest.addModuleCleanup(restore, saved)
    harness.use_profile("connections")
    harness.set_up()


def restore(saved: dict):
    for variable, value in saved.items():
        if value is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = value


setUpModule = set_up


def token(kind: str, slot: str = ""):
    """A connection's token as libsecret's own tool finds it: the settings' own connection under
    `client_id@server`, an added one under `client_id@server#slot` (connections.rs)."""
    scope = f"{CLIENT_ID}@{world['kanka']}{'#' + slot if slot else ''}"
    found = subprocess.run(["secret-tool", "lookup", "service", "kanka-link", "username", f"{kind}:{scope}"],
                           capture_output=True, text=True)
    return found.stdout.strip() if found.returncode == 0 and found.stdout.strip() else None


def added_in_list():
    """The slots connections.json lists beside the settings' own connection."""
    path = pathlib.Path(os.environ["XDG_DATA_HOME"]) / "kanka-link" / "connections.json"
    if not path.exists():
        return []
    return [added["slot"] for added in json.loads(path.read_text()).get("added", [])]


class Connections(harness.App):
    """One window; the tests run in order, each from the state the one before left."""

    @classmethod
    def setUpClass(cls):
        cls.open()

    @classmethod
    def tearDownClass(cls):
        if cls.session:
            cls.close()

    def card_state(self, suffix: str) -> str:
        return self.session.script(
            "const card = document.getElementById(arguments[0]); return card ? card.dataset.state : null;",
            "connection" + suffix)

    def wait_card(self, suffix: str, state: str, timeout: float = 20):
        seen = []
        try:
            return self.session.wait_for(f"card{suffix} {state}", lambda: seen.append(self.card_state(suffix))
                                         or seen[-1] == state, timeout)
        except AssertionError:
            raise AssertionError(f"card{suffix} is {seen[-1] if seen else None!r}, not {state!r}; "
                                 f"its message: {self.session.text('#message' + suffix)!r}")

    def cards(self):
        return self.session.script("return [...document.querySelectorAll('section.card[id^=connection]')]"
                                   ".map((card) => card.id);")

    def test_01_one_connection_reads_as_before(self):
        self.wait_state("disconnected")
        self.assertEqual(self.cards(), ["connection"])
        self.assertEqual(self.session.text("#connection-heading"), "Kanka account")
        self.assertEqual(self.session.text("#connect"), "Connect to Kanka")
        self.assertFalse(self.session.find("#add-connection").displayed(), "nothing to add before a sign-in")
        consent("approve")
        self.click("#connect")
        self.wait_state("connected")
        self.session.wait_for("the account", lambda: self.session.text("#account") == "Connected as Sandbox Sage")
        self.assertEqual(self.session.text("#connection-heading"), "Kanka account", "one card, no mark")
        self.session.wait_for("Connect another account", lambda: self.session.find("#add-connection").displayed())
        self.assertEqual(self.session.text("#add-connection"), "Connect another account")
        self.assertTrue(api_accepts(token("access-token")))

    def test_02_another_account_is_added_through_the_window(self):
        first = token("access-token")
        exchanges = stats()["code_exchanges"]
        consent("approve")
        self.click("#add-connection")
        # Its own card, after the first, with ids of its own; signed in through the deep link,
        # which only the sign-in waiting for its state takes.
        self.session.wait_for("the second card", lambda: self.session.find("#connection-2"))
        self.wait_card("-2", "connected")
        self.session.wait_for("its account", lambda: self.session.text("#account-2") == "Connected as Sandbox Sage")
        self.assertEqual(self.cards(), ["connection", "connection-2"])
        self.assertEqual(stats()["code_exchanges"], exchanges + 1, "one sign-in, for the new connection")
        # Both connected, each with its own tokens, the first one untouched.
        self.assertEqual(self.state(), "connected")
        self.assertEqual(self.card_state(""), "connected")
        self.assertEqual(token("access-token"), first)
        second = token("access-token", "2")
        self.assertTrue(second and token("refresh-token", "2"), "the new connection's tokens are in the keychain")
        self.assertNotEqual(second, first)
        self.assertTrue(api_accepts(first) and api_accepts(second))
        self.assertEqual(added_in_list(), ["2"])
        # Two cards: each names its account; the default is marked.
        self.session.wait_for("the headings", lambda: self.session.text("#connection-heading-2")
                              == "Kanka account: Sandbox Sage")
        self.assertEqual(self.session.text("#connection-heading"), "Kanka account: Sandbox Sage (default)")
        self.assertIsNotNone(self.session.find("#connection").attribute("data-default"))
        self.assertIsNone(self.session.find("#connection-2").attribute("data-default"))
        self.assertRegex(self.session.text("#expires-2"), r"in 36[45] days")
        self.assertTrue(self.session.find("#refresh-2").displayed() and self.session.find("#disconnect-2").displayed())
        # No id twice on the page, and every label names an input of its own card.
        duplicates = self.session.script(
            "const ids = [...document.querySelectorAll('[id]')].map((e) => e.id);"
            "return ids.filter((id, at) => ids.indexOf(id) !== at);")
        self.assertEqual(duplicates, [])
        self.assertEqual(self.session.find("#connection-2 label").attribute("for"), "authorize-url-2")
        self.shot("two-connections")

    def test_03_each_card_refreshes_its_own_connection(self):
        refreshes = stats()["refreshes"]
        first, second = token("access-token"), token("access-token", "2")
        self.click("#refresh-2")
        self.session.wait_for("the second connection's refresh", lambda: token("access-token", "2") != second)
        self.assertEqual(stats()["refreshes"], refreshes + 1)
        self.assertEqual(token("access-token"), first, "the first connection was not refreshed")
        self.wait_card("-2", "connected")

    def test_04_a_restart_keeps_both(self):
        exchanges = stats()["code_exchanges"]
        self.close()
        self.open()
        self.wait_state("connected")
        self.wait_card("-2", "connected")
        self.assertEqual(self.session.text("#account-2"), "Connected as Sandbox Sage")
        self.assertEqual(stats()["code_exchanges"], exchanges, "no new sign-in")

    def test_05_disconnecting_one_leaves_the_other_connected(self):
        first = token("access-token")
        self.click("#disconnect-2")
        self.session.wait_for("the second card gone", lambda: self.cards() == ["connection"])
        self.assertIsNone(token("access-token", "2"))
        self.assertIsNone(token("refresh-token", "2"))
        self.assertEqual(added_in_list(), [])
        # The first stays connected, with its tokens, and reads as a single connection again.
        self.assertEqual(self.state(), "connected")
        self.assertEqual(token("access-token"), first)
        self.assertTrue(api_accepts(first))
        self.session.wait_for("one heading", lambda: self.session.text("#connection-heading") == "Kanka account")
        self.assertIn("revoke", self.message(), "where to revoke the app is said on the card that stays")
        self.assertTrue(self.session.find("#add-connection").displayed())

    def test_06_disconnecting_the_first_leaves_the_added_one_connected(self):
        consent("approve")
        self.click("#add-connection")
        self.wait_card("-2", "connected")
        second = token("access-token", "2")
        self.click("#disconnect")
        self.wait_state("disconnected")
        self.assertIsNone(token("access-token"))
        self.assertEqual(self.card_state("-2"), "connected")
        self.assertEqual(token("access-token", "2"), second)
        self.assertTrue(api_accepts(second))
        self.assertEqual(self.session.text("#connect"), "Connect to Kanka")
        self.assertFalse(self.session.find("#add-connection").displayed(), "nothing to add beside a signed-out first")

    def test_07_cancelling_an_added_sign_in_removes_its_card(self):
        # The first connection is signed out now: sign it in again, then give up adding another.
        consent("approve")
        self.click("#connect")
        self.wait_state("connected")
        self.assertEqual(added_in_list(), ["2"])
        consent("ignore")
        self.click("#add-connection")
        self.session.wait_for("the third card waiting", lambda: "times out in" in self.session.text("#remaining-3"))
        self.assertEqual(self.cards(), ["connection", "connection-2", "connection-3"])
        self.click("#cancel-3")
        try:
            self.session.wait_for("the third card gone", lambda: self.cards() == ["connection", "connection-2"])
        except AssertionError:
            raise AssertionError(f"cards {self.cards()}; the third {self.card_state('-3')!r}, its message "
                                 f"{self.session.text('#message-3')!r}; list {added_in_list()}")
        self.assertEqual(added_in_list(), ["2"])
        self.assertEqual((self.state(), self.card_state("-2")), ("connected", "connected"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
