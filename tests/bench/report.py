#!/usr/bin/env python3
"""Writes BENCHMARKS.md from the benchmark's results (sizes.json, runtime.json, run.json).

    python3 tests/bench/report.py RESULTS_DIR BENCHMARKS.md

Only the part between `<!-- bench: … -->` and `<!-- end of bench -->` is rewritten; what the
team writes around it (the analysis) stays."""

import json
import pathlib
import re
import statistics
import sys

START = "<!-- bench: written by tests/bench/run.sh; edit outside this block -->"
END = "<!-- end of bench -->"

GOALS = {
    "binary": 1.5, "deb": 1.5, "launch": 1.10, "memory": 1.10, "wakeups": 1.2, "deep_link_ms": 100.0,
    "connect_ms": 100.0, "connect_requests": 2, "token_ms": 15.0, "exec_ms": 20.0,
}


def mib(n):
    return f"{n / 1048576:.2f} MiB"


def ms(s, digits=0):
    if not s or not s.get("n"):
        return "–"
    f = f"{{:.{digits}f}}"
    return f"{f.format(s['median'])} ms ({f.format(s['min'])}–{f.format(s['max'])})"


def num(s, unit="", digits=0):
    if not s or not s.get("n"):
        return "–"
    f = f"{{:.{digits}f}}"
    return f"{f.format(s['median'])}{unit} ({f.format(s['min'])}–{f.format(s['max'])})"


def ratio(a, b):
    return a / b if b else float("inf")


