"""What the end-to-end tests share: the sandbox Kanka on loopback, the desktop's default browser
set to a script that plays the user (tests/e2e/browser.py), tauri-driver, the launchers of the app,
and a window to drive (App). A test module starts it all with `setUpModule = harness.set_up`;
tests/e2e/run.sh runs the modules inside the private session that tests/run.sh starts."""

import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import sandbox_env  # noqa: E402
from screen import save_picture  # noqa: E402
from webdriver import Session  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "debug"
# The command line (no GTK), which also hands deep links over and starts the window...
APP = TARGET / "kanka-link"
# ...and the window itself, the Tauri app the WebDriver drives.
WINDOW = TARGET / "kanka-link-window"
ARTIFACTS = ROOT / "tests" / "artifacts"
HOME = pathlib.Path(os.environ["HOME"])
E2E = HOME / "e2e"
CLIENT_ID = "7"
CLIENT_SECRET = "e2e-secret-" + os.urandom(8).hex()
WITH_ENV = E2E / "kanka-link-configured-by-environment"
BY_HAND = E2E / "kanka-link-configured-by-hand"
# Configured, but with a PATH where no opener (xdg-open, gio, ...) is found: no browser opens.
NO_BROWSER = E2E / "kanka-link-without-a-browser"

world = {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sandbox_call(path: str, body=None, method=None):
    """The sandbox's test controls: GET without a body, POST with one."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(world["kanka"] + path, data=data, method=method or ("POST" if data else "GET"),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        text = answer.read()
        return json.loads(text) if text else None


def stats() -> dict:
    return sandbox_call("/__sandbox/stats")


def sign_in_as(user_id: int, name: str):
    """The browser is signed in to the sandbox Kanka as this account (made on first use): the
    consents and sign-ins from now on are its own. The sandbox starts as 1234, Sandbox Sage."""
    sandbox_call("/__sandbox/sign-in", {"id": user_id, "name": name})


def revoke(user_id=None):
    """The user revokes Kanka Link in Kanka: that account's grants, or every account's."""
    sandbox_call("/__sandbox/revoke", {} if user_id is None else {"user_id": user_id})


def app_env() -> dict:
    return sandbox_env.app_env(world["kanka"], CLIENT_ID, CLIENT_SECRET, str(ROOT / "tests" / "e2e" / "browser.py"),
                               KANKA_LINK_E2E_DIR=str(E2E))


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([str(APP), *args], env=app_env(), capture_output=True, text=True, timeout=60)


def cli_by_hand(*args) -> subprocess.CompletedProcess:
    """The command line with no settings in its environment: they come from config.toml."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KANKA_LINK_")}
    return subprocess.run([str(APP), *args], env=env, capture_output=True, text=True, timeout=60)


def keychain(kind: str):
    """What libsecret's own tool finds for an item of ours, or None."""
    scope = f"{CLIENT_ID}@{world['kanka']}"
    found = subprocess.run(["secret-tool", "lookup", "service", "kanka-link", "username", f"{kind}:{scope}"],
                           capture_output=True, text=True)
    return found.stdout.strip() if found.returncode == 0 and found.stdout.strip() else None


