import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

SOURCE = os.environ.get("VDS_SOURCE_DIR",
                        os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))


@pytest.fixture(scope="session")
def vdsim():
    path = os.environ.get("VDSIM")
    if not path or not os.access(path, os.X_OK):
        pytest.fail("VDSIM must name the built vdsim binary (ctest sets it); got %r" % path)
    return path


@pytest.fixture
def run(vdsim):
    def _run(*args, input=None, timeout=60):
        return subprocess.run([vdsim, *args], capture_output=True, text=True, input=input,
                              timeout=timeout)
    return _run


def sh(*args, timeout=900):
    """A command from the source tree, its output captured."""
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=SOURCE)


def build_tree(tool, *args, what):
    """tools/build-guest-image or tools/build-agent-root (cached): the
    directory it prints, or a failure naming what did not build and why."""
    if os.geteuid() != 0:
        pytest.fail("building %s needs root (debootstrap, chroot)" % what)
    r = sh(os.path.join(SOURCE, "tools", tool), *args, timeout=1800)
    assert r.returncode == 0, "%s did not build:\n%s" % (what, r.stderr[-3000:])
    return r.stdout.strip().splitlines()[-1]


def fixture(*parts):
    return os.path.join(SOURCE, "fixtures", *parts)


def require_programs(*names):
    """The real agent stack is required, not optional: fail naming what is missing."""
    missing = [n for n in names if not shutil.which(n) and not os.path.exists("/usr/sbin/" + n)]
    if missing:
        pytest.fail("missing programs for the real agent stack: %s (tools/lib/install-deps test)"
                    % ", ".join(missing))


def processes_mentioning(marker):
    """Processes whose command line mentions marker (a path: a temp dir of an
    agent stack), as "PID: CMDLINE" lines."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in cmd:
            out.append(f"{pid}: {cmd}")
    return out


def need(*programs):
    missing = [p for p in programs if not shutil.which(p)]
    if missing:
        pytest.fail("missing programs: %s (tools/lib/install-deps test)" % ", ".join(missing))


def free_port():
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, what, timeout=20):
    """Until something accepts on 127.0.0.1:port; fails naming what when
    proc exits first or the time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        with socket.socket() as c:
            if c.connect_ex(("127.0.0.1", port)) == 0:
                return
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail("%s did not listen on port %d" % (what, port))
        time.sleep(0.1)


@contextlib.contextmanager
def capturing(path, bpf, program="dumpcap"):
    """A capture on loopback into path while the block runs (Debian's
    dumpcap, or tshark, which runs it)."""
    need(program)
    cap = subprocess.Popen([program, "-i", "lo", "-f", bpf, "-w", path],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):  # it says "Capturing on" once it listens
            if "Capturing on" in cap.stderr.readline():
                break
        time.sleep(1.5)  # it says so a moment before packets flow into the file
        yield
        time.sleep(1)  # the last packets reach the file
    finally:
        cap.send_signal(signal.SIGINT)
        cap.wait(20)


class Server:
    """`vdsim server` in the background, until the test ends."""

    def __init__(self, vdsim, args=(), env=None):
        require_programs("spice-vdagentd", "spice-vdagent")
        self.proc = subprocess.Popen([vdsim, "server", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True,
                                     env={**os.environ, **(env or {})})
        self.lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            if line.startswith("  try:"):
                break
        text = "".join(self.lines)
        m = re.search(r"listening: spice://([\d.]+):(\d+)\n", text)
        if not m:
            self.stop()
            pytest.fail("vdsim server did not come up:\n" + text)
        self.port = int(m.group(2))
        tls = re.search(r"tls-port=(\d+)", text)
        self.tls_port = int(tls.group(1)) if tls else None
        self.display = re.search(r"DISPLAY=(:\d+)", text).group(1)
        # keep draining its output so it never blocks
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.proc.stdout:
            self.lines.append(line)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                pytest.fail("vdsim server did not stop on SIGINT")


@pytest.fixture
def server(vdsim):
    servers = []

    def start(*args, env=None):
        s = Server(vdsim, args, env)
        servers.append(s)
        return s
    yield start
    for s in servers:
        s.stop()
        assert s.proc.returncode == 0, "".join(s.lines)