def verdict(value, goal):
    return "yes" if value <= goal else "**no**"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def summary_table(sizes, rt):
    rows = []

    def ref(value):
        return value if value is not None else "–"
    if sizes:
        o, b, p = sizes["ours"], sizes["bare"], sizes.get("bare_plugins")
        r = ratio(o["binary"], b["binary"])
        rows.append(["Release binary (stripped)", mib(o["binary"]), mib(b["binary"]), f"{r:.2f}",
                     f"≤ {GOALS['binary']}", verdict(r, GOALS["binary"]), ref(p and mib(p["binary"]))])
        if o.get("handover_binary"):
            rows.append(["… and `kanka-link` (the command line and `kanka-link:` handler, no GTK; same `.deb`)",
                         mib(o["handover_binary"]), "–", "–", "–", "–", "–"])
        if o["deb"] and b["deb"]:
            r = ratio(o["deb"], b["deb"])
            rows.append([".deb", mib(o["deb"]), mib(b["deb"]), f"{r:.2f}", f"≤ {GOALS['deb']}",
                         verdict(r, GOALS["deb"]), ref(p and p.get("deb") and mib(p["deb"]))])
    launch = rt.get("launch")
    if launch:
        o, b, p = launch["ours"], launch["bare"], launch.get("bare_plugins")
        r = ratio(o["launch_ms"]["median"], b["launch_ms"]["median"])
        rows.append(["Launch to first paint (the page's first command), Xvfb", ms(o["launch_ms"]), ms(b["launch_ms"]),
                     f"{r:.2f}", f"≤ {GOALS['launch']}", verdict(r, GOALS["launch"]), ref(p and ms(p["launch_ms"]))])
        r = ratio(o["pss_mib"]["median"], b["pss_mib"]["median"])
        rows.append(["Memory 10 s after launch: PSS of the app and its WebKit processes", num(o["pss_mib"], " MiB", 1),
                     num(b["pss_mib"], " MiB", 1), f"{r:.2f}", f"≤ {GOALS['memory']}", verdict(r, GOALS["memory"]),
                     ref(p and num(p["pss_mib"], " MiB", 1))])
    idle = rt.get("idle")
    if idle:
        o, b, p = idle["ours"], idle["bare"], idle.get("bare_plugins")
        secs = int(idle["window_seconds"])
        r = ratio(o["wakeups"]["median"], b["wakeups"]["median"])
        rows.append([f"Idle wake-ups of the app process per {secs} s (context switches, all threads)",
                     num(o["wakeups"]), num(b["wakeups"]), f"{r:.2f}", f"≤ {GOALS['wakeups']}",
                     verdict(r, GOALS["wakeups"]), ref(p and num(p["wakeups"]))])
        r = ratio(o["cpu_ms"]["median"], b["cpu_ms"]["median"])
        rows.append([f"Idle CPU time of the app process per {secs} s", num(o["cpu_ms"], " ms", 1),
                     num(b["cpu_ms"], " ms", 1), f"{r:.2f}", "–", "–", ref(p and num(p["cpu_ms"], " ms", 1))])
        own, names = own_thread_wakeups(idle)
        med = statistics.median(own)
        rows.append([f"Idle: wake-ups per {secs} s of Kanka Link's own threads (those the bare app has none of: "
                     + ", ".join(f"`{n}`" for n in names) + ")",
                     f"{med:.0f} ({min(own)}–{max(own)})", "–", "–", "none but an hourly clock check",
                     verdict(med, 1), "–"])
    dl = rt.get("deep_link")
    if dl:
        t = dl["total_ms"]
        rows.append(["Deep link to connected (the desktop's handler, `kanka-link URL` → \"Connected as …\" "
                     "in the window)", ms(t, 1), "–", "–",
                     f"≤ {GOALS['deep_link_ms']:.0f} ms", verdict(t["median"], GOALS["deep_link_ms"]), "–"])
        alt = rt.get("deep_link_second_launch", {}).get("total_ms")
        if alt:
            rows.append(["… the same, handed over by a second launch of the window's binary (`kanka-link-window URL`)",
                         ms(alt, 1), "–", "–", "(for comparison)", "–", "–"])
    cn, extra = rt.get("connect"), rt.get("connect_extra_requests")
    if cn and extra:
        t = cn["click_to_page_ready_ms"]
        met = t["median"] <= GOALS["connect_ms"] and t["max"] <= GOALS["connect_ms"] \
            and extra["max"] <= GOALS["connect_requests"]
        rows.append(["Connect clicked → Kanka's page ready for the browser (setup check included; requests "
                     f"it adds: {extra['min']}–{extra['max']})", ms(t, 1), "–", "–",
                     f"≤ {GOALS['connect_ms']:.0f} ms (max), ≤ {GOALS['connect_requests']} requests",
                     "yes" if met else "**no**", "–"])
    cl = rt.get("command_line")
    if cl:
        for label, key, goal in [("`kanka-link token` (connected, token not due)", "token_ms", "token_ms"),
                                 ("`kanka-link status --json`", "status_json_ms", "token_ms"),
                                 ("`kanka-link exec -- true`", "exec_true_ms", "exec_ms")]:
            rows.append([label, ms(cl[key], 1), "–", "–", f"≤ {GOALS[goal]:.0f} ms",
                         verdict(cl[key]["median"], GOALS[goal]),
                         "`gh auth token`: " + ms(cl.get("gh_auth_token_ms"), 1) if key == "token_ms" else "–"])
    rf = rt.get("refresh")
    if rf:
        rows.append(["One refresh (token request + keychain and status file)", ms(rf["refresh_ms"], 1), "–", "–",
                     "–", "–", "–"])
    return table(["measurement", "Kanka Link", "bare Tauri 2", "ratio", "goal", "met?",
                  "bare + Kanka Link's 3 plugins (reference)"], rows)


