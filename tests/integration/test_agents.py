"""Agents of other Debian suites on the `local` target, without a VM: the
agent root tools/build-agent-root makes for sid (spice-vdagent 0.23.0 while
the host has Debian 12's 0.22.1), the version everywhere, known-bug marks
judged by it (XFAIL, XPASS, --strict) and goldens chosen by it. Building
the root needs root and Debian's archive; without them these fail and say so."""
import json
import os
import shutil
import subprocess

import pytest

from conftest import SOURCE, build_tree, fixture

SCEN = os.path.join(SOURCE, "scenarios")


@pytest.fixture(scope="module")
def sid_root():
    root = build_tree("build-agent-root", "--suite", "sid", what="the sid agent root")
    assert os.access(os.path.join(root, "usr/sbin/spice-vdagentd"), os.X_OK)
    return root


def host_version():
    return subprocess.run(["dpkg-query", "-W", "-f=${Version}", "spice-vdagent"],
                          capture_output=True, text=True).stdout


def summary(report):
    with open(os.path.join(report, "summary.json")) as f:
        return json.load(f)


def by_id(s):
    return {x["id"]: x for x in s["scenarios"]}


def test_sid_suite_on_local(run, sid_root, tmp_path):
    """The whole suite against sid's agent: its version everywhere, the bug
    0.23.0 fixed passes, the two it kept are expected failures."""
    rep = tmp_path / "sid"
    junit = tmp_path / "junit.xml"
    r = run("run", "--agent-root", sid_root, "--report", str(rep), "--junit", str(junit), SCEN,
            timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    first = r.stdout.splitlines()[0]
    assert first.startswith("agent under test: spice-vdagent 0.23.0"), first
    assert sid_root in first
    s = summary(rep)
    assert s["agent-version"].startswith("0.23.0") and s["agent-version"] != host_version()
    res = by_id(s)
    assert res["monitors/physical-size"]["status"] == "pass"
    for bug in ("caps/no-selection", "robustness/announce-after-reopen"):
        assert res[bug]["status"] == "xfail", res[bug]
        assert res[bug]["known-bug"]["ref"].startswith("https://gitlab.freedesktop.org/")
    ran = [x for x in s["scenarios"] if x["status"] != "skip"]
    assert len(ran) >= 30 and all(x["status"] in ("pass", "xfail") for x in ran)
    with open(res["monitors/physical-size"]["trace"]) as f:
        header = json.loads(f.readline())
    assert header["agent-version"] == s["agent-version"]
    xml = junit.read_text()
    assert '<property name="agent-version" value="%s"/>' % s["agent-version"] in xml
    assert 'type="xfail"' in xml


def test_host_agent_has_the_fixed_bug(run, tmp_path):
    """Debian 12's agent still drops the physical-size trailer: an XFAIL
    naming the upstream fix, and the run is green."""
    rep = tmp_path / "host"
    r = run("run", "--report", str(rep), os.path.join(SCEN, "monitors", "physical-size.yaml"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "from the host" in r.stdout.splitlines()[0]
    x = by_id(summary(rep))["monitors/physical-size"]
    assert x["status"] == "xfail" and x["passed"]
    assert "merge_requests/51" in r.stdout
    assert "invalid message size for VDAgentMonitorsConfig" in x["agent-said"]


def test_a_mark_out_of_date_is_xpass(run, sid_root, tmp_path):
    """A mark whose range says 0.23.0 has the bug, on 0.23.0 that does not:
    XPASS, a notice by default, a failure under --strict."""
    text = open(os.path.join(SCEN, "monitors", "physical-size.yaml")).read()
    stale = tmp_path / "stale.yaml"
    stale.write_text(text.replace('agent: "< 0.23.0"', 'agent: "< 0.24"'))
    r = run("run", "--agent-root", sid_root, "--report", str(tmp_path / "a"), str(stale))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "XPASS monitors/physical-size" in r.stdout
    assert "known bug no longer reproduces on 0.23.0" in r.stdout
    assert "update the mark (agent < 0.24;" in r.stdout
    assert "1 xpass" in r.stdout
    r = run("run", "--strict", "--agent-root", sid_root, "--report", str(tmp_path / "b"),
            str(stale))
    assert r.returncode == 1, r.stdout + r.stderr
    assert not by_id(summary(tmp_path / "b"))["monitors/physical-size"]["passed"]


def test_golden_chosen_by_version(run, tmp_path):
    """ID@V.jsonl holds for agents from V on: a golden for every version
    (@0.1) that differs from the agent's trace fails the run and is named; one
    for a version to come (@99) is not taken."""
    goldens = tmp_path / "goldens"
    shutil.copytree(fixture("goldens"), goldens)
    one = goldens / "monitors" / "one-head.jsonl"
    lines = one.read_text().splitlines(keepends=True)
    shutil.copy(one, goldens / "monitors" / "one-head@99.jsonl")
    (goldens / "monitors" / "one-head@99.jsonl").write_text(lines[0])
    scen = os.path.join(SCEN, "monitors", "one-head.yaml")
    r = run("run", "--golden", str(goldens), "--report", str(tmp_path / "a"), scen)
    assert r.returncode == 0, r.stdout + r.stderr
    (goldens / "monitors" / "one-head@0.1.jsonl").write_text(lines[0])
    r = run("run", "--golden", str(goldens), "--report", str(tmp_path / "b"), scen)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "one-head@0.1.jsonl" in r.stdout


def test_bad_agent_root(run, tmp_path):
    r = run("run", "--agent-root", str(tmp_path), os.path.join(SCEN, "caps"))
    assert r.returncode == 2
    assert ("vdsim run: --agent-root: %s: not an agent root: no /usr/sbin/spice-vdagentd in it "
            "(tools/build-agent-root makes one)" % tmp_path) in r.stderr


REPEATABLE = [os.path.join(SCEN, f) for f in (
    "caps/announce.yaml", "monitors/one-head.yaml", "monitors/physical-size.yaml")]


def test_compare_two_nights(run, sid_root, tmp_path):
    """Two real runs that differ by the agent (Debian 12's, then sid's), 20
    repetitions each: what changed, the agents side by side, and the latency
    test's verdict; the other way round the fixed bug is back: exit 1."""
    a, b = tmp_path / "night-1", tmp_path / "night-2"
    r = run("run", "--repeat", "20", "--report", str(a), *REPEATABLE, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    r = run("run", "--repeat", "20", "--agent-root", sid_root, "--report", str(b), *REPEATABLE,
            timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    fwd = run("compare", str(a), str(b))
    assert "  agent   A: spice-vdagent %s from the host\n" % host_version() in fwd.stdout
    assert "B: spice-vdagent 0.23.0" in fwd.stdout
    assert "  fixed           monitors/physical-size: xfail -> pass\n" in fwd.stdout
    assert "NEW FAILURE" not in fwd.stdout
    # 20 samples a side where both passed (0.22.1 never answers physical-size)
    assert "latency: 2 expectations with at least 8 samples in both runs" in fwd.stdout, fwd.stdout
    # a real shift between the two agents is a finding, not an error: the
    # exit status follows what was printed
    assert fwd.returncode == (1 if "SLOWER" in fwd.stdout else 0), fwd.stdout
    back = run("compare", str(b), str(a))
    assert back.returncode == 1, back.stdout
    assert "  KNOWN BUG BACK  monitors/physical-size: pass -> xfail\n" in back.stdout
    assert "verdict: regressed" in back.stdout
    bad = run("compare", str(a), str(tmp_path / "nowhere"))
    assert bad.returncode == 2
    assert "nowhere/summary.json" in bad.stderr
