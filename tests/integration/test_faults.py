"""The fault matrix: what vdsim does when it is interrupted, killed, starved
of disk or fed hostile names, with the real agent stack. Each case says what
must hold: the exit code, reports present and marked, nothing left behind."""
import glob
import json
import os
import signal
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import SOURCE, processes_mentioning, require_programs

SLOW = """id: t/slow-{n}
requirement: a reply, then a quiet window long enough to be interrupted in
steps:
  - send:   {{msg: monitors-config, monitors: [{{w: 1024, h: 768}}]}}
  - expect: {{msg: reply, type: monitors-config, within: 2s}}
  - not:    {{msg: reply, within: 2s}}
"""
COUNT = 4


def scenarios(tmp_path):
    d = tmp_path / "sc"
    d.mkdir()
    for n in range(COUNT):
        (d / f"s{n}.yaml").write_text(SLOW.format(n=n))
    return str(d)


def ours(tmpdir):
    """Processes whose command line names this test's TMPDIR (its agent stack)."""
    return processes_mentioning(tmpdir)


def wait_for(what, cond, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    pytest.fail("waited %d s for %s" % (timeout, what))


def start(vdsim, tmp_path, report, sc):
    tmpdir = str(tmp_path / "tmp")
    os.makedirs(tmpdir, exist_ok=True)
    env = dict(os.environ, TMPDIR=tmpdir)
    # a session of its own: its process group is what a terminal's Ctrl-C hits
    p = subprocess.Popen([vdsim, "run", "--report", str(report), "--junit",
                          str(report / "junit.xml"), sc],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                         start_new_session=True)
    return p, tmpdir


def at_moment(p, report, moment):
    if moment == "starting":  # the stack is still coming up
        time.sleep(0.3)
    elif moment == "in-a-scenario":  # inside the first scenario's quiet window
        wait_for("the first trace", lambda: glob.glob(str(report / "traces" / "*.jsonl")))
        time.sleep(1.2)
    else:  # "between": the first scenario has just been reported
        line = p.stdout.readline()
        assert line.startswith("agent under test: spice-vdagent "), line  # the run's first line
        line = p.stdout.readline()
        assert line.startswith(("PASS", "FAIL")), line


@pytest.mark.parametrize("moment", ["starting", "in-a-scenario", "between"])
@pytest.mark.parametrize("how", ["sigint", "group-sigint", "sigterm"])
def test_interrupted_runs_report_and_clean_up(vdsim, tmp_path, moment, how):
    require_programs("spice-vdagentd", "spice-vdagent")
    report = tmp_path / "rep"
    p, tmpdir = start(vdsim, tmp_path, report, scenarios(tmp_path))
    at_moment(p, report, moment)
    if how == "group-sigint":
        os.killpg(p.pid, signal.SIGINT)
    else:
        p.send_signal(signal.SIGINT if how == "sigint" else signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 3, out + err
    summary = json.loads((report / "summary.json").read_text())
    assert summary["interrupted"] is True
    assert summary["interrupted-at-ms"] > 0
    ran = [s["id"] for s in summary["scenarios"]]
    assert len(ran) + len(summary["not-run"]) == COUNT
    assert summary["not-run"], "a run interrupted this early leaves scenarios not run"
    assert "not run: interrupted" in out
    # an interrupt is not the agent's fault
    for s in summary["scenarios"]:
        assert "stopped answering" not in s.get("failure", ""), s
    suite = ET.parse(report / "junit.xml").getroot()
    assert suite.get("tests") == str(COUNT)
    props = {q.get("name"): q.get("value") for q in suite.iter("property")}
    assert props["interrupted"] == "true"
    not_run = [c for c in suite.iter("testcase")
               if c.find("skipped") is not None and
               "interrupted" in c.find("skipped").get("message")]
    assert len(not_run) == len(summary["not-run"])
    # the stack went down in order: no process, no temp dir of it left
    assert not ours(tmpdir), ours(tmpdir)
    assert not glob.glob(os.path.join(tmpdir, "vdsim-*")), os.listdir(tmpdir)


@pytest.mark.parametrize("moment", ["starting", "in-a-scenario", "between"])
def test_sigkill_leaves_nothing_running_and_the_next_start_cleans(vdsim, tmp_path, moment):
    require_programs("spice-vdagentd", "spice-vdagent")
    report = tmp_path / "rep"
    p, tmpdir = start(vdsim, tmp_path, report, scenarios(tmp_path))
    at_moment(p, report, moment)
    wait_for("the agent stack's temp dir", lambda: glob.glob(os.path.join(tmpdir, "vdsim-local-*")))
    stale = glob.glob(os.path.join(tmpdir, "vdsim-local-*"))
    display = None
    for d in stale:
        try:
            display = open(os.path.join(d, "display")).read().strip()
        except OSError:
            pass
    p.kill()
    p.communicate(timeout=30)
    assert p.returncode == -signal.SIGKILL
    # the stack dies with vdsim (PR_SET_PDEATHSIG)
    wait_for("the agent stack to die with vdsim", lambda: not ours(tmpdir), timeout=15)
    assert all(os.path.isdir(d) for d in stale), "nothing removes them but the next start"
    one = os.path.join(SOURCE, "scenarios", "monitors", "one-head.yaml")
    r = subprocess.run([vdsim, "run", "--report", str(tmp_path / "again"), one],
                       capture_output=True, text=True, env=dict(os.environ, TMPDIR=tmpdir),
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert not any(os.path.exists(d) for d in stale), "the dead vdsim's temp dir is gone"
    if display:  # and the X socket its X server left, unless a live one took it again
        sock = "/tmp/.X11-unix/X" + display.lstrip(":")
        assert not os.path.exists(sock) or subprocess.run(
            ["fuser", sock], capture_output=True).returncode == 0


def test_a_killed_x_server_is_a_stack_failure_and_the_run_goes_on(vdsim, tmp_path):
    require_programs("spice-vdagentd", "spice-vdagent")
    report = tmp_path / "rep"
    p, tmpdir = start(vdsim, tmp_path, report, scenarios(tmp_path))
    at_moment(p, report, "in-a-scenario")
    xorg = [line.split(":")[0] for line in ours(tmpdir) if "Xorg" in line or "Xvfb" in line]
    assert xorg, ours(tmpdir)
    for pid in xorg:
        os.kill(int(pid), signal.SIGKILL)
    out, err = p.communicate(timeout=120)
    assert "XIO" not in err, err  # Xlib's exit(1) did not end vdsim
    assert p.returncode == 1, out + err
    summary = json.loads((report / "summary.json").read_text())
    assert len(summary["scenarios"]) == COUNT, "the run went on after the stack died"
    failed = [s for s in summary["scenarios"] if not s["passed"]]
    assert len(failed) == 1 and "X server" in failed[0]["failure"], failed
    assert sum(s["passed"] for s in summary["scenarios"]) == COUNT - 1, "restarted, then passed"
    assert not ours(tmpdir)


@pytest.fixture
def small_fs(tmp_path):
    """A 16 KiB tmpfs and a read-only one (root only, as CI runs)."""
    full, ro = tmp_path / "full", tmp_path / "ro"
    full.mkdir()
    ro.mkdir()
    for d, opts in ((full, "size=16k"), (ro, "size=64k,ro")):
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(d)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            pytest.fail("mounting a small tmpfs needs root: " + r.stderr)
    yield full, ro
    for d in (full, ro):
        subprocess.run(["umount", str(d)])


def test_results_that_cannot_be_kept_fail_the_run(run, small_fs):
    require_programs("spice-vdagentd", "spice-vdagent")
    full, ro = small_fs
    clip = os.path.join(SOURCE, "scenarios", "clipboard")
    r = run("run", "--report", str(full / "rep"), "--junit", str(full / "rep" / "junit.xml"),
            clip, timeout=300)
    assert r.returncode == 3, r.stdout + r.stderr
    assert "results not kept:" in r.stderr and "No space left on device" in r.stderr
    # whatever was written is whole: no cut summary or JUnit file
    for f in ("summary.json", "junit.xml"):
        p = full / "rep" / f
        if p.exists():
            json.loads(p.read_text()) if f.endswith(".json") else ET.parse(p)
    one = os.path.join(SOURCE, "scenarios", "monitors", "one-head.yaml")
    r = run("run", "--report", str(ro / "rep"), one, timeout=120)
    assert r.returncode == 3, r.stdout + r.stderr
    assert "Read-only file system" in r.stderr


def test_ids_cannot_escape_or_collide(run, tmp_path):
    body = "steps:\n  - send: {msg: monitors-config, monitors: [{w: 1024, h: 768}]}\n"
    (tmp_path / "escape.yaml").write_text('id: "../../../escape"\n' + body)
    r = run("lint", str(tmp_path / "escape.yaml"))
    assert r.returncode == 2 and "escape.yaml:1:5: bad id '../../../escape'" in r.stderr
    golden = tmp_path / "g"
    r = run("run", "--golden", str(golden), "--update-golden", "--report",
            str(tmp_path / "rep"), str(tmp_path / "escape.yaml"))
    assert r.returncode == 2 and not (tmp_path.parent / "escape.jsonl").exists()
    d = tmp_path / "dup"
    d.mkdir()
    (d / "a.yaml").write_text("id: same/id\n" + body)
    (d / "b.yaml").write_text("id: same/id\n" + body)
    (d / "c.yaml").write_text("id: same_id\n" + body)
    r = run("lint", str(d))
    assert r.returncode == 2
    assert f"{d}/b.yaml: id 'same/id' is also the id of {d}/a.yaml" in r.stderr
    assert "bad id 'same_id'" in r.stderr
    r = run("run", "--report", str(tmp_path / "rep2"), str(d / "a.yaml"), str(d / "b.yaml"))
    assert r.returncode == 2 and "is also the id of" in r.stderr
    (d / "c.yaml").write_text("id: " + "x" * 5000 + "\n" + body)
    r = run("lint", str(d / "c.yaml"))
    assert r.returncode == 2 and "an id is 1 to 128 characters, not 5000" in r.stderr


def test_files_that_are_not_files(run, tmp_path):
    r = run("lint", "/dev/zero", timeout=10)
    assert r.returncode == 2
    assert "/dev/zero: scenario is a character device, not a regular file" in r.stderr
    (tmp_path / "p.yaml").write_text(
        "id: t/p\nsteps:\n  - send: {msg: clipboard, type: utf8-text, payload-file: /dev/zero}\n")
    r = run("lint", str(tmp_path / "p.yaml"), timeout=10)
    assert r.returncode == 2
    assert "p.yaml:3:59: /dev/zero: payload is a character device" in r.stderr
    r = run("diff", "/dev/zero", "/dev/zero", timeout=10)
    assert r.returncode == 2 and "trace is a character device" in r.stderr


def test_the_password_never_reaches_the_agent_stack(vdsim, tmp_path):
    require_programs("spice-vdagentd", "spice-vdagent")
    tmpdir = str(tmp_path / "tmp")
    os.makedirs(tmpdir)
    env = dict(os.environ, TMPDIR=tmpdir, VDSIM_SPICE_PASSWORD="s3cret-in-env")
    p = subprocess.Popen([vdsim, "agent", "up"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=env)
    try:
        first = p.stdout.readline()
        assert first.startswith("agent ready: "), first + p.stderr.read()
        pids = [line.split(":")[0] for line in ours(tmpdir)]
        assert len(pids) >= 3, ours(tmpdir)  # X, spice-vdagentd, spice-vdagent
        for pid in pids + [str(p.pid)]:
            environ = open(f"/proc/{pid}/environ", "rb").read()
            assert b"s3cret-in-env" not in environ, pid
    finally:
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=30)


def test_guest_checks_on_a_target_without_an_oracle_are_skipped(vdsim, tmp_path):
    """A spice:// server with a healthy agent: what needs the guest's side is
    a SKIP that says so, not a failure."""
    require_programs("spice-vdagentd", "spice-vdagent")
    sock = str(tmp_path / "spice.sock")
    env = dict(os.environ, TMPDIR=str(tmp_path))
    srv = subprocess.Popen([vdsim, "server", "--unix", sock], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, env=env)
    try:
        wait_for("the server's socket", lambda: os.path.exists(sock))
        r = subprocess.run([vdsim, "run", "--target", "spice+unix://" + sock, "--report",
                            str(tmp_path / "rep"), os.path.join(SOURCE, "scenarios", "monitors"),
                            os.path.join(SOURCE, "scenarios", "caps", "announce.yaml")],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
        summary = json.loads((tmp_path / "rep" / "summary.json").read_text())
        one = next(s for s in summary["scenarios"] if s["id"] == "monitors/one-head")
        assert one.get("skipped") and "needs screen" in one["failure"], one
        assert "no guest oracle" in one["failure"]
        ran = [s for s in summary["scenarios"] if not s.get("skipped")]
        assert ran and all(s["passed"] for s in ran), ran
    finally:
        srv.send_signal(signal.SIGINT)
        srv.communicate(timeout=30)


def test_bytes_that_are_not_text_survive_a_trace_and_a_golden(run, tmp_path):
    """A clipboard of bytes that are not UTF-8 (with a NUL) pasted in the
    guest: the trace holds them as hex, vdsim reads its own trace back, and a
    golden written from it is met by the next run."""
    require_programs("spice-vdagentd", "spice-vdagent", "xclip")
    raw = bytes.fromhex("68e96c6c6ffffe00656e64")
    (tmp_path / "paste.bin").write_bytes(raw)
    (tmp_path / "s.yaml").write_text(
        "id: t/binary\nsteps:\n"
        "  - send: {msg: clipboard-grab, selection: clipboard, types: [utf8-text]}\n"
        "  - guest-paste: {selection: clipboard}\n"
        "  - expect: {msg: clipboard-request, type: utf8-text, within: 3s}\n"
        "  - send: {msg: clipboard, selection: clipboard, type: utf8-text,\n"
        "           data: {hex: \"" + raw.hex() + "\"}}\n"
        "  - guest: {pasted-file: paste.bin, within: 3s}\n")
    golden = tmp_path / "golden"
    r = run("run", "--report", str(tmp_path / "r1"), "--golden", str(golden), "--update-golden",
            str(tmp_path / "s.yaml"), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    trace = tmp_path / "r1" / "traces" / "t_binary.jsonl"
    assert '"observed":{"hex":"' + raw.hex() + '"}' in trace.read_text()
    d = run("diff", str(trace), str(trace))
    assert d.returncode == 0, d.stdout + d.stderr
    r = run("run", "--report", str(tmp_path / "r2"), "--golden", str(golden),
            str(tmp_path / "s.yaml"), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