def deep_link_section(rt):
    dl = rt.get("deep_link")
    if not dl:
        return ""
    alt = rt.get("deep_link_second_launch", {})
    stages = [
        ("hand-over: spawn → the running window logs `a deep link arrived`", "forwarding_ms"),
        ("callback checks: parse, `state` against the pending sign-in (keychain read and delete), "
         "status file, client secret, lock", "callback_checks_ms"),
        ("token request (code exchange, HTTP on loopback)", "token_request_ms"),
        ("keychain writes (refresh token, access token) and status file", "keychain_and_status_file_ms"),
        ("profile: access token read back from the keychain, `GET /profile`, status file", "profile_request_ms"),
        ("UI update: sign-in logged → the page's DOM says \"Connected as …\" (event, render)", "ui_update_ms"),
        ("**total: spawn → \"Connected as …\" in the window**", "total_ms"),
        ("next animation frame after that DOM change", "next_frame_ms"),
        ("tokens in the keychain (end of the keychain writes), from spawn", "tokens_in_keychain_ms"),
        ("the handing-over process itself: spawn → exit", "handover_exit_ms"),
    ]
    rows = [[label, ms(dl.get(key), 1), ms(alt.get(key), 1)] for label, key in stages if key in dl]
    fl = rt.get("floors", {})
    kr = rt.get("keychain_reference", {})
    rf = rt.get("refresh", {})
    rrows = [[label, ms(rf[key], 1)] for label, key in [
        ("token request (`grant_type=refresh_token`)", "token_request_ms"),
        ("keychain writes and status file", "keychain_and_status_file_ms"),
        ("**one refresh**", "refresh_ms"),
        ("\"Refresh now\" clicked (WebDriver) → new `#last-refresh` in the page", "click_to_ui_ms"),
    ] if key in rf]
    n = len(rt.get("deep_link_runs", {}).get("handover", []))
    return f"""## Deep link to connected, step by step

{n} sign-ins of each kind (after one warm-up round, the two kinds alternating), each: *Disconnect*,
*Connect to Kanka*, the benchmark's browser approves and keeps Kanka's redirect URL; then the
benchmark hands the URL to the running window and times it. **Handler** is what the desktop runs
for the URL (the `.deb`'s desktop entry and the one the app registers):
`kanka-link 'kanka-link://oauth/callback?code=…&state=…'`, the command line, which links no GTK
or WebKit and makes the single-instance plugin's D-Bus call
(`org.SingleInstance.DBus.ExecuteCallback`) to the running window. **Second launch** starts the
window's own binary (`kanka-link-window`) with the URL instead, whose single-instance plugin makes
the same call, but only once GTK and WebKit are loaded and Tauri has started. The running window's log (RFC 3339,
µs) gives the steps inside the app; the page itself records when `#account` changed (a
MutationObserver installed before the hand-over, `Date.now()`, 1 ms resolution; no polling). After
each run `secret-tool` finds both tokens in the keychain. Sandbox Kanka (debug build) on loopback.
Median (min–max):

{table(["step", "handler", "second launch"], rows)}

For scale, each {fl.get('app_help_ms', {}).get('n', '?')} times: `kanka-link --help` (the command line's
process start, no GTK) {ms(fl.get('app_help_ms'), 1)}; `kanka-link-window --help` (the dynamic loader
maps and relocates GTK, WebKit and their ~160 libraries; it exits before Tauri starts)
{ms(fl.get('window_loader_ms'), 1)}; `dbus-send` ping of the bus {ms(fl.get('dbus_send_ping_ms'), 1)};
`true` {ms(fl.get('true_ms'), 1)}. One keychain operation by libsecret's own tool, process start
included: `secret-tool store` {ms(kr.get('secret_tool_store_ms'), 1)}, `lookup`
{ms(kr.get('secret_tool_lookup_ms'), 1)}, `clear` {ms(kr.get('secret_tool_clear_ms'), 1)}.

### The command line as a token source

With the window connected (token not due, so no refresh), each command {cl_n(rt)} times, the
commands alternating round by round, after one warm-up round. For comparison, GitHub's
`gh auth token` (Debian's `gh`, with a token in `GH_TOKEN`, so it reads no keychain or file).

{table(["command", "time"], command_line_rows(rt))}

### Connect: the setup check before the browser opens

Each sign-in above began with *Connect to Kanka*. Before any browser opens, the app checks the
settings with Kanka (`check.rs`: a code exchange with an impossible code, which league 9 answers
401 for a wrong client and 400 otherwise, and `GET /oauth/authorize` without a session, which
answers 401 for an unknown client or redirect), then starts the sign-in (PKCE, `state`, the
pending sign-in in the keychain, the status file, the loopback listener when there is one). Times
from the app's log line `the sign-in page is ready (setup check X ms, in all Y ms)`; the click is
the benchmark's WebDriver click; the browser start is when the benchmark's browser script began
(after `xdg-open`). Requests counted by the sandbox (token and authorize requests, less the
browser's own authorize request), each sign-in: {cn_requests(rt)}.

{table(["step", "time"], connect_rows(rt))}

### Refresh

{len(rt.get('refresh_runs', []))} refreshes with *Refresh now* in the window (after one warm-up); the times
come from the app's log line `refreshed (token request X ms, keychain and status file Y ms)`:

{table(["step", "time"], rrows)}
"""


