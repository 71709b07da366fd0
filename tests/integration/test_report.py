"""The HTML report as a person sees it, in Debian's headless Chromium, and
flake triage (--repeat-run, --until-fail, progress), against the real agent."""
import json
import os
import pty
import re
import subprocess
import sys
import time

import pytest

from conftest import SOURCE, require_programs

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "helpers"))
from browser import Browser, chromium_path  # noqa: E402

SCENARIOS = os.path.join(SOURCE, "scenarios")

# a scenario that fails on any agent: the agent never grabs the clipboard
# for a monitor layout
FAILING = """id: report/fails
requirement: a step that fails, for the report to show
steps:
  - send:   {msg: monitors-config, monitors: [{w: 1024, h: 768}]}
  - expect: {msg: clipboard-grab, within: 300ms}
"""


def page_data(path):
    """The data the page draws, as vdsim wrote it into the page."""
    text = open(path, encoding="utf-8").read()
    m = re.search(r'<script type="application/json" id="vdsim-data">(.*?)</script>', text, re.S)
    assert m, "no data element in %s" % path
    return json.loads(m.group(1))


@pytest.fixture
def browser():
    if not chromium_path():
        pytest.fail("chromium is missing (Debian: chromium; tools/lib/install-deps test)")
    b = Browser()
    yield b
    b.close()


@pytest.fixture(scope="module")
def suite_run(vdsim, tmp_path_factory):
    """The whole suite on local, and one scenario that fails."""
    require_programs("spice-vdagentd", "spice-vdagent", "Xorg")
    d = tmp_path_factory.mktemp("suite")
    fail = d / "fails.yaml"
    fail.write_text(FAILING)
    rep = d / "report"
    r = subprocess.run([vdsim, "run", "--report", str(rep), "--junit", str(d / "junit.xml"),
                        "--golden", os.path.join(SOURCE, "fixtures", "goldens"),
                        SCENARIOS, str(fail)], capture_output=True, text=True, timeout=400)
    assert r.returncode == 1, r.stdout + r.stderr  # the failing one (it has no golden)
    assert r.stdout.count("\nFAIL ") == 1, r.stdout
    assert "report: %s/index.html" % rep in r.stdout
    return rep


