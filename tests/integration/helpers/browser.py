"""Debian's headless Chromium driven over the DevTools protocol: open a page,
count its script errors, ask its DOM, click the way a mouse does, take a
screenshot. Used by the report's test and tools/bench-report."""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

import websocket  # python3-websocket


class BrowserError(Exception):
    pass


def chromium_path():
    for name in ("chromium", "chromium-browser"):
        p = shutil.which(name)
        if p:
            return p
    return None


class Browser:
    """One headless Chromium with one page. Every script exception, console
    error and browser log error the page produces is kept in .errors."""

    def __init__(self, timeout=60):
        exe = chromium_path()
        if not exe:
            raise BrowserError("chromium is not installed (Debian: chromium; "
                               "tools/lib/install-deps test installs it)")
        self.profile = tempfile.mkdtemp(prefix="vdsim-chromium-")
        self.errors = []
        self.requests = []  # every URL the page asked for
        self._id = 0
        self._events = []
        # no network, no first-run work: the page must need nothing from outside
        self.proc = subprocess.Popen(
            [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--disable-background-networking", "--disable-extensions", "--no-first-run",
             "--disable-sync", "--disable-default-apps", "--mute-audio",
             "--window-size=1400,1000", "--remote-debugging-port=0",
             "--user-data-dir=" + self.profile, "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + timeout
        while not os.path.exists(port_file) or not open(port_file).read().strip():
            if self.proc.poll() is not None:
                raise BrowserError("chromium exited at start: %s"
                                   % self.proc.stderr.read().decode(errors="replace")[-2000:])
            if time.monotonic() > deadline:
                self.close()
                raise BrowserError("chromium did not open its DevTools port in %d s" % timeout)
            time.sleep(0.05)
        port = int(open(port_file).read().split()[0])
        pages = []
        while not pages:
            with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=10) as r:
                pages = [t for t in json.load(r) if t.get("type") == "page"]
            if not pages:
                time.sleep(0.05)
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=timeout,
                                              suppress_origin=True)
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(domain + ".enable")

    def _note(self, msg):
        m, p = msg.get("method"), msg.get("params", {})
        if m == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            text = d.get("exception", {}).get("description") or d.get("text")
            self.errors.append("exception: %s (line %s)" % (text, d.get("lineNumber")))
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            self.errors.append("console.%s: %s" % (p["type"], " ".join(
                str(a.get("value", a.get("description"))) for a in p.get("args", []))))
        elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
            self.errors.append("log: %s" % p["entry"].get("text"))
        elif m == "Network.requestWillBeSent":
            self.requests.append(p["request"]["url"])
        self._events.append(msg)

    def call(self, method, **params):
        self._id += 1
        want = self._id
        self.ws.send(json.dumps({"id": want, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == want:
                if "error" in msg:
                    raise BrowserError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            self._note(msg)

    def wait_event(self, method, timeout=30):
        deadline = time.monotonic() + timeout
        for i, m in enumerate(self._events):
            if m.get("method") == method:
                del self._events[: i + 1]
                return m
        self._events.clear()
        while time.monotonic() < deadline:
            self.ws.settimeout(max(0.1, deadline - time.monotonic()))
            msg = json.loads(self.ws.recv())
            self._note(msg)
            if msg.get("method") == method:
                self._events.clear()
                return msg
        raise BrowserError("no %s in %d s" % (method, timeout))

    def open(self, path, ready="document.body && document.body.dataset.ready === '1'",
             timeout=30):
        """Load a file and wait until the page says it has drawn; the time
        from navigation to that, in seconds."""
        return self.goto("file://" + os.path.abspath(path), ready, timeout)

    def goto(self, url, ready="true", timeout=30):
        """Load a URL and wait until ready (an expression) holds; the time
        from navigation to that, in seconds."""
        self._events.clear()
        t0 = time.monotonic()
        self.call("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired", timeout)
        self.wait_for(ready, timeout - (time.monotonic() - t0), "the page did not get ready")
        return time.monotonic() - t0

    def wait_for(self, expr, timeout, what):
        """Until the expression holds in the page, or BrowserError(what)."""
        deadline = time.monotonic() + timeout
        while not self.eval(expr):
            if time.monotonic() > deadline:
                raise BrowserError("%s in %d s (waiting for %s)" % (what, timeout, expr))
            time.sleep(0.02)

    def eval(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        if "exceptionDetails" in r:
            raise BrowserError("evaluating %r: %s" % (expr, r["exceptionDetails"].get("text")))
        return r["result"].get("value")

    def click(self, selector):
        """A real mouse click at the middle of the first element matching
        selector, scrolled into view first."""
        rect = self.eval("""(function(){var e=document.querySelector(%s); if(!e) return null;
            e.scrollIntoView({block:'center', inline:'center'});
            var r=e.getBoundingClientRect(); return [r.left+r.width/2, r.top+r.height/2];})()"""
                         % json.dumps(selector))
        if not rect:
            raise BrowserError("nothing matches %s" % selector)
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=rect[0], y=rect[1],
                      button="left", clickCount=1)

    def screenshot(self, path):
        png = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=False)
        with open(path, "wb") as f:
            f.write(base64.b64decode(png["data"]))

    def close(self):
        try:
            if getattr(self, "ws", None):
                self.ws.close()
        finally:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            shutil.rmtree(self.profile, ignore_errors=True)