def cl_n(rt):
    return rt.get("command_line", {}).get("token_ms", {}).get("n", "?")


def command_line_rows(rt):
    cl = rt.get("command_line", {})
    return [[label, ms(cl[key], 1)] for label, key in [
        ("`kanka-link token` (keychain read, status file, lock, print)", "token_ms"),
        ("`kanka-link token --json`", "token_json_ms"),
        ("`kanka-link status --json`", "status_json_ms"),
        ("`kanka-link exec -- true` (the token, then `true` in its place)", "exec_true_ms"),
        ("`kanka-link --help` (process start alone)", "help_ms"),
        ("`gh auth token` (Debian's gh, token in `GH_TOKEN`)", "gh_auth_token_ms"),
    ] if key in cl]


def cn_requests(rt):
    extra = rt.get("connect_extra_requests")
    return f"{extra['min']}–{extra['max']} extra" if extra else "–"


def connect_rows(rt):
    cn = rt.get("connect", {})
    return [[label, ms(cn[key], 1)] for label, key in [
        ("setup check (two requests to Kanka)", "setup_check_ms"),
        ("the whole Connect in the app: check, then the sign-in's start", "in_app_ms"),
        ("**Connect clicked → the app hands Kanka's page to the browser** (logged)", "click_to_page_ready_ms"),
        ("Connect clicked → the browser started (through `xdg-open`)", "click_to_browser_ms"),
    ] if key in cn]


def thread_name(name, process):
    if name in (process, process[:15]):
        return "(unnamed: process name)"
    if name.startswith(process[:7] + ":"):
        return "(process name)" + name[7:]
    return name


def own_thread_wakeups(idle):
    """Per window, the wake-ups of Kanka Link's threads whose names the bare app has none of."""
    bare_names = {thread_name(t["name"], "bare-tauri") for w in idle["bare"]["windows"]
                  for t in w["processes"]["app"]["threads"]}
    per_window, names = [], set()
    for w in idle["ours"]["windows"]:
        own = [t for t in w["processes"]["app"]["threads"] if thread_name(t["name"], "kanka-link-window") not in bare_names]
        names |= {t["name"] for t in own}
        per_window.append(sum(t["wakeups"] for t in own))
    return per_window, sorted(names)


