import os
import shutil
import subprocess

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
