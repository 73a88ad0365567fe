#!/usr/bin/env python3
"""The desktop's default browser during the benchmark: it approves Kanka's consent page (or
takes the redirect at once when the sandbox skips the page for a user who holds a valid token)
and writes Kanka's redirect, the `kanka-link://oauth/callback?code=…&state=…` URL, to
$KANKA_LINK_BENCH_DIR/redirect.url instead of opening it. The benchmark then delivers it itself
with a timed second launch of the app."""

import os
import pathlib
import re
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "e2e"))
from consent_http import NoRedirect, fetch  # noqa: E402

OUT = os.path.join(os.environ["KANKA_LINK_BENCH_DIR"], "redirect.url")


def main(url: str):
    # When the app's hand-over to the browser arrived (Connect's figure in BENCHMARKS.md).
    started = time.time()
    with open(OUT.replace("redirect.url", "browser.started"), "w") as file:
        file.write(repr(started))
    opener = urllib.request.build_opener(NoRedirect)
    answer = fetch(opener, url)
    if answer.status == 200:
        token = re.search(r'name="auth_token" value="([^"]+)"', answer.read().decode()).group(1)
        action = urllib.parse.urljoin(url, "/oauth/authorize")
        form = urllib.parse.urlencode({"auth_token": token}).encode()
        answer = fetch(opener, urllib.request.Request(action, data=form))
    location = answer.headers.get("Location", "") if answer.status == 302 else f"error: HTTP {answer.status}"
    with open(OUT + ".tmp", "w") as file:
        file.write(location)
    os.replace(OUT + ".tmp", OUT)


if __name__ == "__main__":
    main(sys.argv[1])
