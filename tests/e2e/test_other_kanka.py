"""End-to-end: a connection to another Kanka server, added in the real window ("Add another Kanka
server"). A second sandbox Kanka runs beside the first, with a client of its own (id 8, its own
secret) and a user of its own (Other Sage). The settings' own connection signs in to the first;
the form is refused once with a wrong address (the error at its field, nothing added or saved),
then filled in with the second sandbox's values: the new card signs in there through the deep
link, its client secret and tokens are in the keychain under the second server and client, its
API accepts the token, and the first connection is untouched. Disconnecting the new card removes
it and its tokens; the form then opens afresh, and Cancel hides it. axe-core checks the open form,
with its error and without, and the two cards. Run by
tests/e2e/run.sh inside the private session that tests/run.sh starts."""

import json
import os
import pathlib
import subprocess
import sys
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import CLIENT_ID, E2E, TARGET, consent, free_port, stats, world  # noqa: E402
from test_access import axe_and_edges  # noqa: E402

OTHER_ID = "8"
OTHER_SECRET = "other-secret-" + os.urandom(8).hex()
OTHER_USER = "Other Sage"


def set_up():
    # A profile of its own: the other modules leave connections and settings behind.
    harness.use_profile("other-kanka")
    harness.set_up()
    # The other Kanka: its own port, client, secret and user; the same redirect as the window's.
    port = free_port()
    log_path = E2E / "sandbox-other.log"
    log = open(log_path, "w")
    sandbox = subprocess.Popen([str(TARGET / "kanka-sandbox"), "--port", str(port), "--client-id", OTHER_ID,
                                "--client-secret", OTHER_SECRET, "--user-name", OTHER_USER,
                                "--redirect-uri", "kanka-link://oauth/callback"],
                               stdout=log, stderr=log, start_new_session=True)
    unittest.addModuleCleanup(harness.stop, sandbox, log)
    world["other"] = f"http://127.0.0.1:{port}"
    harness.wait_for_port(port)


setUpModule = set_up


def secret(kind: str, scope: str):
    """An item of ours as libsecret's own tool finds it, or None."""
    found = subprocess.run(["secret-tool", "lookup", "service", "kanka-link", "username", f"{kind}:{scope}"],
                           capture_output=True, text=True)
    return found.stdout.strip() if found.returncode == 0 and found.stdout.strip() else None


def first(kind: str):
    """The settings' own connection's item: `client_id@server` (connections.rs)."""
    return secret(kind, f"{CLIENT_ID}@{world['kanka']}")


def other(kind: str, slot: str = ""):
    """An item under the other Kanka's server and client: its client secret, an added
    connection's tokens under `#slot`."""
    return secret(kind, f"{OTHER_ID}@{world['other']}{'#' + slot if slot else ''}")


def accepts(kanka: str, token) -> bool:
    """Whether this Kanka's API takes the token."""
    return harness.api_accepts(token, kanka)


def other_stats() -> dict:
    with urllib.request.urlopen(world["other"] + "/__sandbox/stats", timeout=10) as answer:
        return json.loads(answer.read())


def connections_file() -> pathlib.Path:
    return pathlib.Path(os.environ["XDG_DATA_HOME"]) / "kanka-link" / "connections.json"


def listed():
    """connections.json as written, or None when there is none."""
    path = connections_file()
    return path.read_text() if path.exists() else None


