#!/usr/bin/env python3
"""The run-time half of the benchmark: Kanka Link and the bare Tauri app side by side, in one
run, under one Xvfb, in the private session that tests/bench/run.sh starts (its own D-Bus and
unlocked gnome-keyring, a throwaway HOME). Standard library only.

    python3 tests/bench/measure.py --ours BIN --bare BIN [--bare-plugins BIN] --sandbox BIN
                                   [--variants DIR] OUT.json

`--ours` is the window's binary, kanka-link-window; the command line kanka-link (the desktop's
handler for deep links) is found beside it.

Phases, in this order:
  1. deep link to connected, then refresh (the window driven through tauri-driver/WebDriver);
     leaves Kanka Link connected, with a token due in hours, for the phases after it;
  2. start-up work: one launch of each under strace and dbus-monitor;
  3. launch to first paint and memory after 10 s: launches alternating ours/bare;
  4. idle: both apps side by side, context switches and CPU time per thread over 60 s windows;
  5. variants (tests/bench/variants.py): launch of Kanka Link with one part taken out, and idle
     wake-ups with the `blocking` crate at 1.7.0.

Every figure is written to OUT.json; tests/bench/report.py turns it into BENCHMARKS.md."""

import argparse
import datetime
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))
import sandbox_env  # noqa: E402
from webdriver import Session  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "10"))  # measured launches, deep links, refreshes
IDLE_WINDOWS = int(os.environ.get("BENCH_IDLE_WINDOWS", "3"))
IDLE_SECONDS = float(os.environ.get("BENCH_IDLE_SECONDS", "60"))
MEMORY_AFTER = 10.0  # seconds after spawn
SETTLE = 15.0  # seconds between window-up and the first idle window
MARKER = "the window is up"
CLIENT_ID = "7"
CLIENT_SECRET = "bench-secret-" + os.urandom(8).hex()
TOKEN_LIFETIME = 4 * 3600  # refreshed at three quarters: hours away

HOME = pathlib.Path(os.environ["HOME"])
# Logs, traces and the browser's hand-over: kept after the run for a look (run.sh points this
# into target/bench/results/logs).
WORK = pathlib.Path(os.environ.get("BENCH_LOGS", HOME / "bench"))
world: dict = {}


# ---------------------------------------------------------------- processes and /proc


def children_map() -> dict:
    kids: dict = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = pathlib.Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def descendants(pid: int) -> list:
    kids, found, todo = children_map(), [], [pid]
    while todo:
        for child in kids.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def comm(pid: int, tid: int | None = None) -> str:
    path = f"/proc/{pid}/comm" if tid is None else f"/proc/{pid}/task/{tid}/comm"
    try:
        return pathlib.Path(path).read_text().strip()
    except OSError:
        return "?"


def pss_kib(pid: int) -> int:
    try:
        text = pathlib.Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    found = re.search(r"^Pss:\s+(\d+) kB", text, re.M)
    return int(found.group(1)) if found else 0


def threads(pid: int) -> dict:
    """tid -> (name, context switches, CPU ns) for every thread of `pid`."""
    found = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tids:
        base = f"/proc/{pid}/task/{tid}"
        try:
            status = pathlib.Path(f"{base}/status").read_text()
            ns = int(pathlib.Path(f"{base}/schedstat").read_text().split()[0])
            name = pathlib.Path(f"{base}/comm").read_text().strip()
        except OSError:
            continue
        switches = sum(int(n) for n in re.findall(r"ctxt_switches:\s+(\d+)", status))
        found[int(tid)] = (name, switches, ns)
    return found


def cpu_ticks(pid: int) -> int:
    """utime + stime of the whole process, in clock ticks."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


class App:
    """One launched app: spawned in a session of its own, its stderr read line by line."""

    def __init__(self, name: str, argv: list, env: dict, log: pathlib.Path):
        self.name = name
        self.log = open(log, "a")
        self.log.write(f"--- {datetime.datetime.now().isoformat()} {' '.join(map(str, argv))}\n")
        self.up = threading.Event()
        self.up_at = None
        self.up_wall = None
        self.started = time.monotonic()
        self.started_wall = time.time()
        self.proc = subprocess.Popen([str(a) for a in argv], env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stderr:
            now = time.monotonic()
            line = raw.decode(errors="replace")
            if not self.up.is_set() and MARKER in line:
                self.up_at, self.up_wall = now, time.time()
                self.up.set()
            self.log.write(line)
        self.log.flush()

    def wait_up(self, timeout=60.0) -> float:
        """Seconds from spawn until the page's first command was reported on stderr."""
        if not self.up.wait(timeout):
            raise RuntimeError(f"{self.name}: no '{MARKER}' within {timeout} s")
        return self.up_at - self.started

    @property
    def pid(self) -> int:
        return self.proc.pid

    def tree(self) -> list:
        return [self.pid, *descendants(self.pid)]

    def stop(self):
        tree = self.tree()
        for pid in reversed(tree):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        deadline = time.monotonic() + 10
        while any(os.path.exists(f"/proc/{pid}") and comm(pid) != "?" for pid in tree[1:]):
            if time.monotonic() > deadline:
                for pid in tree[1:]:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                break
            time.sleep(0.02)
        self.reader.join(timeout=5)
        self.log.close()