def idle_section(rt):
    idle = rt.get("idle")
    if not idle:
        return ""
    out = [f"""## Idle: what runs between refreshes

Both apps side by side, {len(idle['ours']['windows'])} windows of {idle['window_seconds']:.0f} s each, starting
{idle.get('settle_seconds', 15):.0f} s after the window was up; Kanka Link connected with a token due in hours (its status then:
`{idle['ours_status'].get('state')}`, next refresh at `{idle['ours_status'].get('next_refresh_at')}`).
Wake-ups are context switches (voluntary + involuntary) summed over `/proc/PID/task/*/status`;
CPU time from `/proc/PID/task/*/schedstat`. Per thread, by thread name (`comm`), median over the
windows (min–max); threads of the same name are added up:
"""]
    for app, process in (("ours", "kanka-link-window"), ("bare", "bare-tauri"), ("bare_plugins", "bare-tauri-plugins")):
        if app not in idle:
            continue
        windows = idle[app]["windows"]
        names = {}
        counts = {}
        for w in windows:
            per = {}
            for t in w["processes"]["app"]["threads"]:
                key = thread_name(t["name"], process)
                per.setdefault(key, [0, 0.0, 0])
                per[key][0] += t["wakeups"]
                per[key][1] += t["cpu_ms"]
                per[key][2] += 1
            for key, v in per.items():
                names.setdefault(key, []).append(v)
                counts[key] = max(counts.get(key, 0), v[2])
        rows = []
        for key, vals in sorted(names.items(), key=lambda kv: -statistics.median(v[0] for v in kv[1])):
            wk = [v[0] for v in vals] + [0] * (len(windows) - len(vals))
            cpu = [v[1] for v in vals] + [0.0] * (len(windows) - len(vals))
            rows.append([f"`{key}`", counts[key], f"{statistics.median(wk):.0f} ({min(wk)}–{max(wk)})",
                         f"{statistics.median(cpu):.2f}"])
        total = idle[app]["wakeups"]
        label = {"ours": "Kanka Link", "bare": "bare Tauri 2", "bare_plugins": "bare Tauri 2 with Kanka Link's plugins"}[app]
        out.append(f"### {label}: app process, {num(total)} wake-ups, {num(idle[app]['cpu_ms'], ' ms', 1)} CPU "
                   f"per window\n")
        out.append(table(["thread", "threads", "wake-ups", "CPU ms"], rows))
        web = []
        for key in sorted({k for w in windows for k in w["processes"] if k != "app"}):
            wk = [w["processes"].get(key, {}).get("wakeups", 0) for w in windows]
            cpu = [w["processes"].get(key, {}).get("cpu_ms", 0.0) for w in windows]
            web.append([f"`{key}`", f"{statistics.median(wk):.0f} ({min(wk)}–{max(wk)})",
                        f"{statistics.median(cpu):.1f}"])
        out.append(f"\nIts WebKit processes (for reference, not in the goal):\n\n"
                   + table(["process", "wake-ups", "CPU ms"], web) + "\n")
    return "\n".join(out)


def memory_section(rt):
    launch = rt.get("launch")
    if not launch:
        return ""
    cols = [c for c in ("ours", "ours_not_connected", "bare", "bare_plugins") if c in launch]
    head = {"ours": "Kanka Link (connected)", "ours_not_connected": "Kanka Link (not connected)",
            "bare": "bare Tauri 2", "bare_plugins": "bare + plugins"}
    rows = [["**launch to first paint**", *[ms(launch[c]["launch_ms"]) for c in cols]]]
    parts = sorted({p for c in cols for p in launch[c]["pss_parts_mib"]})
    for p in parts:
        rows.append([f"PSS: {'the app process' if p == 'app' else p}",
                     *[num(launch[c]["pss_parts_mib"].get(p), " MiB", 1) for c in cols]])
    rows.append(["**PSS, total**", *[num(launch[c]["pss_mib"], " MiB", 1) for c in cols]])
    detail = sorted({k for c in cols for k in launch[c].get("app_detail_mib", {})})
    drows = [[k, *[num(launch[c]["app_detail_mib"].get(k), " MiB", 2) for c in cols]] for k in detail]
    return f"""## Launch and memory

{launch['ours']['launch_ms']['n']} launches of each (after one warm-up round), one at a time, the order
rotating every round. Launch: from `spawn` until the line that the page's first command makes the
app print (`the window is up`) is read from the app's stderr pipe, by the same code for all.
"Connected" is how Kanka Link lives (tokens in the keychain, checked once the window is up); "not
connected" is the same binary for another client id, with no connection, so no keychain read at
all. Memory: PSS from `/proc/PID/smaps_rollup` of the app and all its descendants, 10 s after
spawn. Median (min–max):

{table(["", *[head[c] for c in cols]], rows)}

The app process's PSS by kind of mapping (`/proc/PID/smaps`):

{table(["", *[head[c] for c in cols]], drows)}
"""


def normalize(path, home):
    path = path.replace(home, "~") if home else path
    path = re.sub(r"/proc/\d+", "/proc/PID", path)
    path = re.sub(r"\b\d{3,}\b", "N", path)
    return path


