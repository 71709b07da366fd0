"""The real Debian agent stack without a VM, for fixture capture and tests.

Xvfb + spice-vdagentd (-f fake uinput FIFO, -s our unix socket) + spice-vdagent,
each run in a private temp dir and display (protocol-reference 6.6). This is an
independent Python implementation of the framing, so what it records can check
the C codec instead of the codec checking itself.
"""
import os
import select
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time

VD_AGENT_PROTOCOL = 1
TYPES = {
    "mouse-state": 1, "monitors-config": 2, "reply": 3, "clipboard": 4,
    "display-config": 5, "announce-capabilities": 6, "clipboard-grab": 7,
    "clipboard-request": 8, "clipboard-release": 9, "file-xfer-start": 10,
    "file-xfer-status": 11, "file-xfer-data": 12, "client-disconnected": 13,
    "max-clipboard": 14, "audio-volume-sync": 15, "graphics-device-info": 16,
}
NAMES = {v: k for k, v in TYPES.items()}
CAPS_SPICE_GTK = 0x00035077


def message(mtype, data=b"", protocol=VD_AGENT_PROTOCOL, opaque=0):
    return struct.pack("<IIQI", protocol, TYPES.get(mtype, mtype) if isinstance(mtype, str) else mtype,
                       opaque, len(data)) + data


def chunks(port, msg, max_chunk=2048):
    out = b""
    for off in range(0, max(len(msg), 1), max_chunk):
        piece = msg[off:off + max_chunk]
        out += struct.pack("<II", port, len(piece)) + piece
    return out


class Deadline(Exception):
    pass


