"""Accessibility end-to-end (WCAG 2.2 AA): every view of the real window, in light and in dark,
checked by axe-core (node_modules/axe-core, injected here, never part of the app) and by what axe
does not test (tests/e2e/access.js): the edges of inputs and buttons against their background
(1.4.11, 3:1), and a keyboard focus that can be seen on every control (2.4.7, 2.4.11).

A new view is one more line in Views.VIEWS, with the steps that reach it from the view before."""

import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import APP, E2E, HOME, ROOT, consent, sandbox_call, world, write_wrapper  # noqa: E402
from webdriver import TAB  # noqa: E402

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHECKS = ROOT / "tests" / "e2e" / "access.js"
# WCAG 2.0–2.2, A and AA, and axe's best practices.
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa",
                                                      "best-practice"]},
               "resultTypes": ["violations"]}
# GTK_THEME=Adwaita:dark makes WebKitGTK answer prefers-color-scheme: dark.
THEMES = {"light": {}, "dark": {"GTK_THEME": "Adwaita:dark"}}


def launcher(theme: str, browser: bool = True, client: bool = True):
    """`client=False`: no client id or secret in the environment, and none in the file: the setup view."""
    return E2E / f"kanka-link-{theme}{'' if browser else '-without-a-browser'}{'' if client else '-unset'}"


def set_up():
    # A profile of its own: the window scenarios (test_window) leave a connection and settings.
    harness.use_profile("access")
    harness.set_up()
    # Kanka's address comes from the config file, so the settings form has a field to refuse.
    config = HOME / "access" / "config" / "kanka-link" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'url = "{world["kanka"]}"\n')
    env = {k: v for k, v in harness.app_env().items()
           if k.startswith(("KANKA_LINK_", "BROWSER")) and k != "KANKA_LINK_URL"}
    for theme, extra in THEMES.items():
        write_wrapper(launcher(theme), {**env, **extra})
        write_wrapper(launcher(theme, browser=False), {**env, **extra, "PATH": "/nonexistent"})
        unset = {k: v for k, v in env.items() if k not in ("KANKA_LINK_CLIENT_ID", "KANKA_LINK_CLIENT_SECRET")}
        write_wrapper(launcher(theme, client=False), {**unset, **extra})


setUpModule = set_up



def inject(session):
    """axe-core and access.js, once per page."""
    if session.script("return typeof window.axe + typeof window.__access;") != "objectobject":
        session.script(AXE.read_text())
        session.script(CHECKS.read_text())