def timeline(st, app, home):
    """Notable moments of one launch, in ms since exec."""
    rows = []
    seen = set()
    for e in st[app]["strace"]["events"]:
        if e["call"] == "execve":
            rows.append((e["ms"], e["phase"], e["process"], f"starts `{normalize(e['what'], home)[:90]}`"))
        elif e["call"] == "connect":
            key = (e["process"], normalize(e["what"], home))
            if key in seen:
                continue
            seen.add(key)
            rows.append((e["ms"], e["phase"], e["process"],
                         f"connects to `{normalize(e['what'], home)}`" + (f" ({e['error']})" if e.get("error") else "")))
    for c in st[app]["dbus"]["calls"]:
        if c["call"].endswith(".Hello"):
            what = f"new D-Bus connection `{c['sender']}`"
        elif c["call"].startswith("org.freedesktop.DBus.") and "RequestName" not in c["call"]:
            continue
        else:
            what = f"D-Bus `{c['call']}` to `{c['to']}` (`{c['sender']}`)"
        rows.append((c["ms"], c["phase"], c["process"], what))
    rows.append((st[app]["up_ms"], "", "app", "**the window is up** (page's first command reported)"))
    rows.sort(key=lambda r: r[0])
    return table(["ms", "process", "what"], [[f"{r[0]:.0f}", f"`{r[2]}`", r[3]] for r in rows])


def startup_section(rt):
    st = rt.get("startup")
    if not st or "error" in st:
        return f"## Start-up work\n\nNot measured: {st.get('error') if st else 'skipped'}.\n"
    home = rt.get("home", "")
    out = ["""## Start-up work

One launch of each under `strace -f -e trace=execve,connect,openat,clone` and `dbus-monitor`
(D-Bus method calls, attributed to the app by the sender's process id), from exec until the window
is up ("before") and in the 3 s after ("after"). strace slows both apps, so the times below are
longer than in the launch table; the order and the gaps are what they tell. Kanka Link starts
connected, its token due in hours.
"""]
    rows = []
    app_names = ("app",)
    for label, fn in [
        ("processes started (execve)", lambda e: e["call"] == "execve"),
        ("files opened by the app process (openat, failed look-ups included)",
         lambda e: e["call"] == "openat" and e["process"] in app_names),
        ("files opened by its WebKit processes", lambda e: e["call"] == "openat" and e["process"].startswith("WebKit")),
        ("files opened by the other programs it runs", lambda e: e["call"] == "openat"
         and e["process"] not in app_names and not e["process"].startswith("WebKit")),
        ("socket connections of the app process", lambda e: e["call"] == "connect" and e["process"] in app_names),
    ]:
        cells = []
        for app in ("ours", "bare"):
            ev = st[app]["strace"]["events"]
            cells.append(f"{sum(1 for e in ev if fn(e) and e['phase'] == 'before')} / "
                         f"{sum(1 for e in ev if fn(e) and e['phase'] == 'after')}")
        rows.append([label, *cells])
    calls = {app: st[app]["dbus"]["calls"] for app in ("ours", "bare")}
    rows.append(["D-Bus connections opened by the app process", *[
        f"{sum(c['phase'] == 'before' and c['call'].endswith('.Hello') for c in calls[a])} / "
        f"{sum(c['phase'] == 'after' and c['call'].endswith('.Hello') for c in calls[a])}" for a in ("ours", "bare")]])
    rows.append(["D-Bus method calls sent by the app process", *[
        f"{sum(c['phase'] == 'before' for c in calls[a])} / {sum(c['phase'] == 'after' for c in calls[a])}"
        for a in ("ours", "bare")]])
    secrets = [c for c in calls["ours"] if "Secret" in c["call"]]
    rows.append(["keychain calls (Secret Service)",
                 f"{sum(c['phase'] == 'before' for c in secrets)} / {sum(c['phase'] == 'after' for c in secrets)}",
                 "–"])
    net = st["ours"]["network"]
    rows.append(["requests to Kanka (sandbox counters)", f"{net['token_requests']} token, {net['api_requests']} API",
                 "–"])
    out.append(table(["", "Kanka Link: before / after", "bare: before / after"], rows))
    out.append(f"\nWindow up under strace: Kanka Link {st['ours']['up_ms']:.0f} ms, bare {st['bare']['up_ms']:.0f} ms "
               "after exec.\n")
    for app, label in (("ours", "Kanka Link"), ("bare", "bare Tauri 2")):
        out.append(f"### {label}: time line (ms since exec)\n")
        out.append(timeline(st, app, home))
        out.append("")

    def files(app):
        return {(e["phase"], normalize(e["what"], home)) for e in st[app]["strace"]["events"]
                if e["call"] == "openat" and e["process"] in app_names}
    bare_files = {f for _, f in files("bare")}
    extra = sorted({(p, f) for p, f in files("ours") if f.replace("kanka-link", "bare-tauri") not in bare_files
                    and f.replace("kanka-link", "bare-tauri").replace("Kanka Link", "Bare Tauri") not in bare_files})
    out.append("### Files Kanka Link's own process opens that the bare app's does not\n")
    out.append(table(["when", "path"], [[p, f"`{f}`"] for p, f in extra]) if extra else "none")
    return "\n".join(out) + "\n"