def test_the_suites_page_shows_every_scenario_failure_and_ladder(suite_run, browser, tmp_path):
    page = suite_run / "index.html"
    summary = json.loads((suite_run / "summary.json").read_text())
    took = browser.open(str(page))
    shot = tmp_path / "report.png"
    try:
        # nothing fetched: the page is the one file
        assert [u for u in browser.requests if u != "file://" + str(page)] == []
        ids = browser.eval("[...document.querySelectorAll('tr.row')].map(r => r.dataset.id)")
        assert ids == [s["id"] for s in summary["scenarios"]]
        statuses = browser.eval(
            "[...document.querySelectorAll('tr.row')].map(r => r.dataset.status)")
        assert statuses == [s["status"] for s in summary["scenarios"]]
        # the failure first, located, with the agents' log lines
        cards = browser.eval(
            "[...document.querySelectorAll('.failure')].map(c => [c.dataset.id, c.textContent])")
        assert [c[0] for c in cards] == ["report/fails"]
        assert "fails.yaml:5:5: step 2 (expect): expected clipboard-grab within 300 ms" in cards[0][1]
        assert browser.eval("document.querySelectorAll('.failure pre.log span').length") > 0
        # every failing step (the failure and the known bugs) is marked in its ladder
        failed = [s for s in summary["scenarios"] if s.get("failed-step")]
        assert len(failed) >= 3  # report/fails and the xfails
        for s in failed:
            browser.click("tr.row[data-id='%s']" % s["id"])
            sel = "svg.ladder[data-id='%s'] .failed-step[data-step='%d']" % (s["id"],
                                                                          s["failed-step"])
            assert browser.eval("!!document.querySelector(%s)" % json.dumps(sel)), s["id"]
        # a known scenario's arrows, in order, with its expectation windows
        sid = "clipboard/guest-to-client"
        browser.click("tr.row[data-id='%s']" % sid)
        arrows = browser.eval(
            "[...document.querySelectorAll(\"svg.ladder[data-id='%s'] .arrow\")]"
            ".map(a => a.dataset.kind + ':' + a.dataset.type)" % sid)
        assert arrows == ["note:guest copy", "agent:clipboard-grab", "agent:clipboard-request",
                          "agent:clipboard"]
        spans = browser.eval("[...document.querySelectorAll(\"svg.ladder[data-id='%s'] "
                             "rect.span-expect\")].map(r => r.dataset.step)" % sid)
        assert spans == ["2", "4"]
        charts = browser.eval("[...document.querySelectorAll('.chart svg')].map(c => c.dataset.msg)")
        assert "clipboard-grab" in charts and "clipboard" in charts
        # with --golden, the golden's time beside the samples
        assert browser.eval("document.querySelectorAll(\".chart svg[data-msg='clipboard-grab'] "
                            "line.golden\").length") == 1
        # a click on an arrow shows its decoded fields and its bytes
        browser.click("svg.ladder[data-id='%s'] .arrow[data-type='clipboard'] line.hit" % sid)
        fields = browser.eval("document.querySelector('.detail-panel:not([hidden]) pre.fields')"
                              ".textContent")
        assert json.loads(fields)["fields"]["data"] == "guest text"
        dump = browser.eval("document.querySelector('.detail-panel:not([hidden]) pre.raw')"
                            ".textContent")
        assert dump.startswith("0000  01 00 00 00 04 00 00 00")  # VD_AGENT_CLIPBOARD
        lines = dump.splitlines()  # 20 header bytes, 8 of clipboard, "guest text"
        assert len(lines) == 3 and lines[1].endswith("............gues")
        assert lines[2].startswith("0020  74 20 74 65 78 74") and lines[2].endswith("t text")
        # the filter keeps the failing ones
        browser.click("button[data-filter='failed']")
        shown = browser.eval("[...document.querySelectorAll('tr.row')].filter(r => !r.hidden)"
                             ".map(r => r.dataset.id)")
        assert shown == ["report/fails"]
    finally:
        browser.screenshot(str(shot))
    assert shot.stat().st_size > 10000
    assert browser.errors == [], browser.errors
    print("opened in %.2f s, %d bytes" % (took, page.stat().st_size))


def test_report_of_a_trace_a_dir_and_a_capture(run, suite_run, browser, tmp_path):
    trace = suite_run / "traces" / "clipboard_guest-to-client.jsonl"
    out = tmp_path / "one.html"
    r = run("report", str(trace), "-o", str(out))
    assert r.returncode == 0, r.stderr
    data = page_data(out)
    assert [s["id"] for s in data["scenarios"]] == ["clipboard_guest-to-client.jsonl"]
    # the trace's replies, timed from the stimulus before each
    assert [l["msg"] for l in data["scenarios"][0]["latencies"]] == ["clipboard-grab", "clipboard"]
    browser.open(str(out))
    assert browser.eval("document.querySelectorAll('svg.ladder .arrow').length") == 4
    # an old run again, to a file of its own
    again = tmp_path / "again.html"
    assert run("report", str(suite_run), "-o", str(again)).returncode == 0
    assert len(page_data(again)["scenarios"]) == len(page_data(suite_run / "index.html")["scenarios"])
    # a capture's SPICE session, made by the importer's tests' generator
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "helpers"))
    import pcapgen
    cap = tmp_path / "field.pcap"
    pcapgen.capture(str(cap))
    page = tmp_path / "field.html"
    r = run("report", str(cap), "-o", str(page))
    assert r.returncode == 0, r.stderr
    browser.open(str(page))
    lanes = browser.eval("[...document.querySelectorAll('svg.ladder .lane-name')]"
                         ".map(t => t.textContent)")
    assert lanes == ["client", "spice-server", "agent", "guest"]
    assert browser.eval("document.querySelectorAll('svg.ladder .arrow.from-agent').length") > 0
    assert browser.errors == [], browser.errors


