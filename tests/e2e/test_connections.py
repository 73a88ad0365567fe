"""End-to-end: several connections in the real window, two Kanka accounts on one sandbox. The
browser signs in to Kanka as a second account (the sandbox's control, as a user logs in to Kanka
as someone else), a second connection is added through the window ("Connect another account")
and signs in through the deep link as that account; each card names its account, each refreshes
apart, revoking one account in Kanka leaves the other connected, "Make default" makes the second
the one the command line serves, a sign-in that lands on an account already connected is not
kept (its card says so and can connect again as another account), and disconnecting one leaves
the other connected. Each connection's tokens are checked in the keychain and against the
sandbox's API. Run by tests/e2e/run.sh inside the private session that tests/run.sh starts."""

import json
import os
import pathlib
import subprocess
import sys
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import CLIENT_ID, api_accepts, cli, consent, revoke, sign_in_as, stats, world  # noqa: E402


# The sandbox's own first account, signed in to Kanka in the browser when it starts, and two more.
SAGE = (1234, "Sandbox Sage")
SECOND = (5678, "Second Player")
THIRD = (9012, "Third Player")


def set_up():
    # A profile of its own: the other modules leave connections and settings behind.
    harness.use_profile("connections")
    harness.set_up()


setUpModule = set_up


def scope_of(slot: str = "") -> str:
    """The settings' own connection's items are under `client_id@server`, an added one's under
    `client_id@server#slot` (connections.rs)."""
    return f"{CLIENT_ID}@{world['kanka']}{'#' + slot if slot else ''}"


def token(kind: str, slot: str = ""):
    """A connection's token as libsecret's own tool finds it."""
    found = subprocess.run(["secret-tool", "lookup", "service", "kanka-link", "username", f"{kind}:{scope_of(slot)}"],
                           capture_output=True, text=True)
    return found.stdout.strip() if found.returncode == 0 and found.stdout.strip() else None


def items_of(slot: str):
    """Which of our keychain items belong to the added connection `slot`, by their username (no
    secret is kept or shown)."""
    found = subprocess.run(["secret-tool", "search", "--all", "service", "kanka-link"], capture_output=True, text=True)
    users = (line.removeprefix("attribute.username = ") for line in (found.stdout + found.stderr).splitlines()
             if line.startswith("attribute.username = "))
    return sorted(user for user in users if user.endswith(":" + scope_of(slot)))


