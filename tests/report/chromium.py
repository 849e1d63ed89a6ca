"""Open a page in headless Chromium over the DevTools protocol (pipe transport, no network).

Chromium is started with ``--remote-debugging-pipe``: it reads protocol messages from fd 3 and
writes replies to fd 4, each a JSON object terminated by a NUL byte. We enable the Log and
Runtime domains, navigate to the file, wait for ``Page.loadEventFired`` (no sleeps), collect
console messages, exceptions and log entries of level error, and capture a full-page PNG.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import selectors
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    "--hide-scrollbars",
)


@dataclass
class PageReport:
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    screenshot: bytes = b""
    height: int = 0
    # Platform fonts that rendered the first element matching each requested selector.
    fonts: dict[str, list[str]] = field(default_factory=dict)


class _Pipe:
    def __init__(self, proc: subprocess.Popen[bytes], to_browser: int, from_browser: int) -> None:
        self.proc = proc
        self.w = to_browser
        self.r = from_browser
        self.buf = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.r, selectors.EVENT_READ)

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> int:
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        return self.next_id

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not self.sel.select(timeout=left):
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self.r, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self.buf += chunk
        raw, self.buf = self.buf.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float = 60,
    ) -> dict[str, Any]:
        mid = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read(deadline)
            if msg.get("id") == mid:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                result: dict[str, Any] = msg.get("result", {})
                return result
            self.events.append(msg)

    def wait_event(self, method: str, timeout: float = 60) -> dict[str, Any]:
        for i, ev in enumerate(self.events):
            if ev.get("method") == method:
                return self.events.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read(deadline)
            if msg.get("method") == method:
                return msg
            self.events.append(msg)


def open_page(
    chromium: str,
    path: Path,
    *,
    width: int = 1200,
    timeout: float = 60,
    font_selectors: tuple[str, ...] = (),
) -> PageReport:
    """Load ``path`` and report console errors and a full-page screenshot."""
    to_r, to_w = os.pipe()
    from_r, from_w = os.pipe()
    # Move the child's ends above fd 10 so dup2 onto 3 and 4 cannot clobber one another.
    child_in = fcntl.fcntl(to_r, fcntl.F_DUPFD, 10)
    child_out = fcntl.fcntl(from_w, fcntl.F_DUPFD, 10)
    os.close(to_r)
    os.close(from_w)
    to_r, from_w = child_in, child_out
    with tempfile.TemporaryDirectory(prefix="gr-chromium-") as profile:

        def _fds() -> None:
            # Chromium's DevTools pipe: it reads fd 3 and writes fd 4.
            os.dup2(child_in, 3)
            os.dup2(child_out, 4)

        proc = subprocess.Popen(
            [
                chromium,
                *FLAGS,
                f"--user-data-dir={profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_fds,
            pass_fds=(3, 4, child_in, child_out),
        )
        os.close(to_r)
        os.close(from_w)
        pipe = _Pipe(proc, to_w, from_r)
        try:
            return _drive(pipe, path, width, timeout, font_selectors)
        finally:
            with contextlib.suppress(OSError):
                pipe.send("Browser.close")
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            os.close(to_w)
            os.close(from_r)


def _drive(
    pipe: _Pipe, path: Path, width: int, timeout: float, font_selectors: tuple[str, ...]
) -> PageReport:
    target = pipe.call("Target.createTarget", {"url": "about:blank"}, timeout=timeout)["targetId"]
    session = pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page.enable", "Runtime.enable", "Log.enable"):
        pipe.call(domain, session=session)
    pipe.call(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
        session=session,
    )
    pipe.call("Page.navigate", {"url": path.resolve().as_uri()}, session=session)
    pipe.wait_event("Page.loadEventFired", timeout=timeout)
    # A round trip after the load event flushes messages queued during loading.
    metrics = pipe.call("Page.getLayoutMetrics", session=session)
    height = int(metrics["cssContentSize"]["height"])
    shot = pipe.call(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
        },
        session=session,
        timeout=timeout,
    )
    report = PageReport(screenshot=base64.b64decode(shot["data"]), height=height)
    if font_selectors:
        pipe.call("DOM.enable", session=session)
        pipe.call("CSS.enable", session=session)
        root = pipe.call("DOM.getDocument", session=session)["root"]["nodeId"]
        for selector in font_selectors:
            node = pipe.call(
                "DOM.querySelector", {"nodeId": root, "selector": selector}, session=session
            )["nodeId"]
            fonts = pipe.call("CSS.getPlatformFontsForNode", {"nodeId": node}, session=session)
            report.fonts[selector] = [f["familyName"] for f in fonts["fonts"] if f["glyphCount"]]
    for ev in pipe.events:
        method, params = ev.get("method"), ev.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = " ".join(
                str(a.get("value", a.get("description", ""))) for a in params.get("args", [])
            )
            report.console.append(f"{params.get('type')}: {text}")
            if params.get("type") in ("error", "assert"):
                report.errors.append(text)
        elif method == "Runtime.exceptionThrown":
            report.errors.append(params.get("exceptionDetails", {}).get("text", "exception"))
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            report.console.append(f"{entry.get('level')}: {entry.get('text')}")
            if entry.get("level") == "error":
                report.errors.append(str(entry.get("text")))
    return report