def test_report_input_errors_are_located(run, tmp_path):
    r = run("report", str(tmp_path / "nothing"))
    assert r.returncode == 2 and "nothing: cannot open" in r.stderr
    (tmp_path / "run" / "local").mkdir(parents=True)
    (tmp_path / "run" / "local" / "summary.json").write_text('{"scenarios": [{"id": 1}]}')
    r = run("report", str(tmp_path / "run"))
    assert r.returncode == 2 and "summary.json: cannot read summary" in r.stderr
    assert "a run's report is in %s/local" % (tmp_path / "run") in r.stderr
    r = run("report", str(tmp_path / "run" / "local"))
    assert r.returncode == 2 and "summary.json: scenario 1 has no 'id'" in r.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"vdsim-trace": 1, "tool": "x"}\n{"t": 5, "kind": "note", "note": "a"}\n'
                   '{"t": 3, "kind": "note", "note": "b"}\n')
    r = run("report", str(bad), "-o", str(tmp_path / "bad.html"))
    assert r.returncode == 0, r.stderr  # the page says where the trace went wrong
    data = page_data(tmp_path / "bad.html")
    assert data["scenarios"][0]["trace-error"].endswith("bad.jsonl:3: time goes backwards: 3 after 5")
    r = run("report", str(bad), "-o", str(tmp_path / "no" / "dir.html"))
    assert r.returncode == 3 and "dir.html: cannot create" in r.stderr


