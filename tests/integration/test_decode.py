"""vdsim decode and vdsim diff against real agent traffic."""
import json
import os
import subprocess
import sys

from conftest import SOURCE, fixture, require_programs


def vectors():
    with open(fixture("codec", "vectors.jsonl")) as f:
        return [json.loads(line) for line in f if line.strip()]


def types_in(stdout):
    """The message type of each text line ('... port=N TYPE size=...')."""
    out = []
    for line in stdout.splitlines():
        words = line.split()
        i = next(i for i, w in enumerate(words) if w.startswith("port="))
        out.append(words[i + 1])
    return out


def expected_types(direction):
    names = {1: "mouse-state", 2: "monitors-config", 3: "reply", 4: "clipboard",
             5: "display-config", 6: "announce-capabilities", 7: "clipboard-grab",
             8: "clipboard-request", 9: "clipboard-release", 10: "file-xfer-start",
             11: "file-xfer-status", 12: "file-xfer-data", 13: "client-disconnected",
             14: "max-clipboard", 15: "audio-volume-sync", 16: "graphics-device-info"}
    return [names[int(v["hex"][8:10], 16)] for v in vectors() if v["dir"] == direction]


def test_agent_output_message_by_message(run):
    r = run("decode", fixture("streams", "session.from-agent.bin"))
    assert r.returncode == 0, r.stderr
    assert types_in(r.stdout) == expected_types("from-agent")
    assert 'data="guest text"' in r.stdout
    # the agent writes a 7000-byte clipboard as one 7028-byte chunk
    assert "size=7008" in r.stdout and "len=7000" in r.stdout
    assert "15 messages, 0 malformed" in r.stderr


def test_host_stream_with_vdagentd_verdicts(run):
    r = run("decode", "--from", "host", fixture("streams", "session.to-agent.bin"))
    assert r.returncode == 0, r.stderr
    assert types_in(r.stdout) == expected_types("to-agent")
    # valid for spice-common, dropped by the real agent (its log says so too)
    line = next(l for l in r.stdout.splitlines() if "physical-size" in l)
    assert 'spice-vdagentd="bad-size: monitors-config size 32 != 8 + 20 * 1 = 28"' in line
    log = open(fixture("streams", "session.agent-log.txt"), errors="replace").read()
    assert "invalid message size for VDAgentMonitorsConfig" in log
    assert 'data="héllo from vdsim ☃ 日本"' in r.stdout


def test_json_trace_and_diff(run, tmp_path):
    trace = tmp_path / "a.jsonl"
    r = run("decode", "--json", "--from", "host", fixture("streams", "session.to-agent.bin"))
    assert r.returncode == 0, r.stderr
    trace.write_text(r.stdout)
    lines = r.stdout.splitlines()
    header = json.loads(lines[0])
    assert header["vdsim-trace"] == 1 and header["tool"].startswith("vdsim ")
    events = [json.loads(l) for l in lines[1:]]
    assert len(events) == 23 and all(e["kind"] == "agent" for e in events)
    assert events[5]["fields"] == {"x": 100, "y": 200, "buttons": [], "display": 0}

    same = run("diff", str(trace), str(trace))
    assert same.returncode == 0 and "traces equal" in same.stdout
    # change one field in a copy: the diff names it and both lines
    events[1]["fields"]["monitors"][0]["w"] = 1280
    golden = tmp_path / "golden.jsonl"
    golden.write_text("\n".join([lines[0]] + [json.dumps(e) for e in events]) + "\n")
    d = run("diff", str(trace), str(golden))
    assert d.returncode == 1
    assert "event 2: fields.monitors[0].w: 1024 != 1280 (golden)" in d.stdout
    assert f"{trace}:3:" in d.stdout and f"{golden}:3:" in d.stdout


def test_trace_file_written_beside_text(run, tmp_path):
    trace = tmp_path / "t.jsonl"
    r = run("decode", "--trace", str(trace), fixture("streams", "session.from-agent.bin"))
    assert r.returncode == 0
    assert len(trace.read_text().splitlines()) == 16


def test_malformed_stream_exit_1_with_offset(run, tmp_path):
    good = open(fixture("streams", "session.to-agent.bin"), "rb").read()[:0x24]
    bad = tmp_path / "bad.bin"
    # a valid caps message, then a chunk too large for the agent to read
    bad.write_bytes(good + bytes.fromhex("01000000 01080000") + b"\0" * 32)
    r = run("decode", "--from", "host", str(bad))
    assert r.returncode == 1
    assert f"{bad}: byte 0x28: chunk size 2049 too large (limit 2048)" in r.stderr
    assert "announce-capabilities" in r.stdout  # what came before is still shown
    assert "framing-error" in r.stdout