def axe_and_edges(session) -> tuple:
    """What axe-core finds wrong with the view on screen, and the controls whose edge contrast
    access.js measures below 3:1 (WCAG 1.4.11), as lines; and every control it measured."""
    session.painted()
    inject(session)
    found = session.script_async(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, arguments[0]).then((r) => done(r.violations.map((v) => ({"
        "  rule: v.id, help: v.help, nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary}`)}))),"
        "  (e) => done([{rule: 'axe failed', help: String(e), nodes: []}]));", AXE_OPTIONS)
    problems = [f"axe {v['rule']} ({v['help']}): {'; '.join(v['nodes'])}" for v in found]
    controls = session.script("return window.__access.controls();")
    problems += [f"1.4.11: the edge of {c['control']} is {c['edge']}:1" for c in controls if not c["ok"]]
    return problems, controls


class Views(harness.App):
    # (name, method that reaches it from the view before), from a fresh start, in this order.
    VIEWS = (
        ("disconnected", "to_disconnected"),
        ("waiting for the browser", "to_connecting"),
        ("sign-in cancelled (a notice)", "to_cancelled"),
        ("error", "to_error"),
        ("connected", "to_connected"),
        ("two connections (another account added)", "to_two_connections"),
        ("one connection again (the added one disconnected)", "to_one_connection_again"),
        ("reconnect needed", "to_reconnect_needed"),
        ("disconnected (with its notice)", "to_disconnected_with_notice"),
        ("settings", "to_settings"),
        ("settings with an error", "to_settings_with_an_error"),
        ("settings saved", "to_settings_saved"),
        ("waiting without a browser (the address to copy)", "to_waiting_without_a_browser"),
        ("setup", "to_setup"),
        ("setup with a failed check", "to_setup_with_a_failed_check"),
    )

    def to_disconnected(self):
        self.wait_state("disconnected")

    def to_connecting(self):
        consent("ignore")
        self.click("#connect")
        self.session.wait_for("the countdown", lambda: "times out in" in self.session.text("#remaining"))

    def to_cancelled(self):
        self.click("#cancel")
        self.session.wait_for("the notice", lambda: "cancelled" in self.message())

    def to_error(self):
        # Two: the setup check's token request before Connect (no answer from settings that passed
        # before does not block), then the code exchange itself.
        sandbox_call("/__sandbox/faults", {"path": "/oauth/token", "status": 500, "count": 2})
        consent("approve")
        self.click("#connect")
        self.wait_state("error")

    def to_connected(self):
        consent("approve")
        self.click("#connect")
        self.wait_state("connected")
        self.session.wait_for("the account name", lambda: "Sandbox Sage" in self.session.text("#account"))

    def second_card(self):
        return self.session.script("return document.getElementById('connection-2')?.dataset.state ?? null;")

    def to_two_connections(self):
        # Another account: Kanka signs in whoever the browser is signed in as, and a second
        # sign-in of the first account is not kept. Its card offers "Make default".
        harness.sign_in_as(5678, "Second Player")
        consent("approve")
        self.click("#add-connection")
        self.session.wait_for("the second card connected", lambda: self.second_card() == "connected")
        self.session.wait_for("Make default", lambda: self.session.find("#make-default-2").displayed())
        # Back to the first account in the browser, for the views after this one.
        harness.sign_in_as(1234, "Sandbox Sage")

    def to_one_connection_again(self):
        self.click("#disconnect-2")
        self.session.wait_for("the second card gone", lambda: self.second_card() is None)

    def to_reconnect_needed(self):
        sandbox_call("/__sandbox/revoke", method="POST")
        self.click("#refresh")
        self.wait_state("reconnect_needed")

    def to_disconnected_with_notice(self):
        self.click("#disconnect")
        self.wait_state("disconnected")
        self.session.wait_for("Open Kanka's settings", lambda: self.session.find("#open-kanka-settings").displayed())

    def to_settings(self):
        self.click("#settings-toggle")
        self.session.wait_for("the form", lambda: self.session.find("#setting-url").property("value"))

    def to_settings_with_an_error(self):
        self.fill("#setting-url", "ftp://kanka.example")
        self.click("#settings-save")
        self.session.wait_for("the error", lambda: self.session.find("#setting-url-error").displayed())

    def to_settings_saved(self):
        self.fill("#setting-url", world["kanka"])
        self.click("#settings-save")
        self.session.wait_for("the confirmation", lambda: "Settings saved." in self.message())

    def to_waiting_without_a_browser(self):
        self.close()
        self.open(launcher(self.theme, browser=False))
        self.wait_state("disconnected")
        self.click("#connect")
        self.session.wait_for("the address", lambda: self.session.find("#authorize-url").displayed())

    def to_setup(self):
        if self.state() == "connecting":
            self.click("#cancel")
            self.wait_state("disconnected")
        self.close()
        # No client in the file either (the walk before may have saved one).
        (HOME / "access" / "config" / "kanka-link" / "config.toml").write_text(f'url = "{world["kanka"]}"\n')
        self.open(launcher(self.theme, client=False))
        self.session.wait_for("the setup view", lambda: self.session.find("#setup-redirect").property("value"))

    def to_setup_with_a_failed_check(self):
        self.fill("#setup-client-id", "999")
        self.fill("#setup-client-secret", "not-the-secret")
        self.click("#setup-save")
        self.session.wait_for("the refusal", lambda: "999" in self.session.text("#message-alert"))

    def inject(self):
        inject(self.session)

    def audit(self) -> list:
        """What is wrong with the view on screen, as lines; none when it passes."""
        problems, controls = axe_and_edges(self.session)
        self.edges.extend(c["edge"] for c in controls)
        problems += self.keyboard_focus()
        return problems

    def activate(self):
        """Brings the window forward as a second launch does (single-instance): under Xvfb no
        window manager gives it the keyboard, and WebKit matches :focus only in an active window."""
        if not self.session.script("return document.hasFocus();"):
            subprocess.run([str(APP)], env=harness.app_env(), capture_output=True, timeout=30)
            self.session.wait_for("the window to be active", lambda: self.session.script("return document.hasFocus();"))

    def keyboard_focus(self) -> list:
        """Tabs through the view's controls, then focuses the heading as the page does when the
        focused control goes away: each must show its focus."""
        problems, seen = [], []
        self.activate()
        self.session.script("document.activeElement?.blur();")
        for _ in range(30):
            self.session.press(TAB)
            focus = self.session.script("return window.__access.focus();")
            if focus is None or focus["element"] in seen:
                break
            seen.append(focus["element"])
            if not focus["ok"]:
                problems.append(f"focus on {focus['element']} cannot be seen: {json.dumps(focus)}")
        if len(seen) < 2:
            problems.append(f"the keyboard reached only {seen}")
        focus = self.session.script("document.getElementById('connection-heading').focus();"
                                    "return window.__access.focus();")
        if not focus or not focus["ok"]:
            problems.append(f"focus on the heading cannot be seen: {json.dumps(focus)}")
        self.stops[len(seen)] = self.stops.get(len(seen), 0) + 1
        return problems

    def walk(self, theme: str):
        self.theme, self.edges, self.stops = theme, [], {}
        self.open(launcher(theme))
        try:
            self.inject()
            scheme = self.session.script("return window.__access.scheme();")
            self.assertEqual(scheme["dark"], theme == "dark", scheme)
            self.assertTrue(scheme["background"] < 0.05 if theme == "dark" else scheme["background"] > 0.8, scheme)
            failures = {}
            for name, step in self.VIEWS:
                getattr(self, step)()
                # The picture first: the audit leaves the focus on the heading.
                self.shot(f"access-{theme}-" + "-".join(name.replace("(", "").replace(")", "").split()))
                problems = self.audit()
                if problems:
                    failures[name] = problems
            if self.state() == "connecting":
                self.click("#cancel")
                self.wait_state("disconnected")
        finally:
            self.close()
        self.assertEqual(failures, {}, "\n" + json.dumps(failures, indent=2))
        print(f"\n{theme}: {len(self.VIEWS)} views, axe-core found nothing; control edges {min(self.edges)}:1 "
              f"at least; tab stops per view: {self.stops}", file=sys.stderr)

    def test_light(self):
        self.walk("light")

    def test_dark(self):
        self.walk("dark")

if __name__ == "__main__":
    unittest.main(verbosity=2)