def test_repeat_run_gives_a_pass_rate_and_keeps_one_trace(run, tmp_path):
    require_programs("spice-vdagentd", "spice-vdagent", "Xorg")
    rep = tmp_path / "rep"
    r = run("run", "--repeat-run", "4", "--report", str(rep), "--junit", str(tmp_path / "j.xml"),
            os.path.join(SCENARIOS, "caps", "announce.yaml"), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "PASS caps/announce" in r.stdout and "4/4 passed (95 % CI 51.0-100.0 %)" in r.stdout
    s = json.loads((rep / "summary.json").read_text())["scenarios"][0]
    assert s["runs"]["n"] == 4 and s["runs"]["outcomes"] == "PPPP"
    assert s["runs"]["flaky"] is False
    assert abs(s["runs"]["wilson-95"][0] - 0.5101) < 1e-4
    assert len(s["latencies"][0]["samples-ms"]) == 4  # every run's sample
    assert sorted(os.listdir(rep / "traces")) == ["caps_announce.run1.jsonl"]
    assert s["runs"]["kept"] == [{"run": 1, "status": "pass",
                                  "trace": str(rep / "traces" / "caps_announce.run1.jsonl")}]
    junit = (tmp_path / "j.xml").read_text()
    assert '<property name="runs" value="4"/>' in junit
    assert '<property name="flaky" value="false"/>' in junit
    assert page_data(rep / "index.html")["scenarios"][0]["runs"]["passed"] == 4


def test_until_fail_stops_at_the_first_failure_and_keeps_its_trace(run, tmp_path):
    require_programs("spice-vdagentd", "spice-vdagent", "Xorg")
    fail = tmp_path / "fails.yaml"
    fail.write_text(FAILING)
    rep = tmp_path / "rep"
    r = run("run", "--repeat-run", "5", "--until-fail", "--report", str(rep),
            "--junit", str(tmp_path / "j.xml"), str(fail),
            os.path.join(SCENARIOS, "caps", "announce.yaml"), timeout=120)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "FAIL report/fails" in r.stdout and "run 1" in r.stdout
    assert "(1 not run: stopped at the first failure)" in r.stdout
    summary = json.loads((rep / "summary.json").read_text())
    assert summary["stopped-at-first-failure"] is True
    assert summary["not-run"] == ["caps/announce"]
    s = summary["scenarios"][0]
    assert s["runs"]["outcomes"] == "F" and s["failed-step"] == 2
    assert os.listdir(rep / "traces") == ["report_fails.run1.jsonl"]
    assert 'not run: the run stopped at the first failure' in (tmp_path / "j.xml").read_text()


def test_progress_is_a_line_in_place_on_a_terminal_and_plain_lines_in_ci(vdsim, tmp_path):
    require_programs("spice-vdagentd", "spice-vdagent", "Xorg")
    scen = [os.path.join(SCENARIOS, "caps", "announce.yaml"),
            os.path.join(SCENARIOS, "caps", "no-serial.yaml")]
    # a terminal: stderr is a pty
    master, slave = pty.openpty()
    p = subprocess.Popen([vdsim, "run", "--report", str(tmp_path / "t"), *scen],
                         stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    assert p.wait(60) == 0
    os.close(master)
    assert b"\r\x1b[K[1/2] 0 s, 0 failed: caps/announce" in seen
    assert b"\r\x1b[K[2/2]" in seen and seen.endswith(b"\r\x1b[K")  # taken back at the end
    # CI: plain lines, as often as asked
    env = dict(os.environ, VDSIM_PROGRESS_SECONDS="0")
    r = subprocess.run([vdsim, "run", "--report", str(tmp_path / "c"), *scen], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0
    assert "progress: scenario 2 of 2, " in r.stdout and "\x1b" not in r.stdout + r.stderr


def test_a_differential_run_has_a_page_that_leads_to_each_targets(run, browser, tmp_path):
    require_programs("spice-vdagentd", "spice-vdagent", "Xorg")
    rep = tmp_path / "rep"
    r = run("run", "--target", "local,local-server", "--report", str(rep),
            os.path.join(SCENARIOS, "caps", "announce.yaml"),
            os.path.join(SCENARIOS, "monitors", "one-head.yaml"), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "report: %s/index.html" % rep in r.stdout
    browser.open(str(rep / "index.html"))
    rows = browser.eval("[...document.querySelectorAll('tr.diff-row')]"
                        ".map(r => r.dataset.id + ':' + r.dataset.result)")
    assert rows == ["caps/announce:same", "monitors/one-head:same"]
    # a target's link opens that target's page at the scenario, drawn
    browser.click("tr.diff-row[data-id='monitors/one-head'] a")
    browser.wait_event("Page.loadEventFired")
    for _ in range(100):
        if browser.eval("document.body && document.body.dataset.ready === '1'"):
            break
        time.sleep(0.05)
    assert browser.eval("location.href").endswith("/local/index.html#s-monitors_one-head")
    assert browser.eval("document.querySelector('tr.row.open').dataset.id") == "monitors/one-head"
    assert browser.eval("document.querySelectorAll(\"svg.ladder[data-id='monitors/one-head'] "
                        ".arrow\").length") > 0
    assert browser.errors == [], browser.errors


def test_a_summary_edited_by_hand_still_gives_a_working_page(run, browser, tmp_path):
    """Members of the wrong type are left out, not passed to the script."""
    (tmp_path / "summary.json").write_text(json.dumps({
        "target": 5, "wall-ms": "long", "not-run": [1, "x"], "verdict": "yes",
        "scenarios": [
            {"id": "a", "status": 7, "runs": {"not-passed": [1, {"trace": 5}], "wilson-95": [1],
                                              "outcomes": ["P"]},
             "latencies": [{"step": "s", "msg": 3, "samples-ms": ["x", 1.5, None, 2]}, 1],
             "known-bug": [], "trace": "/dev/null", "logs": "/dev/zero"},
            {"id": "b", "failure": {"x": 1}, "failed-step": "2"}]}))
    r = run("report", str(tmp_path))
    assert r.returncode == 0, r.stderr
    data = page_data(tmp_path / "index.html")
    a = data["scenarios"][0]
    assert a["latencies"] == [{"samples-ms": [1.5, 2]}]
    assert "status" not in a and "known-bug" not in a
    assert a["runs"] == {"not-passed": [{}], "wilson-95": [1]}  # the script checks its length
    assert a["trace-error"] == "/dev/null: trace is a character device, not a regular file"
    browser.open(str(tmp_path / "index.html"))
    for sid in ("a", "b"):
        browser.click("tr.row[data-id='%s']" % sid)
    assert browser.eval("document.querySelectorAll('.chart svg').length") == 1
    assert browser.errors == [], browser.errors


def test_a_flaky_scenarios_failing_run_is_drawn_beside_a_passing_one(run, browser, tmp_path):
    """The page's side of flake triage: of a scenario whose runs went both
    ways, the run shown (the failing one) and the first run that went the
    other way, side by side. The real agent here is not flaky, so the
    summary of two real runs is made to say the second one failed."""
    require_programs("spice-vdagentd", "spice-vdagent", "Xorg")
    rep = tmp_path / "rep"
    r = run("run", "--repeat-run", "2", "--report", str(rep),
            os.path.join(SCENARIOS, "caps", "announce.yaml"), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    t1 = rep / "traces" / "caps_announce.run1.jsonl"
    t2 = rep / "traces" / "caps_announce.run2.jsonl"
    # run 2 sent its announcement twice in step 1: its step 2 starts a row
    # later, and the runs part at the second announcement
    lines = t1.read_text().splitlines()
    first = next(i for i, line in enumerate(lines)
                 if '"kind":"agent"' in line and '"dir":"to-agent"' in line)
    again = json.loads(lines[first])
    again["t"] += 1
    lines.insert(first + 1, json.dumps(again, separators=(",", ":")))
    t2.write_text("\n".join(lines) + "\n")
    summary = json.loads((rep / "summary.json").read_text())
    sc = summary["scenarios"][0]
    sc.update(status="fail", run=2, trace=str(t2), failure="announce.yaml:9:5: step 2 (expect): late")
    sc["runs"].update(outcomes="PF", passed=1, flaky=True,
                      kept=[{"run": 1, "status": "pass", "trace": str(t1)},
                            {"run": 2, "status": "fail", "trace": str(t2)}])
    (rep / "summary.json").write_text(json.dumps(summary))
    assert run("report", str(rep)).returncode == 0
    browser.open(str(rep / "index.html"))
    browser.click("tr.row[data-id='caps/announce']")
    ladders = browser.eval("[...document.querySelectorAll('.contrast svg.ladder')]"
                           ".map(l => [l.dataset.id, l.querySelectorAll('.arrow').length])")
    assert [l[0] for l in ladders] == ["caps/announce", "caps/announce#run1"]
    assert ladders[0][1] == ladders[1][1] + 1 > 1
    # each step starts on the same row in both ladders, and the row where
    # they part is marked in both, at run 2's second announcement
    rows = browser.eval("""[...document.querySelectorAll('.contrast svg.ladder')].map(l => ({
        steps: Object.fromEntries([...l.querySelectorAll('g[data-step] rect')]
            .map(r => [r.parentNode.dataset.step, +r.getAttribute('y')])),
        parts: [...l.querySelectorAll('rect.parts')].map(r => +r.getAttribute('y')),
        arrows: [...l.querySelectorAll('.arrow .wire')].map(w => +w.getAttribute('y1'))}))""")
    assert rows[0]["steps"] == rows[1]["steps"] and set(rows[0]["steps"]) == {"0", "1", "2"}, rows
    assert len(rows[0]["parts"]) == 1 and rows[0]["parts"] == rows[1]["parts"], rows
    assert rows[0]["parts"][0] + 14 == rows[0]["arrows"][1], rows  # the second announcement
    assert rows[0]["parts"][0] + 14 not in rows[1]["arrows"], rows  # a blank row in run 1
    assert "run 1: pass, for contrast" in browser.eval("document.querySelector('.contrast')"
                                                       ".textContent")
    assert browser.errors == [], browser.errors