def account_of(token_: str):
    """Whose token it is, as the sandbox's API says (`GET /profile`): (id, name), or None."""
    request = urllib.request.Request(world["kanka"] + "/api/1.0/profile",
                                     headers={"Authorization": f"Bearer {token_}", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            data = json.loads(answer.read())["data"]
            return data["id"], data["name"]
    except urllib.error.HTTPError:
        return None


def connections_file() -> dict:
    path = pathlib.Path(os.environ["XDG_DATA_HOME"]) / "kanka-link" / "connections.json"
    return json.loads(path.read_text()) if path.exists() else {}


def added_in_list():
    """The slots connections.json lists beside the settings' own connection."""
    return [added["slot"] for added in connections_file().get("added", [])]


class Connections(harness.OneWindow):
    """One window; the tests run in order, each from the state the one before left."""


    def wait_card(self, suffix: str, state: str, timeout: float = 20):
        seen = []
        try:
            return self.session.wait_for(f"card{suffix} {state}", lambda: seen.append(self.card_state(suffix))
                                         or seen[-1] == state, timeout)
        except AssertionError:
            raise AssertionError(f"card{suffix} is {seen[-1] if seen else None!r}, not {state!r}; "
                                 f"its message: {self.session.text('#message' + suffix)!r}")


    def shown(self, css: str) -> bool:
        found = self.session.find(css)
        return bool(found and found.displayed())

    def test_01_one_connection_reads_as_before(self):
        self.wait_state("disconnected")
        self.assertEqual(self.cards(), ["connection"])
        self.assertEqual(self.session.text("#connection-heading"), "Kanka account")
        self.assertEqual(self.session.text("#connect"), "Connect to Kanka")
        self.assertFalse(self.shown("#add-connection"), "nothing to add before a sign-in")
        consent("approve")
        self.click("#connect")
        self.wait_state("connected")
        self.session.wait_for("the account", lambda: self.session.text("#account") == "Connected as Sandbox Sage")
        self.assertEqual(self.session.text("#connection-heading"), "Kanka account", "one card, no mark")
        self.assertFalse(self.shown("#make-default"), "one connection is the default by itself")
        self.session.wait_for("Connect another account", lambda: self.shown("#add-connection"))
        self.assertEqual(self.session.text("#add-connection"), "Connect another account")
        self.assertEqual(account_of(token("access-token")), SAGE)

    def test_02_another_account_is_added_through_the_window(self):
        first = token("access-token")
        exchanges = stats()["code_exchanges"]
        # The user logs in to Kanka as their other account first, as the refusal's hint says.
        sign_in_as(*SECOND)
        consent("approve")
        self.click("#add-connection")
        # Its own card, after the first, with ids of its own; signed in through the deep link,
        # which only the sign-in waiting for its state takes.
        self.session.wait_for("the second card", lambda: self.session.find("#connection-2"))
        self.wait_card("-2", "connected")
        self.session.wait_for("its account", lambda: self.session.text("#account-2") == "Connected as Second Player")
        self.assertEqual(self.cards(), ["connection", "connection-2"])
        self.assertEqual(stats()["code_exchanges"], exchanges + 1, "one sign-in, for the new connection")
        # Both connected, each with its own tokens for its own account, the first one untouched.
        self.assertEqual(self.state(), "connected")
        self.assertEqual(self.card_state(""), "connected")
        self.assertEqual(self.session.text("#account"), "Connected as Sandbox Sage")
        self.assertEqual(token("access-token"), first)
        second = token("access-token", "2")
        self.assertTrue(second and token("refresh-token", "2"), "the new connection's tokens are in the keychain")
        self.assertEqual((account_of(first), account_of(second)), (SAGE, SECOND))
        self.assertEqual(added_in_list(), ["2"])
        # Two cards: each names its account; the default is marked, the other offers to become it.
        self.session.wait_for("the headings", lambda: self.session.text("#connection-heading-2")
                              == "Kanka account: Second Player")
        self.assertEqual(self.session.text("#connection-heading"), "Kanka account: Sandbox Sage (default)")
        self.assertIsNotNone(self.session.find("#connection").attribute("data-default"))
        self.assertIsNone(self.session.find("#connection-2").attribute("data-default"))
        self.assertEqual((self.shown("#make-default"), self.shown("#make-default-2")), (False, True))
        self.assertEqual(self.session.text("#make-default-2"), "Make default")
        self.assertRegex(self.session.text("#expires-2"), r"in 36[45] days")
        self.assertTrue(self.shown("#refresh-2") and self.shown("#disconnect-2"))
        # No id twice on the page, and every label names an input of its own card.
        duplicates = self.session.script(
            "const ids = [...document.querySelectorAll('[id]')].map((e) => e.id);"
            "return ids.filter((id, at) => ids.indexOf(id) !== at);")
        self.assertEqual(duplicates, [])
        self.assertEqual(self.session.find("#connection-2 label").attribute("for"), "authorize-url-2")
        self.shot("two-connections")

    def test_03_each_card_refreshes_its_own_connection(self):
        for refreshed, other in (("2", ""), ("", "2")):
            refreshes = stats()["refreshes"]
            before, untouched = token("access-token", refreshed), token("access-token", other)
            self.click(f"#refresh{'-' + refreshed if refreshed else ''}")
            self.session.wait_for(f"connection {refreshed or 'main'} refreshed",
                                  lambda: token("access-token", refreshed) != before)
            self.assertEqual(stats()["refreshes"], refreshes + 1)
            self.assertEqual(token("access-token", other), untouched, "the other connection was not refreshed")
            self.assertTrue(api_accepts(untouched))
            self.assertEqual(account_of(token("access-token", refreshed)), SECOND if refreshed else SAGE)
        self.wait_card("-2", "connected")
        self.wait_card("", "connected")

    def test_04_a_restart_keeps_both(self):
        exchanges = stats()["code_exchanges"]
        self.close()
        self.open()
        self.wait_state("connected")
        self.wait_card("-2", "connected")
        self.assertEqual(self.session.text("#account-2"), "Connected as Second Player")
        self.assertEqual(self.session.text("#account"), "Connected as Sandbox Sage")
        self.assertEqual(stats()["code_exchanges"], exchanges, "no new sign-in")

    def test_05_revoking_one_account_leaves_the_other_connected(self):
        first = token("access-token")
        revoke(SECOND[0])
        self.assertFalse(api_accepts(token("access-token", "2")))
        self.click("#refresh-2")
        self.wait_card("-2", "reconnect_needed")
        self.assertIn("Second Player", self.session.text("#message-2") + self.session.text("#account-2"))
        self.assertTrue(self.shown("#connect-2"))
        # Only that card: the first one still refreshes, as its account's grant stands.
        self.click("#refresh")
        self.session.wait_for("the first connection refreshed", lambda: token("access-token") != first)
        self.assertEqual(self.state(), "connected")
        self.assertEqual(self.card_state("-2"), "reconnect_needed")
        self.assertEqual(account_of(token("access-token")), SAGE)
        # Signed in again, Kanka asking the second account's consent again.
        shown = stats()["consents_shown"]
        consent("approve")
        self.click("#connect-2")
        self.wait_card("-2", "connected")
        self.assertEqual(stats()["consents_shown"], shown + 1)
        self.assertEqual(account_of(token("access-token", "2")), SECOND)

    def test_06_make_default_makes_the_second_the_default(self):
        self.assertIsNone(connections_file().get("default"), "the settings' own is the default")
        self.click("#make-default-2")
        self.session.wait_for("the second card marked", lambda: self.session.find("#connection-2")
                              .attribute("data-default") is not None)
        self.assertEqual(self.session.text("#connection-heading-2"), "Kanka account: Second Player (default)")
        self.session.wait_for("the first unmarked", lambda: self.session.find("#connection").attribute("data-default")
                              is None)
        self.assertEqual(self.session.text("#connection-heading"), "Kanka account: Sandbox Sage")
        self.assertEqual((self.shown("#make-default"), self.shown("#make-default-2")), (True, False))
        # The button went; the focus went to the heading that says so, not with it.
        self.session.wait_for("the focus on the heading", lambda: self.session.script(
            "return document.activeElement && document.activeElement.id;") == "connection-heading-2")
        # The command line serves it now.
        self.assertEqual(connections_file().get("default"), "2")
        status = cli("status", "--json")
        self.assertEqual(status.returncode, 0, status.stderr)
        self.assertEqual(json.loads(status.stdout)["account"]["name"], "Second Player")
        served = cli("token")
        self.assertEqual(served.returncode, 0, served.stderr)
        self.assertEqual(served.stdout.strip(), token("access-token", "2"))
        self.shot("second-is-default")

    def test_07_a_sign_in_as_an_account_already_connected_is_not_kept(self):
        first, second = token("access-token"), token("access-token", "2")
        skipped = stats()["consents_skipped"]
        # The browser is still signed in to Kanka as the second account, which holds a grant:
        # Kanka asks nothing and signs it in again.
        consent("approve")
        self.click("#add-connection")
        self.session.wait_for("the third card", lambda: self.session.find("#connection-3"))
        self.session.wait_for("the refusal", lambda: "already connected" in self.session.text("#message-3"))
        self.assertEqual(stats()["consents_skipped"], skipped + 1, "Kanka asked nothing")
        self.wait_card("-3", "disconnected")
        message = self.session.text("#message-3")
        self.assertIn("Second Player (account 5678) is already connected to Kanka Link on " + world["kanka"], message)
        self.assertIn("Log out of Kanka", message, "the core's hint says what to do")
        self.assertTrue(self.session.find("#message-alert-3 .message-text"), "an error, in the alert region")
        self.assertEqual(self.session.text("#connection-heading-3"), "Another Kanka account")
        self.assertTrue(self.shown("#connect-3"))
        self.assertEqual(self.session.text("#disconnect-3"), "Remove")
        self.assertFalse(self.shown("#make-default-3"), "no account to make the default")
        self.assertEqual(items_of("3"), [], "the duplicate's tokens are not kept")
        self.assertEqual(added_in_list(), ["2", "3"])
        # The others are untouched.
        self.assertEqual((self.state(), self.card_state("-2")), ("connected", "connected"))
        self.assertEqual((token("access-token"), token("access-token", "2")), (first, second))
        self.assertTrue(api_accepts(first) and api_accepts(second))
        self.shot("already-connected")
        # Connect again without logging out of Kanka: refused again, and said again.
        self.click("#connect-3")
        self.session.wait_for("the refusal again", lambda: stats()["consents_skipped"] == skipped + 2)
        self.session.wait_for("said again", lambda: "already connected" in self.session.text("#message-3"))
        self.wait_card("-3", "disconnected")
        self.assertEqual(items_of("3"), [])

    def test_08_the_refused_card_connects_as_another_account(self):
        sign_in_as(*THIRD)
        consent("approve")
        self.click("#connect-3")
        self.wait_card("-3", "connected")
        self.session.wait_for("its account", lambda: self.session.text("#account-3") == "Connected as Third Player")
        self.assertEqual(self.session.text("#message-3"), "", "the refusal went with the sign-in that worked")
        self.assertEqual(account_of(token("access-token", "3")), THIRD)
        self.click("#disconnect-3")
        self.session.wait_for("the third card gone", lambda: self.cards() == ["connection", "connection-2"])
        self.assertEqual(items_of("3"), [])
        self.assertEqual(added_in_list(), ["2"])

    def test_09_disconnecting_one_leaves_the_other_connected(self):
        first = token("access-token")
        self.click("#disconnect-2")
        self.session.wait_for("the second card gone", lambda: self.cards() == ["connection"])
        self.assertIsNone(token("access-token", "2"))
        self.assertIsNone(token("refresh-token", "2"))
        self.assertEqual(added_in_list(), [])
        # It was the default: the settings' own is again.
        self.assertIsNone(connections_file().get("default"))
        # The first stays connected, with its tokens, and reads as a single connection again.
        self.assertEqual(self.state(), "connected")
        self.assertEqual(token("access-token"), first)
        self.assertTrue(api_accepts(first))
        self.session.wait_for("one heading", lambda: self.session.text("#connection-heading") == "Kanka account")
        self.assertIn("revoke", self.message(), "where to revoke the app is said on the card that stays")
        self.assertTrue(self.shown("#add-connection"))
        self.assertFalse(self.shown("#make-default"))

    def test_10_disconnecting_the_first_leaves_the_added_one_connected(self):
        sign_in_as(*SECOND)
        consent("approve")
        self.click("#add-connection")
        self.wait_card("-2", "connected")
        second = token("access-token", "2")
        self.assertEqual(account_of(second), SECOND)
        self.click("#disconnect")
        self.wait_state("disconnected")
        self.assertIsNone(token("access-token"))
        self.assertEqual(self.card_state("-2"), "connected")
        self.assertEqual(token("access-token", "2"), second)
        self.assertTrue(api_accepts(second))
        self.assertEqual(self.session.text("#connect"), "Connect to Kanka")
        self.assertFalse(self.shown("#add-connection"), "nothing to add beside a signed-out first")

    def test_11_cancelling_an_added_sign_in_removes_its_card(self):
        # The first connection is signed out now: sign it in again (as its own account: the
        # second is held by the added card), then give up adding another.
        sign_in_as(*SAGE)
        consent("approve")
        self.click("#connect")
        self.wait_state("connected")
        self.assertEqual(account_of(token("access-token")), SAGE)
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
