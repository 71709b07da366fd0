"""Captures of a client nobody on this project wrote and that is not
spice-gtk: Debian's spice-html5 (the JavaScript client web consoles embed),
in Debian's Chromium, reaching `vdsim server` through a WebSocket, straight
(libspice-server takes WebSocket upgrades on its own port) and through
Debian's websockify. Captured with dumpcap, imported, replayed."""
import functools
import http.server
import os
import re
import subprocess
import sys
import threading
import time

import pytest

from conftest import capturing, free_port, need, wait_listening

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "helpers"))
from browser import Browser  # noqa: E402

HTML5 = "/usr/share/spice-html5"


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/favicon.ico":  # the browser asks; spice-html5 has none
            self.send_response(204)
            self.end_headers()
            return
        super().do_GET()


@pytest.fixture
def html5():
    """spice-html5's files over HTTP (its ES modules do not load from file://):
    the base URL."""
    if not os.path.exists(os.path.join(HTML5, "spice_auto.html")):
        pytest.fail("spice-html5 is not installed (Debian: spice-html5; "
                    "tools/lib/install-deps test installs it)")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                            functools.partial(Quiet, directory=HTML5))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d" % httpd.server_address[1]
    httpd.shutdown()


# the size resize.js's resize_helper asks for, worked out the way it does
RESIZE_SIZE = """(function(){
    var w = document.getElementById('spice-screen').clientWidth;
    var m = document.getElementById('message-div'), h = window.innerHeight - 20;
    if (m != null) {
        if (window.getComputedStyle(m).getPropertyValue('display') == 'none')
            h -= parseInt(window.getComputedStyle(m).getPropertyValue('height'), 10);
        else
            h -= m.offsetHeight + m.clientHeight;
    }
    return [w - w % 8, h - h % 8];
})()"""


def web_session(base, port, pcap, bpf, shot):
    """spice-html5 connects to ws://127.0.0.1:port while dumpcap captures bpf:
    once the agent is there it sends its monitor config, then the window is
    resized (a second one) and the canvas clicked at (100, 120). Returns the
    size spice-html5 asked for after the resize."""
    b = Browser()
    try:
        with capturing(pcap, bpf):
            b.goto("%s/spice_auto.html?host=127.0.0.1&port=%d" % (base, port), timeout=30)
            sc = "window.spice_connection"
            b.wait_for("%s && %s.agent_connected && %s.inputs && %s.inputs.state == 'ready'"
                       % (sc, sc, sc, sc), 30, "spice-html5 did not connect its agent and inputs")
            b.call("Emulation.setDeviceMetricsOverride", width=1024, height=768,
                   deviceScaleFactor=1, mobile=False)
            time.sleep(1)  # spice-html5 sends the new size 200 ms after the last resize event
            size = b.eval(RESIZE_SIZE)
            for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
                b.call("Input.dispatchMouseEvent", type=kind, x=100, y=120, button="left",
                       clickCount=1)
            time.sleep(1)
            b.screenshot(shot)
    finally:
        b.close()
    assert not b.errors, b.errors
    return size


def monitors_sends(text):
    return re.findall(r"  - send: \{msg: monitors-config, flags: \[\], monitors: \[\{w: (\d+), "
                      r"h: (\d+), x: 0, y: 0, depth: 32\}\]\}", text)


def test_a_spice_html5_capture_over_websocket_imports_and_replays(server, run, html5, tmp_path):
    """spice-html5 talks WebSocket straight to libspice-server's port. The
    capture imports as SPICE over WebSocket: the two monitor configs it sent
    (the second of the resized window), the agent's replies, the click as
    mouse states. Linted, replayed on local and on local-server: reproduced."""
    s = server("--port", "0")
    pcap = str(tmp_path / "html5.pcapng")
    w, h = web_session(html5, s.port, pcap, "tcp port %d" % s.port, str(tmp_path / "shot.png"))
    out = str(tmp_path / "html5.yaml")
    r = run("import", pcap, "-o", out)
    assert r.returncode == 0, r.stderr
    imported = open(out).read()
    assert ", session 1, SPICE over WebSocket\n" in imported, imported
    sent = monitors_sends(imported)
    assert len(sent) == 2 and sent[1] == (str(w), str(h)), (w, h, imported)
    assert imported.count("  - expect: {msg: reply, type: monitors-config, error: success") == 2
    assert "buttons: [left]}" in imported, imported
    # spice-html5 sends its monitor config before the agent answers its
    # announcement: the answer is the session's start, not a step
    assert "announce-capabilities" not in "".join(
        line for line in imported.splitlines(True) if line.startswith("  - ")), imported
    assert run("lint", out).returncode == 0
    page = tmp_path / "html5.html"
    r = run("report", pcap, "-o", str(page))
    assert r.returncode == 0, r.stderr
    assert "html5.pcapng session 1, SPICE over WebSocket" in page.read_text()
    for target in ("local", "local-server"):
        r = run("replay", "--target", target, "--report", str(tmp_path / target), pcap,
                timeout=120)
        assert r.returncode == 0, imported + r.stdout + r.stderr
        assert "verdict: reproduced" in r.stdout


def test_both_legs_of_websockify_import_to_the_same_steps(server, run, html5, tmp_path):
    """Through websockify the capture holds the session twice: the browser's
    WebSocket to websockify and websockify's plain SPICE to the server. Both
    are listed, and both import to the same steps: unwrapping the WebSocket
    gives the bytes the proxy forwarded."""
    need("websockify")
    s = server("--port", "0")
    ws_port = free_port()
    proxy = subprocess.Popen(["websockify", "127.0.0.1:%d" % ws_port, "127.0.0.1:%d" % s.port],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_listening(ws_port, proxy, "websockify")
        pcap = str(tmp_path / "legs.pcapng")
        web_session(html5, ws_port, pcap, "tcp port %d or tcp port %d" % (ws_port, s.port),
                    str(tmp_path / "shot.png"))
    finally:
        proxy.terminate()
        proxy.wait(10)
    r = run("import", "--list", pcap)
    assert r.returncode == 0, r.stderr
    legs = re.findall(r"session (\d): 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:(\d+)( over WebSocket)? "
                      r"from frame \d+, (\d+) agent messages, (\d+) mouse events", r.stdout)
    assert {(port, ws) for _, port, ws, _, _ in legs} == \
        {(str(ws_port), " over WebSocket"), (str(s.port), "")}, r.stdout
    assert len({(n_agent, n_mouse) for _, _, _, n_agent, n_mouse in legs}) == 1, r.stdout
    steps = []
    for index, _, _, _, _ in legs:
        r = run("import", "--session", index, pcap)
        assert r.returncode == 0, r.stderr
        steps.append([line for line in r.stdout.splitlines() if line.startswith("  - ")])
    assert steps[0] == steps[1] and len(steps[0]) >= 6, steps
    # one click, once: each leg's inputs channel joins its own leg's session
    assert sum("buttons: [left]" in line for line in steps[0]) == 1, steps[0]