def api_accepts(token, kanka: str = "") -> bool:
    """Whether the API of this sandbox Kanka (the module's own unless named) takes the token."""
    if not token:
        return False
    request = urllib.request.Request((kanka or world["kanka"]) + "/api/1.0/profile",
                                     headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status == 200
    except urllib.error.HTTPError:
        return False


def classify(seen: dict):
    yield "client secret", seen["client_secret"]
    for kind in ("codes", "code_verifiers", "access_tokens", "refresh_tokens"):
        for secret in seen[kind]:
            yield kind[:-1].replace("_", " "), secret


def consent(decision: str):
    (E2E / "consent").write_text(decision)


def gio_open(url: str):
    subprocess.run(["gio", "open", url], check=True, timeout=30, env=app_env())


PROFILE = (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache"),
           ("XDG_STATE_HOME", "state"))


def use_profile(name: str):
    """A profile of the module's own (config, data, cache, state under HOME/name), so what another
    module left behind (a connection, settings) does not leak in; the modules after this one get
    theirs back (test_window uses the session's own). In setUpModule, before `set_up`."""
    saved = {variable: os.environ.get(variable) for variable, _ in PROFILE}
    unittest.addModuleCleanup(_restore_profile, saved)
    for variable, folder in PROFILE:
        os.environ[variable] = str(HOME / name / folder)
        os.makedirs(os.environ[variable], exist_ok=True)


def _restore_profile(saved: dict):
    for variable, value in saved.items():
        if value is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = value


def set_up():
    E2E.mkdir(parents=True, exist_ok=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    consent("ignore")
    # The sandbox Kanka.
    port = free_port()
    log = open(E2E / "sandbox.log", "w")
    sandbox = subprocess.Popen([str(TARGET / "kanka-sandbox"), "--port", str(port), "--client-id", CLIENT_ID,
                                "--client-secret", CLIENT_SECRET], stdout=log, stderr=log, start_new_session=True)
    # Stopped however the run ends, set-up failures included.
    unittest.addModuleCleanup(stop, sandbox, log)
    world["kanka"] = f"http://127.0.0.1:{port}"
    for _ in range(100):
        if "listening on" in (E2E / "sandbox.log").read_text():
            break
        time.sleep(0.05)
    # The desktop's default browser is our user-playing script, as a real desktop registers one.
    applications = pathlib.Path(os.environ["XDG_DATA_HOME"]) / "applications"
    applications.mkdir(parents=True, exist_ok=True)
    (applications / "kanka-link-test-browser.desktop").write_text(
        "[Desktop Entry]\nType=Application\nName=Test browser\n"
        f"Exec={ROOT / 'tests' / 'e2e' / 'browser.py'} %u\n"
        "MimeType=x-scheme-handler/http;x-scheme-handler/https;\n")
    for scheme in ("http", "https"):
        subprocess.run(["xdg-mime", "default", "kanka-link-test-browser.desktop", f"x-scheme-handler/{scheme}"],
                       check=True)
    # tauri-driver keeps neither stdout nor stderr: the wrappers send them to a log. One sets the
    # settings in the environment, the other leaves them to the settings form.
    configured = {k: v for k, v in app_env().items() if k.startswith(("KANKA_LINK_", "BROWSER"))}
    by_hand = {k: v for k, v in configured.items() if k in ("KANKA_LINK_E2E_DIR", "BROWSER")}
    write_wrapper(WITH_ENV, configured)
    write_wrapper(BY_HAND, by_hand)
    write_wrapper(NO_BROWSER, {**configured, "PATH": "/nonexistent"})
    driver_port, native_port = free_port(), free_port()
    driver_log = open(E2E / "tauri-driver.log", "w")
    driver = subprocess.Popen(
        ["tauri-driver", "--port", str(driver_port), "--native-port", str(native_port),
         "--native-driver", shutil.which("WebKitWebDriver") or "/usr/bin/WebKitWebDriver"],
        stdout=driver_log, stderr=driver_log, start_new_session=True)
    unittest.addModuleCleanup(stop, driver, driver_log)
    world["driver_url"] = f"http://127.0.0.1:{driver_port}"
    # Both tauri-driver and the WebKitWebDriver it starts must be listening.
    for port in (driver_port, native_port):
        wait_for_port(port)


def write_wrapper(path: pathlib.Path, env: dict):
    exports = "".join(f"export {k}='{v}'\n" for k, v in env.items())
    path.write_text(f"#!/bin/sh\n{exports}echo $$ > '{E2E}/app.pid'\n"
                    f"exec '{WINDOW}' \"$@\" >> '{E2E}/app.log' 2>&1\n")
    path.chmod(0o755)


def wait_for_port(port: int):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port}")


def stop(process: subprocess.Popen, log):
    """Ends a process and what it started (tauri-driver starts WebKitWebDriver, which starts the app)."""
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=10)
    log.close()



class App(unittest.TestCase):
    """A test case that drives one window at a time."""

    session = None

    @classmethod
    def open(cls, wrapper=WITH_ENV):
        cls.session = Session(world["driver_url"], {
            "browserName": "wry",
            "tauri:options": {"application": str(wrapper)},
        })
        cls.session.wait_for("the window to load", lambda: cls.session.text("#state"))

    @classmethod
    def close(cls):
        pid = int((E2E / "app.pid").read_text())
        cls.session.quit()
        cls.session = None
        # The next window must not find this one still running (it would hand over and exit).
        for _ in range(100):
            if not os.path.exists(f"/proc/{pid}"):
                return
            time.sleep(0.05)
        raise AssertionError("the app did not exit")

    def state(self) -> str:
        """The raw state name: the footer shows it in words, with the name as the <data> value."""
        return self.session.script("return document.getElementById('state').value;")

    def wait_state(self, state: str, timeout: float = 20):
        seen = []
        try:
            return self.session.wait_for(f"state {state}", lambda: seen.append(self.state()) or seen[-1] == state,
                                         timeout)
        except AssertionError:
            raise AssertionError(f"state {seen[-1] if seen else None!r}, not {state!r}; message: {self.message()!r}")

    def message(self) -> str:
        return self.session.text("#message")

    def click(self, css: str):
        element = self.session.wait_for(f"{css} to show", lambda: (e := self.session.find(css)) and e.displayed()
                                        and e.enabled() and e)
        element.click()

    def fill(self, css: str, text: str):
        field = self.session.find(css)
        field.clear()
        field.type(text)

    def shot(self, name: str):
        self.session.painted()
        save_picture(self.session.window_rect(), ARTIFACTS / f"{name}.png")

    def remember_tokens(self):
        for kind in ("access-token", "refresh-token"):
            token = keychain(kind)
            if token:
                world.setdefault("tokens", set()).add(token)



class OneWindow(App):
    """One window for a module's tests, which run in order, each from the state the one before left;
    with several connections, each has its card (`connection`, `connection-2`, ...)."""

    @classmethod
    def setUpClass(cls):
        cls.open()

    @classmethod
    def tearDownClass(cls):
        if cls.session:
            cls.close()

    def cards(self):
        return self.session.script("return [...document.querySelectorAll('section.card[id^=connection]')]"
                                   ".map((card) => card.id);")

    def card_state(self, suffix: str):
        return self.session.script(
            "const card = document.getElementById(arguments[0]); return card ? card.dataset.state : null;",
            "connection" + suffix)