def summary(values: list) -> dict:
    values = [v for v in values if v is not None]
    if not values:
        return {"n": 0}
    return {"n": len(values), "median": statistics.median(values), "min": min(values), "max": max(values)}


def wait_until(what: str, check, timeout=20.0, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(step)
    raise RuntimeError(f"timed out waiting for {what}")


# ---------------------------------------------------------------- the sandbox and the desktop


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sandbox_call(path: str, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(world["kanka"] + path, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        text = answer.read()
        return json.loads(text) if text else None


def app_env() -> dict:
    return sandbox_env.app_env(world["kanka"], CLIENT_ID, CLIENT_SECRET, str(HERE / "browser.py"),
                               KANKA_LINK_BENCH_DIR=str(WORK))


def keychain(kind: str):
    scope = f"{CLIENT_ID}@{world['kanka']}"
    found = subprocess.run(["secret-tool", "lookup", "service", "kanka-link", "username", f"{kind}:{scope}"],
                           capture_output=True, text=True)
    return found.stdout.strip() or None


def set_up_desktop():
    """The sandbox Kanka, and the desktop's default browser set to tests/bench/browser.py."""
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    port = free_port()
    log = open(WORK / "sandbox.log", "w")
    world["sandbox"] = subprocess.Popen(
        [world["sandbox_bin"], "--port", str(port), "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET,
         "--token-lifetime", str(TOKEN_LIFETIME),
         # Kanka allows 30 API requests a minute; the benchmark signs in a few dozen times a minute,
         # and a 429 would make the app wait (as it should) and time the wait, not the app.
         "--rate-limit", "100000"], stdout=log, stderr=log, start_new_session=True)
    world["kanka"] = f"http://127.0.0.1:{port}"
    wait_until("the sandbox", lambda: "listening on" in (WORK / "sandbox.log").read_text(), 30)
    applications = pathlib.Path(os.environ["XDG_DATA_HOME"]) / "applications"
    applications.mkdir(parents=True, exist_ok=True)
    (applications / "kanka-link-bench-browser.desktop").write_text(
        "[Desktop Entry]\nType=Application\nName=Benchmark browser\n"
        f"Exec={HERE / 'browser.py'} %u\nMimeType=x-scheme-handler/http;x-scheme-handler/https;\n")
    for scheme in ("http", "https"):
        subprocess.run(["xdg-mime", "default", "kanka-link-bench-browser.desktop", f"x-scheme-handler/{scheme}"],
                       check=True)


# ---------------------------------------------------------------- phase 1: deep link and refresh

# Records in the page the moment (Date.now(), ms) when `condition` (JavaScript, evaluated on
# every DOM change) becomes true, and then the next animation frame.
WATCH = """
const reached = () => { %s };
window.__bench = null;
if (reached()) return "already";
const observer = new MutationObserver(() => {
  if (window.__bench || !reached()) return;
  window.__bench = { at: Date.now() };
  observer.disconnect();
  requestAnimationFrame(() => { window.__bench.frame = Date.now(); });
});
observer.observe(document.documentElement, { subtree: true, childList: true, characterData: true, attributes: true });
return "watching";
"""

CONNECTED = """
const $ = (css) => document.querySelector(css);
return $("#state").value === "connected" && !$("#details").hidden
  && $("#account").textContent.startsWith("Connected as ");
"""

REFRESHED_AT = "const e = document.querySelector('#last-refresh time'); return e ? e.getAttribute('datetime') : null;"

WATCHED = """
const done = arguments[arguments.length - 1];
const poll = () => (window.__bench && window.__bench.frame ? done(window.__bench) : setTimeout(poll, 2));
poll();
"""

LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT[\d:.]+Z)\s+\w+\s+(.*)$")


def log_since(path: pathlib.Path, offset: int) -> list:
    """(epoch seconds, message) of each log line written after `offset`."""
    with open(path, "rb") as file:
        file.seek(offset)
        text = file.read().decode(errors="replace")
    found = []
    for line in text.splitlines():
        match = LOG_LINE.match(line.strip())
        if match:
            at = datetime.datetime.fromisoformat(match.group(1).replace("Z", "+00:00")).timestamp()
            found.append((at, match.group(2)))
    return found


def wait_log(path, offset, needle, timeout=20.0):
    return wait_until(f"'{needle}' in the log",
                      lambda: next(((at, m) for at, m in log_since(path, offset) if needle in m), None), timeout)


class Window:
    """Kanka Link's window under tauri-driver; its stderr goes to a log through a wrapper."""

    def __init__(self, app: pathlib.Path):
        self.log = WORK / "window.log"
        wrapper = WORK / "kanka-link-window"
        exports = "".join(f"export {k}='{v}'\n" for k, v in app_env().items()
                          if k.startswith(("KANKA_LINK_", "BROWSER")))
        wrapper.write_text(f"#!/bin/sh\n{exports}echo $$ > '{WORK}/window.pid'\n"
                           f"exec '{app}' \"$@\" >> '{self.log}' 2>&1\n")
        wrapper.chmod(0o755)
        driver_port, native_port = free_port(), free_port()
        self.driver_log = open(WORK / "tauri-driver.log", "w")
        self.driver = subprocess.Popen(
            ["tauri-driver", "--port", str(driver_port), "--native-port", str(native_port),
             "--native-driver", shutil.which("WebKitWebDriver") or "/usr/bin/WebKitWebDriver"],
            stdout=self.driver_log, stderr=self.driver_log, start_new_session=True)
        for port in (driver_port, native_port):
            wait_until(f"port {port}", lambda: _connects(port), 20)
        self.session = Session(f"http://127.0.0.1:{driver_port}",
                               {"browserName": "wry", "tauri:options": {"application": str(wrapper)}})
        self.session.wait_for("the window", lambda: self.text("#state"))

    def text(self, css: str) -> str:
        return self.session.script(f"const e = document.querySelector({json.dumps(css)}); return e ? e.textContent : '';")

    def state(self) -> str:
        # The footer shows the state in words; its raw name is the <data> element's value.
        return self.session.script("const e = document.getElementById('state'); return e ? e.value : '';")

    def wait_state(self, state: str, timeout=20.0):
        wait_until(f"state {state} (now {self.state()!r})", lambda: self.state() == state, timeout, 0.05)

    def click(self, css: str):
        element = self.session.wait_for(f"{css}", lambda: (e := self.session.find(css)) and e.displayed()
                                        and e.enabled() and e)
        element.click()

    def log_size(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0

    def close(self):
        pid = int((WORK / "window.pid").read_text())
        try:
            self.session.quit()
        finally:
            os.killpg(self.driver.pid, signal.SIGTERM)
            self.driver.wait(timeout=10)
            self.driver_log.close()
        wait_until("the window to exit", lambda: not os.path.exists(f"/proc/{pid}"), 10)


def _connects(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


SIGNED_IN = re.compile(r"signed in to Kanka as account \d+ \(token request ([\d.]+) ms, "
                       r"keychain and status file ([\d.]+) ms, profile ([\d.]+) ms\)")
REFRESHED = re.compile(r"refreshed \(token request ([\d.]+) ms, keychain and status file ([\d.]+) ms\)")
PAGE_READY = re.compile(r"the sign-in page is ready \(setup check ([\d.]+) ms, in all ([\d.]+) ms\)")


def connect_once(window: Window) -> dict:
    """Connect clicked: the setup check (two probes) and the sign-in's start, until the app hands
    Kanka's page to the browser. Requests counted by the sandbox, less the browser's own."""
    before = sandbox_call("/__sandbox/stats")
    offset = window.log_size()
    clicked = time.time()
    window.click("#connect")
    url = wait_until("the browser's redirect", lambda: (WORK / "redirect.url").exists()
                     and (WORK / "redirect.url").read_text(), 20)
    ready_at, message = wait_log(window.log, offset, "the sign-in page is ready")
    browser_at = float((WORK / "browser.started").read_text())
    after = sandbox_call("/__sandbox/stats")
    check_ms, start_ms = map(float, PAGE_READY.search(message).groups())
    return {
        "url": url,
        "figures": {
            "setup_check_ms": check_ms,
            "in_app_ms": start_ms,
            "click_to_page_ready_ms": (ready_at - clicked) * 1000,
            "click_to_browser_ms": (browser_at - clicked) * 1000,
        },
        # The browser asked /oauth/authorize once itself; everything else is the check's.
        "extra_requests": (after["token_requests"] - before["token_requests"])
        + (after["authorize_requests"] - before["authorize_requests"] - 1),
    }


def deep_link_once(window: Window, deliver) -> dict:
    """One sign-in, its callback URL handed to the running window by `deliver(url)` (argv)."""
    if window.state() != "disconnected":
        window.click("#disconnect")
        window.wait_state("disconnected")
    redirect = WORK / "redirect.url"
    redirect.unlink(missing_ok=True)
    connect = connect_once(window)
    url = connect["url"]
    if not url.startswith("kanka-link://oauth/callback?code="):
        raise RuntimeError(f"the browser got no code: {url[:60]}")
    window.wait_state("connecting")
    if window.session.script(WATCH % CONNECTED) != "watching":
        raise RuntimeError("the window was connected before the deep link")
    offset = window.log_size()
    spawned = time.time()
    handed = subprocess.run(deliver(url), env=app_env(), capture_output=True, timeout=30)
    exited = time.time()
    if handed.returncode != 0:
        raise RuntimeError(f"{deliver(url)[0]} failed: {handed.stderr.decode(errors='replace')[-300:]}")
    seen = window.session.script_async(WATCHED)
    signed_in_at, message = wait_log(window.log, offset, "signed in to Kanka as account")
    arrived_at, _ = wait_log(window.log, offset, "a deep link arrived")
    token_ms, storage_ms, profile_ms = map(float, SIGNED_IN.search(message).groups())
    if not (keychain("access-token") and keychain("refresh-token")):
        raise RuntimeError("signed in, but the tokens are not in the keychain")
    ui_at, frame_at = seen["at"] / 1000, seen["frame"] / 1000
    forwarding = (arrived_at - spawned) * 1000
    in_app = (signed_in_at - arrived_at) * 1000
    return {
        "handover_exit_ms": (exited - spawned) * 1000,
        "forwarding_ms": forwarding,
        "callback_checks_ms": in_app - token_ms - storage_ms - profile_ms,
        "token_request_ms": token_ms,
        "keychain_and_status_file_ms": storage_ms,
        "tokens_in_keychain_ms": forwarding + in_app - profile_ms,
        "profile_request_ms": profile_ms,
        "ui_update_ms": (ui_at - signed_in_at) * 1000,
        "total_ms": (ui_at - spawned) * 1000,
        "next_frame_ms": (frame_at - spawned) * 1000,
        "connect": connect["figures"],
        "connect_extra_requests": connect["extra_requests"],
    }


def floors(window: pathlib.Path) -> dict:
    """Process start alone: the command line's (`kanka-link --help`, no GTK), the window's
    (`kanka-link-window --help` refuses its arguments before Tauri starts, after the dynamic
    loader has mapped and relocated GTK, WebKit and the rest), and dbus-send's round trip."""
    def timed(argv, status=0):
        values = []
        for _ in range(ROUNDS):
            started = time.monotonic()
            done = subprocess.run(argv, env=app_env(), capture_output=True)
            values.append((time.monotonic() - started) * 1000)
            if done.returncode != status:
                raise RuntimeError(f"{argv}: exit {done.returncode}, not {status}")
        return summary(values)
    return {
        "app_help_ms": timed([str(window.with_name("kanka-link")), "--help"]),
        "window_loader_ms": timed([str(window), "--help"], status=2),
        "dbus_send_ping_ms": timed(["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
                                    "/org/freedesktop/DBus", "org.freedesktop.DBus.Peer.Ping"]),
        "true_ms": timed(["true"]),
    }


def command_line(cli: pathlib.Path) -> dict:
    """What another tool pays to get its token from Kanka Link (connected, token not due), next to
    GitHub's `gh auth token` (Debian's gh, token in GH_TOKEN: it reads no keychain) and to
    process start alone. Rounds alternate the commands so that noise hits all of them."""
    def token_is_printed(out: bytes) -> bool:
        return len(out.strip()) > 20
    env = app_env()
    commands = {
        "token_ms": ([str(cli), "token"], token_is_printed),
        "status_json_ms": ([str(cli), "status", "--json"], lambda out: b'"connected"' in out),
        "exec_true_ms": ([str(cli), "exec", "--", "true"], lambda out: True),
        "token_json_ms": ([str(cli), "token", "--json"], lambda out: b'"expires_at"' in out),
        "help_ms": ([str(cli), "--help"], lambda out: b"kanka-link" in out),
    }
    gh = shutil.which("gh")
    if gh:
        commands["gh_auth_token_ms"] = ([gh, "auth", "token"], token_is_printed)
    gh_env = {**env, "GH_TOKEN": "ghp_" + "b" * 36, "GH_CONFIG_DIR": str(WORK / "gh")}
    times = {name: [] for name in commands}
    for i in range(ROUNDS * 3 + 1):  # the first round is a warm-up
        for name, (argv, printed) in commands.items():
            started = time.monotonic()
            done = subprocess.run(argv, env=gh_env if name.startswith("gh") else env, capture_output=True)
            took = (time.monotonic() - started) * 1000
            if done.returncode != 0 or not printed(done.stdout):
                raise RuntimeError(f"{' '.join(argv[1:])} failed (exit {done.returncode}): "
                                   f"{done.stderr.decode(errors='replace')[-300:]}")
            if i:
                times[name].append(took)
    return {name: summary(values) for name, values in times.items()}


def refresh_once(window: Window) -> dict:
    previous = window.session.script(REFRESHED_AT)
    changed = f"const now = (() => {{ {REFRESHED_AT} }})(); return now !== null && now !== {json.dumps(previous)};"
    if window.session.script(WATCH % changed) != "watching":
        raise RuntimeError("#last-refresh changed before the refresh")
    offset = window.log_size()
    button = window.session.find("#refresh")
    clicked = time.time()
    button.click()
    seen = window.session.script_async(WATCHED)
    _, message = wait_log(window.log, offset, "refreshed (")
    token_ms, storage_ms = map(float, REFRESHED.search(message).groups())
    return {
        "token_request_ms": token_ms,
        "keychain_and_status_file_ms": storage_ms,
        "refresh_ms": token_ms + storage_ms,
        "click_to_ui_ms": (seen["at"] / 1000 - clicked) * 1000,
    }


def keychain_reference() -> dict:
    """What one keychain operation costs by itself, as libsecret's own tool does it (process
    start included): the floor under the app's keychain steps."""
    times = {"store": [], "lookup": [], "clear": []}
    item = ["service", "kanka-link-bench", "username", "reference"]
    for _ in range(ROUNDS):
        for op, argv, data in (("store", ["store", "--label", "bench", *item], b"x" * 1000),
                               ("lookup", ["lookup", *item], None), ("clear", ["clear", *item], None)):
            started = time.monotonic()
            subprocess.run(["secret-tool", *argv], input=data, capture_output=True, check=op != "lookup")
            times[op].append((time.monotonic() - started) * 1000)
    started = time.monotonic()
    for _ in range(ROUNDS):
        subprocess.run(["true"])
    spawn = (time.monotonic() - started) * 1000 / ROUNDS
    return {**{f"secret_tool_{op}_ms": summary(v) for op, v in times.items()}, "spawn_ms": spawn}


def phase_deep_link_and_refresh(ours: pathlib.Path) -> dict:
    reference = keychain_reference()
    window = Window(ours)
    # The desktop's handler is the command line, beside the window's binary (`ours`).
    handler = ours.with_name("kanka-link")
    methods = {"handover": lambda url: [str(handler), url], "second_launch": lambda url: [str(ours), url]}
    runs = {name: [] for name in methods}
    connects, extra_requests = [], []
    try:
        window.wait_state("disconnected")
        start_floors = floors(ours)
        for i in range(ROUNDS + 1):  # the first round is a warm-up
            for name, deliver in methods.items():
                run = deep_link_once(window, deliver)
                connect, extra = run.pop("connect"), run.pop("connect_extra_requests")
                print(f"deep link {i} by {name}: {run['total_ms']:.1f} ms "
                      f"(connect {connect['click_to_page_ready_ms']:.1f} ms, {extra} extra requests)", flush=True)
                if i:
                    runs[name].append(run)
                    connects.append(connect)
                    extra_requests.append(extra)
        refreshes = []
        for i in range(ROUNDS + 1):
            time.sleep(0.3)
            run = refresh_once(window)
            print(f"refresh {i}: {run['refresh_ms']:.1f} ms", flush=True)
            if i:
                refreshes.append(run)
        window.wait_state("connected")
        cli = command_line(ours.with_name("kanka-link"))
    finally:
        window.close()
    return {
        "keychain_reference": reference,
        "floors": start_floors,
        "deep_link": {k: summary([r[k] for r in runs["handover"]]) for k in runs["handover"][0]},
        "deep_link_second_launch": {k: summary([r[k] for r in runs["second_launch"]]) for k in runs["second_launch"][0]},
        "deep_link_runs": runs,
        "connect": {k: summary([c[k] for c in connects]) for k in connects[0]},
        "connect_extra_requests": {"max": max(extra_requests), "min": min(extra_requests)},
        "refresh": {k: summary([r[k] for r in refreshes]) for k in refreshes[0]},
        "refresh_runs": refreshes,
        "command_line": cli,
    }


# ---------------------------------------------------------------- phase 2: start-up work

STRACE_LINE = re.compile(r"^(\d+)\s+([\d.]+)\s+(\w+)\((.*)\)\s+=\s+(-?\d+|\?)(.*)$")
UNFINISHED = re.compile(r"^(\d+)\s+([\d.]+)\s+(\w+)\((.*) <unfinished \.\.\.>$")
RESUMED = re.compile(r"^(\d+)\s+([\d.]+)\s+<\.\.\. (\w+) resumed>(.*)$")


def bus_names() -> dict:
    """unique name -> well-known names on the session bus."""
    def call(method, *args):
        out = subprocess.run(["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
                              "/org/freedesktop/DBus", f"org.freedesktop.DBus.{method}", *args],
                             capture_output=True, text=True).stdout
        return re.findall(r'(?:string|uint32) "?([^"\s]+)"?', out)
    owners: dict = {}
    for name in call("ListNames"):
        if name.startswith(":"):
            continue
        owner = call("GetNameOwner", f"string:{name}")
        if owner:
            owners.setdefault(owner[0], []).append(name)
    return owners


def bus_pid(unique: str):
    out = subprocess.run(["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
                          "/org/freedesktop/DBus", "org.freedesktop.DBus.GetConnectionUnixProcessID",
                          f"string:{unique}"], capture_output=True, text=True).stdout
    found = re.search(r"uint32 (\d+)", out)
    return int(found.group(1)) if found else None


def startup_trace(name: str, binary: pathlib.Path, after: float = 3.0) -> dict:
    """One launch under strace (execve, connect, openat, clone) and dbus-monitor, from spawn
    until `after` seconds past window-up."""
    trace = WORK / f"strace-{name}.txt"
    monitor_out = open(WORK / f"dbus-{name}.txt", "w")
    monitor = subprocess.Popen(["dbus-monitor", "--session", "--profile"], stdout=monitor_out,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(0.5)
    before = sandbox_call("/__sandbox/stats")
    app = App(name, ["strace", "-f", "-ttt", "-qq", "-s", "300", "-e", "trace=execve,connect,openat,clone,clone3,vfork",
                     "-o", trace, binary], app_env(), WORK / f"{name}-strace.log")
    up = app.wait_up(90)
    time.sleep(after)
    after_stats = sandbox_call("/__sandbox/stats")
    # Whose bus connections: asked while they are open.
    tree = set(app.tree())
    # strace is the process spawned; the app is its child.
    main = next((pid for pid in descendants(app.pid) if comm(pid) == binary.name[:15]), None)
    monitor.send_signal(signal.SIGINT)
    monitor.wait(timeout=10)
    monitor_out.close()
    senders = {}
    for line in (WORK / f"dbus-{name}.txt").read_text().splitlines():
        parts = line.split("\t")
        if parts[0] == "mc" and len(parts) >= 8:
            senders.setdefault(parts[3], None)
    pids = {unique: bus_pid(unique) for unique in senders}
    who = {pid: ("app" if pid == main else comm(pid)) for pid in set(pids.values()) if pid in tree}
    names = bus_names()
    app.stop()
    exec_at = parse_strace_start(trace)
    return {
        "up_under_strace_s": up,
        "up_ms": (app.up_wall - exec_at) * 1000,
        "up_wall": app.up_wall,
        "strace": parse_strace(trace, app.up_wall),
        "dbus": parse_monitor(WORK / f"dbus-{name}.txt", pids, names, who, exec_at, app.up_wall),
        "network": {k: after_stats[k] - before[k] for k in ("token_requests", "api_requests", "authorize_requests")},
    }


def strace_calls(path: pathlib.Path):
    """(pid, time, call, arguments, result, rest) of each system call, an interrupted call
    (`<unfinished ...>` … `<... call resumed>`) joined into one."""
    pending = {}
    for line in path.read_text(errors="replace").splitlines():
        match = UNFINISHED.match(line)
        if match:
            pid, at, call, args = match.groups()
            pending[pid] = (at, call, args)
            continue
        match = RESUMED.match(line)
        if match:
            pid, _, call, tail = match.groups()
            at, _, args = pending.pop(pid, (match.group(2), call, ""))
            line = f"{pid} {at} {call}({args}{tail}"
        match = STRACE_LINE.match(line)
        if match:
            pid, at, call, args, ret, rest = match.groups()
            yield int(pid), float(at), call, args, ret, rest


def parse_strace(path: pathlib.Path, up_wall: float) -> dict:
    program: dict = {}  # pid -> ("exec", program) or ("thread", pid)
    parent: dict = {}
    events = []
    root = None
    first_at = None
    for pid, at, call, args, ret, rest in strace_calls(path):
        if root is None:
            root, first_at = pid, at
        if call in ("clone", "clone3", "vfork"):
            if ret.lstrip("-").isdigit() and int(ret) > 0:
                parent[int(ret)] = pid
                if "CLONE_THREAD" in args:
                    program[int(ret)] = ("thread", pid)
            continue
        if call == "execve":
            if ret == "0":
                argv = re.search(r"\[(.*?)\]", args)
                words = re.findall(r'"((?:[^"\\]|\\.)*)"', argv.group(1) if argv else "")
                exe = re.match(r'"([^"]*)"', args)
                # The app's own start is not "a process it started".
                if pid != root or program.get(pid):
                    events.append({"at": at, "pid": pid, "call": "execve", "what": " ".join(words)[:200]})
                program[pid] = ("exec", "app" if pid == root else pathlib.Path(exe.group(1) if exe else "?").name)
            continue
        err = (rest.split() or ["error"])[0] if ret.startswith("-") else None
        if call == "openat":
            found = re.search(r'"((?:[^"\\]|\\.)*)"', args)
            events.append({"at": at, "pid": pid, "call": "openat", "what": found.group(1) if found else args,
                           "error": err})
        elif call == "connect":
            unix = re.search(r'sun_path=(@?"[^"]*")', args)
            port = re.search(r"sin6?_port=htons\((\d+)\)", args)
            addr = re.search(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"', args)
            if unix:
                what = unix.group(1).replace('"', "")
            elif port and addr:
                what = f"{addr.group(1) or addr.group(2)}:{port.group(1)}"
            else:
                family = re.search(r"sa_family=(\w+)", args)
                what = family.group(1) if family else args[:60]
            events.append({"at": at, "pid": pid, "call": "connect", "what": what, "error": err})

    def who(pid: int) -> str:
        seen = set()
        while pid not in seen:
            seen.add(pid)
            kind = program.get(pid)
            if kind and kind[0] == "exec":
                return kind[1]
            pid = kind[1] if kind else parent.get(pid, pid)
        return "app"

    start = first_at or 0.0
    for event in events:
        event["ms"] = (event["at"] - start) * 1000
        event["process"] = who(event["pid"])
        event["phase"] = "before" if event["at"] <= up_wall else "after"
        event.pop("pid")
    return {"events": events, "start": start}


def parse_strace_start(path: pathlib.Path) -> float:
    for _, at, *_ in strace_calls(path):
        return at
    return 0.0


def parse_monitor(path, pids, names, who, started, up_wall) -> dict:
    calls = []
    for line in path.read_text().splitlines():
        parts = line.split("\t")
        if parts[0] != "mc" or len(parts) < 8:
            continue
        _, at, _, sender, dest, obj, iface, member = parts[:8]
        at = float(at)
        if at < started - 0.01 or pids.get(sender) not in who:
            continue
        target = dest if not dest.startswith(":") else (", ".join(names.get(dest, [])) or dest)
        calls.append({"at": at, "ms": (at - started) * 1000, "phase": "before" if at <= up_wall else "after", "to": target,
                      "call": f"{iface}.{member}", "process": who[pids[sender]], "sender": sender})
    return {"calls": calls}


def phase_startup(ours, bare) -> dict:
    if not shutil.which("strace"):
        return {"error": "strace is not installed"}
    return {"ours": startup_trace("ours", ours), "bare": startup_trace("bare", bare)}


# ---------------------------------------------------------------- phase 3: launch and memory


def memory_of(app: App) -> dict:
    parts = {}
    for pid in app.tree():
        name = "app" if pid == app.pid else comm(pid)
        parts[name] = parts.get(name, 0) + pss_kib(pid)
    return parts


def app_pss_detail(pid: int) -> dict:
    """The app process's PSS by kind of mapping (KiB), from /proc/PID/smaps."""
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
        lines = pathlib.Path(f"/proc/{pid}/smaps").read_text().splitlines()
    except OSError:
        return {}
    buckets: dict = {}
    kind = None
    for line in lines:
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            fields = line.split(None, 5)
            path = fields[5].strip() if len(fields) > 5 else ""
            if path == exe:
                kind = "the app's own binary"
            elif path == "[heap]":
                kind = "heap (brk)"
            elif path == "":
                kind = "anonymous (malloc arenas, thread stacks, GL buffers)"
            elif ".so" in path:
                kind = "shared libraries"
            else:
                kind = "other (stack, fonts, caches, …)"
        elif line.startswith("Pss:") and kind:
            buckets[kind] = buckets.get(kind, 0) + int(line.split()[1])
    return buckets


def phase_launch_and_memory(ours, bare, plugins=None) -> dict:
    # Kanka Link as it lives (connected), the bare app, Kanka Link for another client id, for
    # which it holds no connection (it then reads nothing from the keychain at start-up), and the
    # bare app with Kanka Link's plugins.
    apps = {"ours": (ours, app_env()), "bare": (bare, app_env()),
            "ours_not_connected": (ours, {**app_env(), "KANKA_LINK_CLIENT_ID": "8"})}
    if plugins:
        apps["bare_plugins"] = (plugins, app_env())
    results = {name: [] for name in apps}
    names = list(apps)
    for i in range(ROUNDS + 1):  # the first round warms the caches and is not counted
        order = names[i % len(names):] + names[:i % len(names)]
        for name in order:
            binary, env = apps[name]
            app = App(name, [binary], env, WORK / f"{name}-launch.log")
            try:
                up = app.wait_up()
                time.sleep(max(0.0, app.started + MEMORY_AFTER - time.monotonic()))
                memory = memory_of(app)
                detail = app_pss_detail(app.pid)
            finally:
                app.stop()
            print(f"launch {i} {name}: window up in {up * 1000:.0f} ms, PSS {sum(memory.values()) / 1024:.1f} MiB",
                  flush=True)
            if i:
                results[name].append({"up_ms": up * 1000, "pss_kib": memory, "app_detail_kib": detail})
            time.sleep(0.5)
    out = {}
    for name, runs in results.items():
        parts = sorted({k for r in runs for k in r["pss_kib"]})
        out[name] = {
            "launch_ms": summary([r["up_ms"] for r in runs]),
            "pss_mib": summary([sum(r["pss_kib"].values()) / 1024 for r in runs]),
            "pss_parts_mib": {p: summary([r["pss_kib"].get(p, 0) / 1024 for r in runs]) for p in parts},
            "app_detail_mib": {k: summary([r["app_detail_kib"].get(k, 0) / 1024 for r in runs])
                               for k in sorted({k for r in runs for k in r["app_detail_kib"]})},
            "runs": runs,
        }
    return out


# ---------------------------------------------------------------- phase 4: idle


def snapshot(app: App) -> dict:
    procs = {}
    for pid in app.tree():
        procs[pid] = {"name": "app" if pid == app.pid else comm(pid), "threads": threads(pid),
                      "ticks": cpu_ticks(pid)}
    return procs


def idle_delta(first: dict, last: dict, seconds: float) -> dict:
    out = {"seconds": seconds, "processes": {}}
    for pid, end in last.items():
        start = first.get(pid, {"threads": {}, "ticks": 0})
        per_thread = {}
        for tid, (name, switches, ns) in end["threads"].items():
            s_switches, s_ns = start["threads"].get(tid, (name, 0, 0))[1:]
            per_thread[tid] = {"name": name, "wakeups": switches - s_switches, "cpu_ms": (ns - s_ns) / 1e6,
                               "new": tid not in start["threads"]}
        gone = [start["threads"][t][0] for t in start["threads"] if t not in end["threads"]]
        key = end["name"]
        entry = out["processes"].setdefault(key, {"wakeups": 0, "cpu_ms": 0.0, "ticks": 0, "threads": [],
                                                   "threads_gone": []})
        entry["wakeups"] += sum(t["wakeups"] for t in per_thread.values())
        entry["cpu_ms"] += sum(t["cpu_ms"] for t in per_thread.values())
        entry["ticks"] += end["ticks"] - start["ticks"]
        entry["threads"].extend(sorted(per_thread.values(), key=lambda t: -t["wakeups"]))
        entry["threads_gone"].extend(gone)
    return out


def phase_idle(ours, bare, plugins=None) -> dict:
    apps = {"ours": App("ours", [ours], app_env(), WORK / "ours-idle.log"),
            "bare": App("bare", [bare], app_env(), WORK / "bare-idle.log")}
    if plugins:
        apps["bare_plugins"] = App("bare_plugins", [plugins], app_env(), WORK / "bare-plugins-idle.log")
    windows = {name: [] for name in apps}
    try:
        for app in apps.values():
            app.wait_up()
        time.sleep(SETTLE)
        for i in range(IDLE_WINDOWS):
            first = {name: snapshot(app) for name, app in apps.items()}
            started = time.monotonic()
            time.sleep(IDLE_SECONDS)
            last = {name: snapshot(app) for name, app in apps.items()}
            seconds = time.monotonic() - started
            for name in apps:
                delta = idle_delta(first[name], last[name], seconds)
                windows[name].append(delta)
                print(f"idle {i} {name}: {delta['processes']['app']['wakeups']} wake-ups, "
                      f"{delta['processes']['app']['cpu_ms']:.1f} ms CPU in {seconds:.0f} s", flush=True)
        status = subprocess.run([str(ours), "status", "--json"], env=app_env(), capture_output=True, text=True)
        state = json.loads(status.stdout) if status.returncode == 0 else {"state": status.stdout.strip()}
    finally:
        for app in apps.values():
            app.stop()
    out = {"window_seconds": IDLE_SECONDS, "settle_seconds": SETTLE, "ours_status": state}
    for name, runs in windows.items():
        out[name] = {
            "wakeups": summary([r["processes"]["app"]["wakeups"] for r in runs]),
            "cpu_ms": summary([r["processes"]["app"]["cpu_ms"] for r in runs]),
            "ticks": summary([r["processes"]["app"]["ticks"] for r in runs]),
            "webkit_wakeups": summary([sum(p["wakeups"] for k, p in r["processes"].items() if k != "app")
                                       for r in runs]),
            "windows": runs,
        }
    return out


# ---------------------------------------------------------------- phase 5: variants


def idle_alone(binary: pathlib.Path, name: str) -> dict:
    app = App(name, [binary], app_env(), WORK / f"{name}-idle.log")
    try:
        app.wait_up()
        time.sleep(SETTLE)
        first = snapshot(app)
        started = time.monotonic()
        time.sleep(IDLE_SECONDS)
        delta = idle_delta(first, snapshot(app), time.monotonic() - started)
    finally:
        app.stop()
    print(f"idle {name}: {delta['processes']['app']['wakeups']} wake-ups", flush=True)
    return delta


def phase_variants(folder: pathlib.Path) -> dict:
    """Launch and memory of each variant of Kanka Link (tests/bench/variants.py), the order
    rotating every round (half as many rounds as the main comparison, to keep the run short); and
    idle wake-ups of the unchanged build and of the one with `blocking` 1.7.0."""
    what = json.loads((folder / "variants.json").read_text())
    names = list(what)
    runs = {name: [] for name in names}
    rounds = max(3, ROUNDS // 2)
    for i in range(rounds + 1):
        order = names[i % len(names):] + names[:i % len(names)]
        for name in order:
            app = App(name, [folder / name], app_env(), WORK / f"variant-{name}.log")
            try:
                up = app.wait_up()
                time.sleep(max(0.0, app.started + MEMORY_AFTER - time.monotonic()))
                memory = memory_of(app)
            finally:
                app.stop()
            if i:
                runs[name].append({"up_ms": up * 1000, "pss_kib": memory})
            time.sleep(0.3)
        if i:
            print(f"variants round {i}: " + ", ".join(f"{n} {runs[n][-1]['up_ms']:.0f} ms" for n in names), flush=True)
    idle = {name: idle_alone(folder / name, name) for name in ("control", "blocking-1.7.0") if name in what}
    return {"what": what, "rounds": rounds,
            "launch_ms": {n: summary([r["up_ms"] for r in v]) for n, v in runs.items()},
            "pss_mib": {n: summary([sum(r["pss_kib"].values()) / 1024 for r in v]) for n, v in runs.items()},
            "pss_parts_mib": {n: {p: summary([r["pss_kib"].get(p, 0) / 1024 for r in v])
                                  for p in sorted({p for r in v for p in r["pss_kib"]})} for n, v in runs.items()},
            "runs": runs, "idle": idle}


# ---------------------------------------------------------------- main


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ours", type=pathlib.Path, required=True)
    parser.add_argument("--bare", type=pathlib.Path, required=True)
    parser.add_argument("--bare-plugins", type=pathlib.Path, help="the bare app with Kanka Link's plugins")
    parser.add_argument("--sandbox", type=pathlib.Path, required=True)
    parser.add_argument("--variants", type=pathlib.Path, help="folder of tests/bench/variants.py")
    parser.add_argument("out", type=pathlib.Path)
    args = parser.parse_args()
    ours, bare, plugins = args.ours.resolve(), args.bare.resolve(), args.bare_plugins
    world["sandbox_bin"] = args.sandbox.resolve()
    phases = [p for p in os.environ.get("BENCH_PHASES", "deeplink,startup,launch,idle,variants").split(",") if p]
    results = {"rounds": ROUNDS, "home": str(HOME), "phases": phases}
    set_up_desktop()
    try:
        if "deeplink" in phases:
            results.update(phase_deep_link_and_refresh(ours))
        else:
            connect_without_measuring(ours)
        if "startup" in phases:
            results["startup"] = phase_startup(ours, bare)
        if "launch" in phases:
            results["launch"] = phase_launch_and_memory(ours, bare, plugins)
        if "idle" in phases:
            results["idle"] = phase_idle(ours, bare, plugins)
        if "variants" in phases and args.variants and (args.variants / "variants.json").exists():
            results["variants"] = phase_variants(args.variants.resolve())
        results["sandbox_stats"] = sandbox_call("/__sandbox/stats")
    finally:
        os.killpg(world["sandbox"].pid, signal.SIGTERM)
        world["sandbox"].wait(timeout=10)
    args.out.write_text(json.dumps(results, indent=1, default=str))
    print(f"wrote {args.out}")


def connect_without_measuring(ours: pathlib.Path):
    """For a partial run: leaves Kanka Link connected, as phase 1 does."""
    window = Window(ours)
    try:
        deep_link_once(window, lambda url: [str(ours.with_name("kanka-link")), url])
    finally:
        window.close()


if __name__ == "__main__":
    main()