class OtherKanka(harness.OneWindow):
    """One window; the tests run in order, each from the state the one before left."""



    def value(self, css: str) -> str:
        return self.session.find(css).property("value")

    def audit(self, view: str):
        """axe-core (and the control edges tests/e2e/access.js measures) on the view as it is."""
        problems, _ = axe_and_edges(self.session)
        self.assertEqual(problems, [], f"{view}:\n" + "\n".join(problems))

    def test_01_the_settings_connection_signs_in_first(self):
        self.wait_state("disconnected")
        self.assertFalse(self.session.find("#add-server").displayed(), "nothing to add before a sign-in")
        consent("approve")
        self.click("#connect")
        self.wait_state("connected")
        self.session.wait_for("the button", lambda: self.session.find("#add-server").displayed())
        self.assertEqual(self.session.text("#add-server"), "Add another Kanka server")
        self.assertTrue(accepts(world["kanka"], first("access-token")))

    def test_02_a_wrong_address_is_refused_at_its_field(self):
        before = listed()
        exchanges = stats()["code_exchanges"]
        self.click("#add-server")
        self.session.wait_for("the form", lambda: self.session.find("#another-url").displayed())
        self.assertEqual(self.session.find("#add-server").attribute("aria-expanded"), "true")
        # The settings' redirect to start with: the window's own.
        self.session.wait_for("the redirect", lambda: self.value("#another-redirect-uri")
                              == "kanka-link://oauth/callback")
        self.audit("the form")
        self.fill("#another-url", "ftp://kanka.example")
        self.fill("#another-api-url", world["other"] + "/api/1.0")
        self.fill("#another-client-id", OTHER_ID)
        self.fill("#another-client-secret", OTHER_SECRET)
        self.click("#another-connect")
        self.session.wait_for("the error at the Kanka URL", lambda: self.session.find("#another-url-error").displayed())
        self.assertIn("ftp", self.session.text("#another-url-error"))
        url = self.session.find("#another-url")
        self.assertEqual(url.attribute("aria-invalid"), "true")
        self.assertEqual(url.attribute("aria-errormessage"), "another-url-error")
        self.assertEqual(url.attribute("aria-describedby"), "another-url-error another-url-note")
        for field in ("api-url", "client-id", "client-secret", "redirect-uri"):
            self.assertFalse(self.session.find(f"#another-{field}-error").displayed(), field)
        # Nothing added, written or saved; what was typed stays.
        self.assertEqual(self.cards(), ["connection"])
        self.assertEqual(listed(), before)
        self.assertIsNone(other("client-secret"))
        self.assertEqual(self.value("#another-api-url"), world["other"] + "/api/1.0")
        self.assertEqual(self.value("#another-client-id"), OTHER_ID)
        self.assertNotIn("ftp", self.message(), "the error is at the field, not on the card")
        self.assertEqual((self.state(), stats()["code_exchanges"]), ("connected", exchanges))
        self.audit("the form with an error")
        self.shot("other-kanka-refused")

    def test_03_another_kanka_is_added_and_signs_in_there(self):
        token = first("access-token")
        exchanges = stats()["code_exchanges"]
        consent("approve")
        self.fill("#another-url", world["other"])
        self.click("#another-connect")
        self.session.wait_for("the new card", lambda: self.session.find("#connection-2"))
        self.session.wait_for("the form to close", lambda: not self.session.find("#another").displayed())
        self.assertEqual(self.session.find("#add-server").attribute("aria-expanded"), "false")
        seen = []
        try:
            self.session.wait_for("the new card connected", lambda: seen.append(self.card_state("-2"))
                                  or seen[-1] == "connected")
        except AssertionError:
            raise AssertionError(f"card-2 is {seen[-1] if seen else None!r}; its message "
                                 f"{self.session.text('#message-2')!r}")
        self.session.wait_for("its account", lambda: self.session.text("#account-2") == f"Connected as {OTHER_USER}")
        self.assertEqual(self.cards(), ["connection", "connection-2"])
        # Its secret and tokens are under the other Kanka's server and client; its API takes them.
        self.assertEqual(other("client-secret"), OTHER_SECRET)
        added = other("access-token", "2")
        self.assertTrue(added and other("refresh-token", "2"), "its tokens are in the keychain")
        self.assertTrue(accepts(world["other"], added))
        self.assertFalse(accepts(world["kanka"], added), "a token of the other Kanka only")
        self.assertEqual(other_stats()["code_exchanges"], 1)
        with connections_file().open() as file:
            self.assertEqual([(a["slot"], a["kanka_url"], a["client_id"]) for a in json.load(file)["added"]],
                             [("2", world["other"], OTHER_ID)])
        # The first connection untouched: no sign-in at its Kanka, the same token, still taken.
        self.assertEqual(stats()["code_exchanges"], exchanges)
        self.assertEqual(first("access-token"), token)
        self.assertEqual((self.state(), self.card_state("")), ("connected", "connected"))
        self.assertTrue(accepts(world["kanka"], token))
        # Two servers: each heading names its host.
        host = world["other"].split("//")[1]
        self.session.wait_for("the headings", lambda: self.session.text("#connection-heading-2")
                              == f"Kanka account: {OTHER_USER} on {host}")
        self.audit("a card on each Kanka")
        self.shot("other-kanka-connected")

    def test_04_disconnecting_it_leaves_the_first_connected(self):
        token = first("access-token")
        self.click("#disconnect-2")
        self.session.wait_for("the new card gone", lambda: self.cards() == ["connection"])
        self.assertIsNone(other("access-token", "2"))
        self.assertIsNone(other("refresh-token", "2"))
        self.assertEqual(json.loads(listed() or "{}").get("added", []), [])
        self.assertEqual(self.state(), "connected")
        self.assertEqual(first("access-token"), token)
        self.assertTrue(accepts(world["kanka"], token))

    def test_05_the_form_opens_afresh_and_cancel_hides_it(self):
        self.click("#add-server")
        self.session.wait_for("the form", lambda: self.session.find("#another-url").displayed())
        # What the last add sent is gone, the secret first of all; the redirect is offered again.
        self.session.wait_for("the redirect", lambda: self.value("#another-redirect-uri")
                              == "kanka-link://oauth/callback")
        for field in ("url", "api-url", "client-id", "client-secret"):
            self.assertEqual(self.value(f"#another-{field}"), "", field)
        self.click("#another-cancel")
        self.session.wait_for("the form to close", lambda: not self.session.find("#another").displayed())
        self.assertEqual(self.session.find("#add-server").attribute("aria-expanded"), "false")
        self.assertEqual(self.session.script("return document.activeElement.id;"), "add-server")
        self.assertEqual(self.cards(), ["connection"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
