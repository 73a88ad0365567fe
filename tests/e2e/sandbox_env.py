"""The environment that points Kanka Link at the sandbox Kanka, for the scripts that start it
(tests/e2e/test_window.py, tests/bench/measure.py), with the desktop's browser set to theirs."""

import os


def app_env(kanka: str, client_id: str, client_secret: str, browser: str, **extra: str) -> dict:
    env = dict(os.environ)
    env.update({
        "KANKA_LINK_URL": kanka,
        "KANKA_LINK_API_URL": kanka + "/api/1.0",
        "KANKA_LINK_CLIENT_ID": client_id,
        "KANKA_LINK_CLIENT_SECRET": client_secret,
        "KANKA_LINK_REDIRECT_URI": "kanka-link://oauth/callback",
        "BROWSER": browser,
        **extra,
    })
    return env