def variants_section(rt):
    v = rt.get("variants")
    if not v:
        return ""
    control = v["launch_ms"]["control"]["median"]
    pss = v["pss_mib"]["control"]["median"]
    rows = [[f"`{n}`", v["what"][n], ms(v["launch_ms"][n]), f"{v['launch_ms'][n]['median'] - control:+.0f} ms",
             num(v["pss_mib"][n], " MiB", 1), f"{v['pss_mib'][n]['median'] - pss:+.1f} MiB"]
            for n in v["what"]]
    idle_rows = []
    for n, d in v.get("idle", {}).items():
        app = d["processes"]["app"]
        busy = ", ".join(f"`{t['name']}` {t['wakeups']}" for t in app["threads"] if t["wakeups"])
        idle_rows.append([f"`{n}`", app["wakeups"], f"{app['cpu_ms']:.1f}", busy])
    return f"""## Where the differences come from: variants

Kanka Link built with one part taken out or changed (`tests/bench/variants.py`: a copy of the
workspace with one edit, release profile with symbols kept; the app's own files untouched),
launched in turn, the order rotating every round ({v['rounds']} rounds after a warm-up), connected
as above. Launch to first paint and PSS 10 s after launch, median (min–max), and the difference
from the unchanged build (`control`) in medians:

{table(["variant", "what", "launch", "vs control", "PSS", "vs control"], rows)}

Idle, one window of {rt.get('idle', {}).get('window_seconds', 60):.0f} s each, alone:

{table(["variant", "wake-ups", "CPU ms", "threads that woke (wake-ups)"], idle_rows)}
"""


