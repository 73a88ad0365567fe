#!/usr/bin/env python3
"""The desktop's default browser during the end-to-end tests: it plays the user on Kanka's
consent page and hands Kanka's redirect back to the desktop with `gio open`, so the deep link
travels through the registered `kanka-link:` handler and single-instance forwarding, as it does
from a real browser.

What it does with a page is read from $KANKA_LINK_E2E_DIR/consent: `approve`, `deny` or `ignore`
(leave the page open, like a user who walks away). It logs each step, without codes or state,
to $KANKA_LINK_E2E_DIR/browser.log."""

import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request

from consent_http import NoRedirect, fetch

E2E = os.environ["KANKA_LINK_E2E_DIR"]


def log(line: str):
    with open(os.path.join(E2E, "browser.log"), "a") as file:
        file.write(line + "\n")


def main(url: str):
    with open(os.path.join(E2E, "consent")) as file:
        decision = file.read().strip()
    page = urllib.parse.urlsplit(url)
    log(f"open {page.scheme}://{page.netloc}{page.path} -> {decision}")
    if decision == "ignore":
        return
    opener = urllib.request.build_opener(NoRedirect)
    answer = fetch(opener, url)
    if answer.status == 200:
        html = answer.read().decode()
        token = re.search(r'name="auth_token" value="([^"]+)"', html).group(1)
        form = {"auth_token": token}
        if decision == "deny":
            form["_method"] = "DELETE"
        action = urllib.parse.urljoin(url, "/oauth/authorize")
        answer = fetch(opener, urllib.request.Request(action, data=urllib.parse.urlencode(form).encode()))
    if answer.status != 302:
        log(f"no redirect: HTTP {answer.status}")
        return
    location = answer.headers["Location"]
    log(f"redirect to {location.split('?')[0]} ({'error' if 'error=' in location else 'code'})")
    # As a browser does with a custom scheme: the desktop decides who opens it.
    result = subprocess.run(["gio", "open", location], capture_output=True, text=True)
    log(f"gio open: exit {result.returncode} {result.stderr.strip()}")


if __name__ == "__main__":
    main(sys.argv[1])
