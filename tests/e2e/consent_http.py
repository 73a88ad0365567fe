"""HTTP for the scripts that play the user in a browser (tests/e2e/browser.py and
tests/bench/browser.py): redirects are not followed, so Kanka's redirect to the app can be read."""

import urllib.error
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(opener, request):
    """The answer, error statuses included (they are answers too)."""
    try:
        return opener.open(request, timeout=10)
    except urllib.error.HTTPError as answer:
        return answer
