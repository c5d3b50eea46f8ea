"""Debian's headless chromium driven over the DevTools protocol (a websocket; no driver to
install): navigate, fill and submit a form as a person would, read the DOM, take a
screenshot. Every host but 127.0.0.1 is unresolvable, so a page that reached for a CDN
would show it."""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

from tests.support import http

OFFLINE = "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


def chromium_path() -> str:
    """Chromium's path; outside CI a missing chromium skips, in CI (`CI` set) it fails."""
    path = shutil.which("chromium")
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail("chromium is missing (.ci/run installs it with apt-get)")
    pytest.skip("chromium is not installed (apt-get install chromium)")


class Browser:
    def __init__(self, chromium: str, profile: Path, width: int = 1360, height: int = 900) -> None:
        command = [
            chromium,
            "--headless",
            "--no-sandbox",  # CI runs as root
            "--disable-gpu",
            f"--host-resolver-rules={OFFLINE}",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            "about:blank",
        ]
        self.process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
        self.width = width
        self._ids = itertools.count(1)
        self._events: list[str] = []  # events that arrived while waiting for an answer
        self._closing = contextlib.ExitStack()
        self.socket = self._closing.enter_context(connect(self._page_socket(), max_size=2**26))
        self.call("Page.enable")

    def _page_socket(self) -> str:
        assert self.process.stderr is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            found = re.search(r"DevTools listening on ws://([\d.:]+)/", line)
            if found:
                targets = http.get(f"http://{found.group(1)}/json/list", timeout=10).json()
                page = next(t for t in targets if t["type"] == "page")
                url: str = page["webSocketDebuggerUrl"]
                return url
        raise AssertionError("chromium did not start its DevTools endpoint")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        ident = next(self._ids)
        self.socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=60))
            if message.get("id") == ident:
                assert "error" not in message, message
                result: dict[str, Any] = message["result"]
                return result
            if "method" in message:
                self._events.append(message["method"])

    def _wait_for(self, event: str) -> None:
        if event in self._events:
            self._events.clear()
            return
        while json.loads(self.socket.recv(timeout=60)).get("method") != event:
            pass
        self._events.clear()

    def open(self, url: str) -> None:
        self._events.clear()
        self.call("Page.navigate", url=url)
        self._wait_for("Page.loadEventFired")

    def submit(self, selector: str, **fields: str) -> None:
        """Fill the form's fields by name and submit it; returns when the answer has loaded."""
        script = (
            f"(() => {{ const form = document.querySelector({json.dumps(selector)});"
            f" const values = {json.dumps(fields)};"
            " for (const [name, v] of Object.entries(values)) form.elements[name].value = v;"
            " form.submit(); })()"
        )
        self._events.clear()
        self.call("Runtime.evaluate", expression=script)
        self._wait_for("Page.loadEventFired")

    def html(self) -> str:
        answer = self.call(
            "Runtime.evaluate", expression="document.documentElement.outerHTML", returnByValue=True
        )
        value: str = answer["result"]["value"]
        return value

    def screenshot(self, path: Path) -> None:
        size = self.call("Page.getLayoutMetrics")["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": self.width, "height": size["height"], "scale": 1}
        shot = self.call(
            "Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=True
        )
        path.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        self._closing.close()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