class AgentStack:
    """Start with start(); every byte both ways is kept in to_agent/from_agent."""

    def __init__(self, debug_log=None):
        self.dir = tempfile.mkdtemp(prefix="vdsim-capture-")
        self.procs = {}
        self.to_agent = bytearray()
        self.from_agent = bytearray()
        self.uinput = bytearray()
        self.msgs = []          # (port, type, data) from the agent, in order
        self.cond = threading.Condition()
        self.conn = None
        self.debug_log = debug_log
        self.display = None
        self._stop = False

    def path(self, name):
        return os.path.join(self.dir, name)

    def _spawn(self, name, argv, env=None):
        log = open(self.path(name + ".log"), "wb")
        self.procs[name] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                            env=env, stdin=subprocess.DEVNULL)

    def start(self, timeout=30):
        for tool in ("Xvfb", "spice-vdagentd", "spice-vdagent"):
            if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
                raise RuntimeError(f"{tool} is not installed (Debian packages xvfb, spice-vdagent)")
        r, w = os.pipe()
        log = open(self.path("xvfb.log"), "wb")
        self.procs["xvfb"] = subprocess.Popen(
            ["Xvfb", "-displayfd", str(w), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
            pass_fds=(w,), stdout=log, stderr=subprocess.STDOUT)
        os.close(w)
        # Xvfb writes the number and its newline separately: read up to the
        # newline, or closing the pipe early kills it with EPIPE.
        got = b""
        deadline = time.monotonic() + timeout
        while not got.endswith(b"\n"):
            ready, _, _ = select.select([r], [], [], max(0, deadline - time.monotonic()))
            chunk = os.read(r, 16) if ready else b""
            if not chunk:
                os.close(r)
                raise Deadline("Xvfb did not report its display number within %ss (see %s)"
                               % (timeout, self.path("xvfb.log")))
            got += chunk
        os.close(r)
        self.display = ":" + got.decode().strip()

        fifo = self.path("uinput")
        os.mkfifo(fifo)
        self.uinput_fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)  # survives writer closes
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(self.path("vport.sock"))
        srv.listen(1)
        self.srv = srv
        os.mkdir(self.path("xfer"))
        vdagentd = shutil.which("spice-vdagentd") or "/usr/sbin/spice-vdagentd"
        self._spawn("vdagentd", [vdagentd, "-x", "-d", "-d", "-X", "-f", "-u", fifo,
                                 "-s", self.path("vport.sock"), "-S", self.path("vdagentd.sock")])
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.path("vdagentd.sock")):
            if time.monotonic() > deadline:
                raise Deadline("spice-vdagentd did not create its socket")
            time.sleep(0.02)
        env = dict(os.environ, DISPLAY=self.display)
        self._spawn("vdagent", ["spice-vdagent", "-x", "-d", "-s", self.path("vport.sock"),
                                "-S", self.path("vdagentd.sock"), "-f", self.path("xfer")], env=env)
        srv.settimeout(timeout)
        try:
            self.conn, _ = srv.accept()
        except socket.timeout:
            raise Deadline("spice-vdagentd did not connect to the port within %ss" % timeout)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        buf = bytearray()
        ports = {}
        while not self._stop:
            rl, _, _ = select.select([self.conn, self.uinput_fd], [], [], 0.05)
            if self.uinput_fd in rl:
                try:
                    data = os.read(self.uinput_fd, 65536)
                except BlockingIOError:
                    data = b""
                with self.cond:
                    self.uinput += data
                    self.cond.notify_all()
            if self.conn not in rl:
                continue
            data = self.conn.recv(65536)
            if not data:
                break
            with self.cond:
                self.from_agent += data
                buf += data
                while len(buf) >= 8:
                    port, size = struct.unpack_from("<II", buf)
                    if len(buf) < 8 + size:
                        break
                    acc = ports.setdefault(port, bytearray())
                    acc += buf[8:8 + size]
                    del buf[:8 + size]
                    while len(acc) >= 20:
                        proto, mtype, _, msize = struct.unpack_from("<IIQI", acc)
                        if len(acc) < 20 + msize:
                            break
                        self.msgs.append((port, mtype, bytes(acc[20:20 + msize])))
                        del acc[:20 + msize]
                self.cond.notify_all()

    def send(self, mtype, data=b"", port=1, max_chunk=2048):
        raw = chunks(port, message(mtype, data), max_chunk)
        self.to_agent += raw
        self.conn.sendall(raw)

    def send_raw(self, raw):
        self.to_agent += raw
        self.conn.sendall(raw)

    def expect(self, mtype, timeout=10, start=None):
        """Wait for the next agent message of mtype after index start; returns (index, data)."""
        want = TYPES[mtype]
        deadline = time.monotonic() + timeout
        with self.cond:
            i = start if start is not None else 0
            while True:
                while i < len(self.msgs):
                    if self.msgs[i][1] == want:
                        return i, self.msgs[i][2]
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0:
                    got = [NAMES.get(m[1], m[1]) for m in self.msgs]
                    raise Deadline(f"no {mtype} from the agent within {timeout}s (got {got})")
                self.cond.wait(left)

    def wait_uinput(self, nbytes, timeout=5):
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.uinput) < nbytes:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Deadline(f"fake uinput has {len(self.uinput)} of {nbytes} bytes")
                self.cond.wait(left)

    def x(self, argv, input=None, timeout=10, background=False):
        env = dict(os.environ, DISPLAY=self.display)
        if background:
            p = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL)
            if input is not None:
                p.stdin.write(input)
                p.stdin.close()
            return p
        return subprocess.run(argv, env=env, input=input, capture_output=True, timeout=timeout)

    def stop(self):
        self._stop = True
        for name in ("vdagent", "vdagentd", "xvfb"):
            p = self.procs.get(name)
            if p and p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if self.conn:
            self.conn.close()
        if self.debug_log:
            with open(self.debug_log, "wb") as out:
                for name in ("xvfb", "vdagentd", "vdagent"):
                    try:
                        out.write(f"==== {name} ====\n".encode())
                        out.write(open(self.path(name + ".log"), "rb").read())
                    except OSError:
                        pass
        shutil.rmtree(self.dir, ignore_errors=True)
