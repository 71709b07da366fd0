"""vdsim run against the real local agent stack: the suite passes, and every
kind of check can fail with a located message."""
import json
import os
import signal
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import SOURCE, processes_mentioning, require_programs

SCENARIOS = os.path.join(SOURCE, "scenarios")


@pytest.fixture(autouse=True)
def agent_stack():
    require_programs("Xorg", "spice-vdagentd", "spice-vdagent", "xclip")


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def stray_processes(marker):
    """Processes whose command line mentions marker (a vdsim temp dir). The
    marker is anchored at this run's TMPDIR: the interop suite runs beside
    this one with a TMPDIR of its own, and its agents are not ours."""
    return processes_mentioning(os.path.join(tempfile.gettempdir(), marker))


ONE_HEAD = """id: t/one-head
steps:
  - send:   {msg: monitors-config, monitors: [{w: 1024, h: 768}]}
  - expect: {msg: reply, type: monitors-config, error: %s, within: 1s}
  - guest:  {screen: [%s], within: 1s}
"""


def test_suite_passes(run, tmp_path):
    """The whole suite against the real agent, each trace against its golden."""
    junit = tmp_path / "junit.xml"
    trace = tmp_path / "run.jsonl"
    goldens = os.path.join(SOURCE, "fixtures", "goldens")
    r = run("run", "--report", str(tmp_path / "report"), "--junit", str(junit),
            "--trace", str(trace), "--golden", goldens, SCENARIOS, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    suite = ET.parse(junit).getroot()
    assert int(suite.get("tests")) >= 25 and suite.get("failures") == "0"
    summary = json.loads((tmp_path / "report" / "summary.json").read_text())
    assert all(s["passed"] for s in summary["scenarios"] if not s.get("skipped"))
    # only the scenarios that drive a SPICE client are not for local
    assert all(s["id"].startswith("client/") for s in summary["scenarios"] if s.get("skipped"))
    # every per-scenario trace reads back and equals itself
    for s in summary["scenarios"]:
        if s.get("skipped"):
            continue
        d = run("diff", s["trace"], s["trace"])
        assert d.returncode == 0, d.stdout + d.stderr
    assert run("diff", "--no-time", str(trace), str(trace)).returncode == 0
    assert not stray_processes("vdsim-local-")


def test_wrong_expectation_fails_located(run, tmp_path):
    f = write(tmp_path, "wrong.yaml", ONE_HEAD % ("error", "1024x768+0+0"))
    r = run("run", "--report", str(tmp_path / "r"), f)
    assert r.returncode == 1
    assert (f"{f}:4:5: step 2 (expect): expected reply type=monitors-config error=error "
            "within 1000 ms, got reply type=monitors-config error=success after") in r.stdout


def test_guest_check_fails_located(run, tmp_path):
    f = write(tmp_path, "screen.yaml", ONE_HEAD % ("success", "1280x1024+0+0"))
    r = run("run", "--report", str(tmp_path / "r"), f)
    assert r.returncode == 1
    assert (f"{f}:5:5: step 3 (guest): the X screen shows [1024x768+0+0] after 1000 ms, "
            "expected [1280x1024+0+0]") in r.stdout
    # the failing scenario leaves the agents' logs in the report
    log = (tmp_path / "r" / "logs" / "t_one-head.log").read_text()
    assert "spice-vdagentd" in log


def test_golden_pass_and_corrupted(run, tmp_path):
    f = write(tmp_path, "g.yaml", ONE_HEAD % ("success", "1024x768+0+0"))
    golden = tmp_path / "goldens"
    r = run("run", "--report", str(tmp_path / "r1"), "--golden", str(golden), "--update-golden", f)
    assert r.returncode == 0, r.stdout
    gfile = golden / "t" / "one-head.jsonl"
    assert gfile.exists()
    r = run("run", "--report", str(tmp_path / "r2"), "--golden", str(golden), f)
    assert r.returncode == 0, r.stdout
    # corrupt the golden: the reply it remembers says error
    lines = gfile.read_text().splitlines()
    for i, line in enumerate(lines):
        ev = json.loads(line)
        if ev.get("type") == "reply":
            ev["fields"]["error"] = "error"
            lines[i] = json.dumps(ev)
    gfile.write_text("\n".join(lines) + "\n")
    r = run("run", "--report", str(tmp_path / "r3"), "--golden", str(golden), f)
    assert r.returncode == 1
    assert f"{f}:4:5: step 2 differs from golden:" in r.stdout
    assert 'fields.error: "success" != "error" (golden)' in r.stdout
    assert f"golden {gfile}:" in r.stdout


LONG = """id: t/long
steps:
  - send: {msg: monitors-config, monitors: [{w: 800, h: 600}]}
  - expect: {msg: reply, within: 1s}
  - not: {msg: reply, within: 20s}
"""


def start_long_run(vdsim, tmp_path):
    """vdsim running a scenario that waits 20 s once the agent has replied."""
    f = write(tmp_path, "long.yaml", LONG)
    trace = tmp_path / "t.jsonl"
    p = subprocess.Popen([vdsim, "run", "--report", str(tmp_path / "r"), "--trace", str(trace), f],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not (trace.exists() and '"type":"reply"' in trace.read_text()):
        assert time.monotonic() < deadline, "no reply recorded within 30 s"
        assert p.poll() is None, p.communicate()
        time.sleep(0.05)
    return p, trace


def test_agent_dies_mid_scenario(vdsim, tmp_path):
    p, trace = start_long_run(vdsim, tmp_path)
    deadline = time.monotonic() + 30
    pid = None
    while pid is None and time.monotonic() < deadline:
        for line in stray_processes("vdsim-local-"):
            if "spice-vdagentd" in line and "-u" in line:
                pid = int(line.split(":")[0])
        time.sleep(0.05)
    assert pid, "spice-vdagentd never started"
    os.kill(pid, signal.SIGKILL)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 1, out + err
    assert "step 3 (not): the agent stack is gone: spice-vdagentd was killed by signal 9" in out
    # the partial trace is kept: the monitors config and the reply are in it
    events = [json.loads(l) for l in trace.read_text().splitlines()[1:]]
    assert [e.get("type") for e in events if e["kind"] == "agent"] == ["monitors-config", "reply"]
    assert not stray_processes("vdsim-local-")


def test_stack_that_cannot_start_is_exit_3(tmp_path):
    f = write(tmp_path, "s.yaml", ONE_HEAD % ("success", "1024x768+0+0"))
    env = dict(os.environ, VDSIM_VDAGENTD="/bin/false")
    r = subprocess.run([os.environ["VDSIM"], "run", "--report", str(tmp_path / "r"), f],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 3, r.stdout + r.stderr
    assert "the local target did not start: spice-vdagentd did not create" in r.stdout
    assert "spice-vdagentd exited with status 1" in r.stdout
    assert not stray_processes("vdsim-local-")


def test_interrupt_leaves_trace_and_no_processes(vdsim, tmp_path):
    p, trace = start_long_run(vdsim, tmp_path)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 3, out + err
    assert "step 3 (not): interrupted" in out
    assert '"type":"reply"' in trace.read_text()
    assert not stray_processes("vdsim-local-")


def test_repeat_gives_latency_statistics(run, tmp_path):
    f = write(tmp_path, "rep.yaml", """id: t/rep
steps:
  - send:   {msg: monitors-config, monitors: [{w: 1024, h: 768}]}
  - expect: {msg: reply, type: monitors-config, within: 1s}
""")
    r = run("run", "--report", str(tmp_path / "r"), "--repeat", "20", f)
    assert r.returncode == 0, r.stdout
    assert "reply n=20 p50" in r.stdout and " p99 " in r.stdout
    lat = json.loads((tmp_path / "r" / "summary.json").read_text())["scenarios"][0]["latencies"][0]
    assert lat["n"] == 20 and lat["p50-ms"] <= lat["p99-ms"] <= lat["max-ms"]


def test_lint_errors(run, tmp_path):
    f = write(tmp_path, "bad.yaml", "id: x\nsteps:\n  - expect: {msg: replyy}\n")
    r = run("lint", f)
    assert r.returncode == 2
    assert f"{f}:3:19: unknown message 'replyy' (did you mean 'reply'?)" in r.stderr
    r = run("run", f)
    assert r.returncode == 2 and f"{f}:3:19:" in r.stderr
    ok = run("lint", SCENARIOS)
    assert ok.returncode == 0 and "0 with errors" in ok.stdout


def test_shards_partition_the_suite(run, tmp_path):
    ran = []
    for k in (1, 2, 3):
        r = run("run", "--shard", f"{k}/3", "--report", str(tmp_path / f"s{k}"), SCENARIOS,
                timeout=300)
        assert r.returncode == 0, r.stdout
        summary = json.loads((tmp_path / f"s{k}" / "summary.json").read_text())
        ran.append([s["id"] for s in summary["scenarios"]])
    everything = [i for ids in ran for i in ids]
    assert len(everything) == len(set(everything)) >= 25  # disjoint, and all of them
    r = run("run", "--shard", "4/3", SCENARIOS)
    assert r.returncode == 2 and "1 <= K <= N" in r.stderr


def test_agent_up_until_ctrl_c(vdsim):
    p = subprocess.Popen([vdsim, "agent", "up"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    first = p.stdout.readline()
    assert first.startswith("agent ready: ") and "DISPLAY=:" in first, first + p.stderr.read()
    assert stray_processes("vdsim-local-")
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    assert not stray_processes("vdsim-local-")


def test_xvfb_fallback_and_its_limit(tmp_path):
    """Without Xorg's dummy driver the target falls back to Xvfb, says so, and
    multi-monitor layouts cannot apply there."""
    require_programs("Xvfb")
    env = dict(os.environ, VDSIM_XSERVER="xvfb")
    one = os.path.join(SCENARIOS, "monitors", "one-head.yaml")
    two = os.path.join(SCENARIOS, "monitors", "two-heads.yaml")
    r = subprocess.run([os.environ["VDSIM"], "run", "--report", str(tmp_path / "r"), one, two],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "target: Xvfb (one output" in r.stdout
    assert "PASS monitors/one-head" in r.stdout
    assert ("step 3 (guest): the X screen shows [1280x720+0+0] after 3000 ms, expected "
            "[1280x720+0+0, 1024x768+1280+0]") in r.stdout