def test_malformed_message_keeps_going(run, tmp_path):
    bad = tmp_path / "short-mouse.bin"
    mouse = bytes.fromhex("01000000 01000000 0000000000000000 0c000000") + b"\0" * 12
    reply = bytes.fromhex("01000000 03000000 0000000000000000 08000000 02000000 01000000")
    bad.write_bytes(bytes.fromhex("02000000 20000000") + mouse +
                    bytes.fromhex("01000000 1c000000") + reply)
    r = run("decode", str(bad))
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert "ERROR message byte 16: mouse-state size 12 != 13" in lines[0]
    assert "reply size=8 type=monitors-config error=success" in lines[1]
    assert "2 messages, 1 malformed" in r.stderr


def test_truncated_stream(run, tmp_path):
    data = open(fixture("streams", "session.from-agent.bin"), "rb").read()
    cut = tmp_path / "cut.bin"
    cut.write_bytes(data[:0x30])
    r = run("decode", str(cut))
    assert r.returncode == 1
    assert f"{cut}: byte 0x24: stream ended inside a chunk (24 payload bytes missing)" in r.stderr


def test_stdin_and_caps(run):
    data = open(fixture("streams", "session.from-agent.bin"), "rb").read()
    # without the selection cap the grab reads as types only, and the agent's
    # 4-byte release breaks the exact size 0: layouts follow --caps
    p = subprocess.run([os.environ["VDSIM"], "decode", "--caps", "clipboard-by-demand", "-"],
                       input=data, capture_output=True)
    assert p.returncode == 1
    assert b"clipboard-grab size=12 types=[none,utf8-text,utf8-text]" in p.stdout
    assert b"ERROR message byte 16: clipboard-release size 4 != 0" in p.stdout


def test_usage_errors(run):
    r = run("decode")
    assert r.returncode == 2 and "expected one FILE" in r.stderr
    r = run("decode", "/nonexistent.bin")
    assert r.returncode == 2 and "/nonexistent.bin: No such file or directory" in r.stderr
    r = run("decode", "--caps", "clipbaord-selection", "-")
    assert r.returncode == 2
    assert "did you mean 'clipboard-selection'?" in r.stderr
    r = run("decode", "--from", "guest", "-")
    assert r.returncode == 2 and "'agent' or 'host'" in r.stderr
    r = run("frobnicate")
    assert r.returncode == 2 and "unknown command 'frobnicate'" in r.stderr
    r = run("diff", "/nonexistent.jsonl", "/nonexistent.jsonl")
    assert r.returncode == 2 and "cannot read trace" in r.stderr


def test_a_capture_or_a_trace_is_pointed_at_the_commands_that_read_it(run, tmp_path):
    """Not decoded as port bytes (it would be a framing error at byte 0)."""
    for name, head in (("a.pcap", b"\xd4\xc3\xb2\xa1"), ("b.pcapng", b"\x0a\x0d\x0d\x0a"),
                       ("c.pcap", b"\xa1\xb2\x3c\x4d")):
        (tmp_path / name).write_bytes(head + bytes(40))
        r = run("decode", str(tmp_path / name))
        assert r.returncode == 2, r.stdout
        assert "%s is a packet capture, not a port's byte stream: vdsim import" % (
            tmp_path / name) in r.stderr
    trace = tmp_path / "t.jsonl"
    trace.write_text('{"vdsim-trace": 1}\n')
    r = run("decode", str(trace))
    assert r.returncode == 2 and "is a vdsim trace, not a port's byte stream" in r.stderr


def test_diff_located_error(run, tmp_path):
    t = tmp_path / "t.jsonl"
    t.write_text('{"vdsim-trace":1}\n{"t":1,"kind":"agent","dir":"to-agent","type":"reply"}\n'
                 '{"t":2,"kind":"agent",\n')
    r = run("diff", str(t), str(t))
    assert r.returncode == 2
    assert f"{t}:3:" in r.stderr


def test_live_agent_traffic_decodes(run, tmp_path):
    """Record a fresh session with the real agent and decode it message by message."""
    require_programs("Xvfb", "spice-vdagentd", "spice-vdagent", "xclip")
    cap = subprocess.run([sys.executable, os.path.join(SOURCE, "tools", "capture-fixtures"),
                          str(tmp_path)], capture_output=True, text=True, timeout=180)
    assert cap.returncode == 0, cap.stdout + cap.stderr
    streams = tmp_path / "streams"
    r = run("decode", str(streams / "session.from-agent.bin"))
    assert r.returncode == 0, r.stderr
    assert types_in(r.stdout) == expected_types("from-agent")
    h = run("decode", "--from", "host", str(streams / "session.to-agent.bin"))
    assert h.returncode == 0, h.stderr
    assert types_in(h.stdout) == expected_types("to-agent")
    # mouse states reached the fake uinput device as input events (24 bytes each)
    events = (streams / "session.uinput.bin").read_bytes()
    assert len(events) >= 24 * 14 and len(events) % 24 == 0
