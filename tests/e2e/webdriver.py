"""A small W3C WebDriver client over urllib: just what the end-to-end tests use."""

import http.client
import json
import time
import urllib.error
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
TAB = "\ue004"


class WebDriverError(Exception):
    pass


class Session:
    def __init__(self, server: str, capabilities: dict):
        self.server = server.rstrip("/")
        answer = self._call("POST", "/session", {"capabilities": {"alwaysMatch": capabilities}})
        self.id = answer["sessionId"]

    def _call(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        # tauri-driver proxies to WebKitWebDriver over pooled connections and does not retry when
        # WebKitWebDriver has just closed one: the request never got through, so we send it again.
        for attempt in range(4):
            request = urllib.request.Request(self.server + path, data=data, method=method,
                                             headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    return json.loads(response.read() or b"{}").get("value")
            except urllib.error.HTTPError as error:
                detail = error.read().decode(errors="replace")
                raise WebDriverError(f"{method} {path}: HTTP {error.code}: {detail}") from None
            except (ConnectionResetError, http.client.RemoteDisconnected):
                if attempt == 3:
                    raise
                time.sleep(0.2)

    def _session(self, method: str, path: str, body=None):
        return self._call(method, f"/session/{self.id}{path}", body)

    def quit(self):
        self._session("DELETE", "")

    def find(self, css: str):
        """The element for `css`, or None."""
        try:
            found = self._session("POST", "/element", {"using": "css selector", "value": css})
        except WebDriverError as error:
            if "no such element" in str(error):
                return None
            raise
        return Element(self, found[ELEMENT])

    def wait_for(self, what: str, check, timeout: float = 20.0):
        """Polls `check()` until it returns something truthy; its last value is returned."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = check()
            except WebDriverError as error:
                last = error
            if last and not isinstance(last, WebDriverError):
                return last
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; last: {last!r}")

    def text(self, css: str) -> str:
        element = self.find(css)
        return element.text() if element else ""

    def window_rect(self) -> dict:
        return self._session("GET", "/window/rect")

    def painted(self):
        """Returns once the page has drawn two more frames, so a picture shows its last change."""
        self.script_async("const done = arguments[arguments.length - 1];"
                          "requestAnimationFrame(() => requestAnimationFrame(() => done(true)));")

    def press(self, key: str):
        """Presses and releases one key (a WebDriver key code such as TAB) as the keyboard does."""
        self._session("POST", "/actions", {"actions": [{"type": "key", "id": "keyboard", "actions": [
            {"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]}]})
        self._session("DELETE", "/actions")

    def script(self, source: str, *args):
        return self._session("POST", "/execute/sync", {"script": source, "args": list(args)})

    def script_async(self, source: str, *args):
        """Runs `source` in the page; it calls `arguments[arguments.length - 1]` with its result."""
        return self._session("POST", "/execute/async", {"script": source, "args": list(args)})


class Element:
    def __init__(self, session: Session, element_id: str):
        self.session = session
        self.id = element_id

    def _call(self, method: str, path: str, body=None):
        return self.session._session(method, f"/element/{self.id}{path}", body)

    def click(self):
        self._call("POST", "/click", {})

    def text(self) -> str:
        return self._call("GET", "/text")

    def clear(self):
        self._call("POST", "/clear", {})

    def type(self, text: str):
        self._call("POST", "/value", {"text": text})

    def property(self, name: str):
        return self._call("GET", f"/property/{name}")

    def attribute(self, name: str):
        return self._call("GET", f"/attribute/{name}")

    def displayed(self) -> bool:
        return self._call("GET", "/displayed")

    def enabled(self) -> bool:
        return self._call("GET", "/enabled")