def size_section(sizes):
    if not sizes:
        return ""
    o, b = sizes["ours"], sizes["bare"]
    out = [f"""## Size

`tauri build` (release profile: `lto`, `codegen-units = 1`, `opt-level = "s"`, `panic = "abort"`,
`strip`) for both. Binary {mib(o['binary'])} vs {mib(b['binary'])}; .deb {mib(o['deb'] or 0)} vs
{mib(b['deb'] or 0)} (`{o['deb_name']}`, `{b['deb_name']}`).

What each crate adds: `cargo bloat --crates` on the same build with symbols kept (profile
`{sizes['profile']}` = release with `strip = false`; stripped again it is
{mib(o['restripped'])} for Kanka Link and {mib(b['restripped'])} for the bare app, so the
figures carry over). The sizes are each crate's share of `.text` (code); with LTO, code inlined
across crates is counted where it landed.
"""]
    if o.get("sections") and b.get("sections"):
        names = sorted(set(o["sections"]) | set(b["sections"]), key=lambda n: -o["sections"].get(n, 0))[:8]
        out.append("### The shipped binaries by ELF section (`size -A`)\n")
        out.append(table(["section", "Kanka Link", "bare", "difference"],
                         [[f"`{n}`", f"{o['sections'].get(n, 0) / 1024:.0f} KiB", f"{b['sections'].get(n, 0) / 1024:.0f} KiB",
                           f"{(o['sections'].get(n, 0) - b['sections'].get(n, 0)) / 1024:+.0f} KiB"] for n in names]))
        out.append("")
    bo, bb = o["bloat"]["all_crates"], b["bloat"]["all_crates"]
    rows = [[f"`{c['name']}`", f"{c['size'] / 1024:.0f} KiB", f"{bb.get(c['name'], 0) / 1024:.0f} KiB",
             f"{(c['size'] - bb.get(c['name'], 0)) / 1024:+.0f} KiB"] for c in o["bloat"]["crates"]]
    out.append(f"### Top {len(rows)} crates in Kanka Link (.text {mib(o['bloat']['text_size'])}; bare "
               f"{mib(b['bloat']['text_size'])})\n")
    out.append(table(["crate", "Kanka Link", "bare", "difference"], rows))
    only = sorted(((n, s) for n, s in bo.items() if n not in bb), key=lambda x: -x[1])[:25]
    out.append(f"\n### Crates only in Kanka Link, largest first ({sum(s for n, s in bo.items() if n not in bb) / 1024:.0f} "
               f"KiB of .text in all)\n")
    out.append(table(["crate", ".text"], [[f"`{n}`", f"{s / 1024:.0f} KiB"] for n, s in only]))
    rows = [["shipped: reqwest `native-tls` (the system's OpenSSL; the keychain's session uses it too)",
             mib(o["restripped"]), "–", ", ".join(o.get("tls_crates", [])), "–"]]
    for name, v in sizes.get("variants", {}).items():
        extra_libs = sorted(set(v["libs"]) - set(o["libs"]))
        rows.append([v["what"], mib(v["restripped"]), f"{(v['restripped'] - o['restripped']) / 1024:+.0f} KiB",
                     ", ".join(v["tls_crates"]), ", ".join(extra_libs) or "none"])
    out.append("""
### TLS back-end

Variants built in a copy of the workspace (`target/bench/variants/`) with one dependency line
changed, same profile, stripped; the app's own files are not touched. OpenSSL stays linked in
each: the keychain's Secret Service session (`platform_impl/secret_service.rs`) uses it.
""")
    out.append(table(["variant", "binary", "vs shipped", "TLS crates", "shared libraries beyond the shipped build's"], rows))
    return "\n".join(out) + "\n"


def main():
    results, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    load = lambda n: json.loads((results / n).read_text()) if (results / n).exists() else None  # noqa: E731
    sizes, rt, meta = load("sizes.json"), load("runtime.json") or {}, load("run.json") or {}
    body = f"""{START}
# Benchmarks: Kanka Link against a bare Tauri 2 app

`npm run bench` (`bash tests/bench/run.sh`) builds Kanka Link and a bare Tauri 2 app (generated in
`target/bench/bare/` at benchmark time: the same Tauri, release profile, window size and bundle,
a page that calls one command) the same way, then measures both in the same run, alternating them
so that noise hits both, in a private session (own D-Bus, unlocked gnome-keyring, throwaway HOME)
under Xvfb, against the sandbox Kanka on loopback.

- Date: {meta.get('date', '?')}; commit `{meta.get('commit', '?')}`{meta.get('dirty', '')}
- Machine: {meta.get('machine', '?')}
- Command: `{meta.get('command', 'npm run bench')}`; the run took {meta.get('duration', '?')}
  (builds {meta.get('build_duration', '?')}, sizes and variants {meta.get('sizes_duration', '?')},
  measurements {meta.get('measure_duration', '?')})
- Medians of {rt.get('rounds', '?')} runs, with (min–max)

{summary_table(sizes, rt)}

{deep_link_section(rt)}
{memory_section(rt)}
{idle_section(rt)}
{startup_section(rt)}
{variants_section(rt)}
{size_section(sizes)}
{END}"""
    if out.exists() and START in out.read_text():
        text = out.read_text()
        text = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: body, text, flags=re.S)
    else:
        text = body + "\n"
    out.write_text(text)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
