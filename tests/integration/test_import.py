"""vdsim import and replay against the real agent: synthetic captures made
byte for byte as the protocol lays them out (helpers/pcapgen.py), with the
link layers and TCP troubles a field capture has, and traces of vdsim's own
runs. The captures spice-gtk makes are in test_spice.py."""
import json
import os
import struct
import sys

import pytest

from conftest import SOURCE, require_programs

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "helpers"))
import pcapgen  # noqa: E402

SEND_EXPECT = ("  - send: {msg: monitors-config, flags: [], monitors: [{w: 1024, h: 768, x: 0, "
               "y: 0, depth: 32}]}\n")


def agent_said(report):
    """The last complaint the agents logged in a one-scenario run's report."""
    summary = json.loads((report / "summary.json").read_text())
    return summary["scenarios"][0].get("agent-said")


def steps(text):
    """The scenario's steps without the field comments (they carry frames and times)."""
    return [line for line in text.splitlines() if line.startswith("  - ")]


@pytest.mark.parametrize("link", ["ethernet", "null", "cooked", "cooked2", "raw"])
@pytest.mark.parametrize("v6", [False, True])
def test_link_layers_and_ip_versions(run, tmp_path, link, v6):
    path = tmp_path / "c.pcap"
    pcapgen.capture(str(path), link=link, v6=v6)
    r = run("import", str(path))
    assert r.returncode == 0, r.stderr
    assert SEND_EXPECT in r.stdout
    assert "  - expect: {msg: reply, type: monitors-config, error: success, within: 1s}" in r.stdout
    assert "client-caps: [mouse-state, monitors-config, reply, clipboard," in r.stdout


def test_tcp_out_of_order_and_retransmitted_is_the_same_session(run, tmp_path):
    straight = tmp_path / "a.pcap"
    pcapgen.capture(str(straight))
    expect = steps(run("import", str(straight)).stdout)

    def shuffled(tcp):
        """Each direction's segments as they went out, but the two directions'
        frames kept in place; within a direction, pairs swapped (a later
        segment overtaking an earlier one) and every third sent twice."""
        order = list(range(len(tcp.segments)))
        for direction in (True, False):
            mine = [i for i in order if tcp.segments[i][0] == direction and tcp.segments[i][3]]
            for a, b in zip(mine[::2], mine[1::2]):
                ia, ib = order.index(a), order.index(b)
                order[ia], order[ib] = b, a
        return [k for i in order for k in ([i, i] if i % 3 == 0 else [i])]
    messy = tmp_path / "b.pcap"
    pcapgen.capture(str(messy), order=shuffled)
    r = run("import", str(messy))
    assert r.returncode == 0, r.stderr
    assert steps(r.stdout) == expect


def test_a_gap_in_agent_data_loses_that_message_not_the_import(run, tmp_path):
    path = tmp_path / "gap.pcap"
    # the client's messages go in segments of 1000 bytes: with a segment
    # inside the 4 KiB clipboard missing, the monitors-config before it and
    # the one after it still import; the agent stream picks up at the next
    # piece that starts a message
    big = pcapgen.agent(pcapgen.CLIPBOARD, struct.pack("<I", 1) + b"x" * 4000)
    extra = [(True, pcapgen.agent_data(big, True)),
             (True, pcapgen.agent_data(pcapgen.monitors(800, 600), True)),
             (False, pcapgen.agent_data(pcapgen.reply(pcapgen.MONITORS_CONFIG), False))]

    def lose_one(tcp):
        client = [i for i, s in enumerate(tcp.segments) if s[0] and s[3]]
        lost = client[-3]  # the clipboard's third 1000 bytes
        return [i for i in range(len(tcp.segments)) if i != lost]
    pcapgen.capture(str(path), order=lose_one, extra=extra)
    r = run("import", str(path))
    assert r.returncode == 0, r.stderr
    assert SEND_EXPECT in r.stdout
    assert "# left out: agent data to the agent at frame 16 lost bytes in a gap: the message " \
           "it carried is not imported, nor any until a piece starts a message again" in r.stdout
    assert "# left out: agent data to the agent picks up again at frame 18" in r.stdout, r.stdout
    assert "msg: clipboard," not in r.stdout
    assert SEND_EXPECT.replace("1024", "800").replace("768", "600") in r.stdout, r.stdout
    assert r.stdout.count("  - expect: {msg: reply, type: monitors-config, error: success") == 2


def test_a_truncated_file_keeps_what_came_before(run, tmp_path):
    path = tmp_path / "cut.pcap"
    data = pcapgen.capture(str(path))
    path.write_bytes(data[:-10])  # the last frame (the reply) is cut
    r = run("import", str(path))
    assert r.returncode == 0, r.stderr
    assert "# left out: the capture is cut short:" in r.stdout and "frame 13" in r.stdout
    assert SEND_EXPECT in r.stdout
    assert "the field agent never answered this monitors-config" in r.stdout


def test_a_capture_cut_by_its_snap_length_says_so(run, tmp_path):
    """tcpdump -s 96 (an old tcpdump's default) keeps 42 bytes of each
    segment's payload here: the link reply is lost to a gap, and the import
    says why and what to do."""
    tcp = pcapgen.Tcp()
    tcp.syn()
    for to_server, data in pcapgen.session():
        tcp.send(to_server, data)
    pcapgen.write_pcap(str(tmp_path / "snap.pcap"), tcp, snap=96)
    r = run("import", str(tmp_path / "snap.pcap"))
    assert r.returncode == 2
    assert "note: 3 frames (the first is frame 4) were cut to the capture's snap length of 96 " \
           "bytes: what they lost is gaps (capture with -s 0)" in r.stderr, r.stderr
    assert "the server's link reply cannot be read" in r.stderr, r.stderr


def test_captures_without_a_readable_session_say_why(run, tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a capture at all" * 10)
    r = run("import", str(junk))
    assert r.returncode == 2 and "not a capture libpcap reads" in r.stderr

    http = pcapgen.Tcp(server=("10.0.0.1", 80))
    http.syn()
    http.send(True, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    http.send(False, b"HTTP/1.1 200 OK\r\n\r\n")
    pcapgen.write_pcap(str(tmp_path / "http.pcap"), http)
    r = run("import", str(tmp_path / "http.pcap"))
    assert r.returncode == 2
    assert "no SPICE session vdsim can read" in r.stderr and "not SPICE (no REDQ link)" in r.stderr

    tls = pcapgen.Tcp(server=("10.0.0.1", 5901))
    tls.syn()
    tls.send(True, b"\x16\x03\x01\x02\x00" + bytes(512))
    pcapgen.write_pcap(str(tmp_path / "tls.pcap"), tls)
    r = run("import", str(tmp_path / "tls.pcap"))
    assert r.returncode == 2 and "TLS: vdsim cannot read it" in r.stderr

    late = tmp_path / "late.pcap"
    pcapgen.capture(str(late), syn=False, order=lambda tcp: range(6, len(tcp.segments)))
    r = run("import", str(late))
    assert r.returncode == 2
    assert "started before the capture: no SYN, no link" in r.stderr


def test_a_client_that_does_not_wait_for_the_agents_announcement(run, tmp_path):
    """spice-html5 announces and sends its monitor config at once; the
    agent's answer to the announcement comes after the config. The answer is
    still the session's start, not an expectation, and the steps are those
    of a client that waited."""
    plain = tmp_path / "plain.pcap"
    pcapgen.capture(str(plain))
    want = steps(run("import", str(plain)).stdout)
    items = pcapgen.session()
    answer = items.pop(8)  # the agent's announcement, after the client's monitors-config
    items.insert(9, answer)
    tcp = pcapgen.Tcp()
    tcp.syn()
    for to_server, data in items:
        tcp.send(to_server, data)
    pcapgen.write_pcap(str(tmp_path / "eager.pcap"), tcp)
    r = run("import", str(tmp_path / "eager.pcap"))
    assert r.returncode == 0, r.stderr
    assert steps(r.stdout) == want, r.stdout
    assert "field-agent-caps: [" in r.stdout


def import_refused(run, tmp_path, request, answer):
    """The import of a connection whose HTTP request got that answer: no
    session (exit 2)."""
    refused = pcapgen.Tcp()
    refused.syn()
    refused.send(True, request)
    refused.send(False, answer)
    pcapgen.write_pcap(str(tmp_path / "refused.pcap"), refused)
    r = run("import", str(tmp_path / "refused.pcap"))
    assert r.returncode == 2, r.stdout
    return r


def test_spice_inside_a_websocket_imports_as_plain_spice(run, tmp_path):
    """Web clients (spice-html5) reach spice-server through a WebSocket: the
    same session in frames (masked, cut and continued, pings between, a
    64-bit length), its segments reordered and retransmitted, imports to the
    same steps as plain SPICE. A refused upgrade is named with its status."""
    plain, ws = tmp_path / "plain.pcap", tmp_path / "ws.pcap"
    pcapgen.capture(str(plain))
    want = steps(run("import", str(plain)).stdout)

    def resent(tcp):
        return [k for i in range(len(tcp.segments)) for k in ([i, i] if i % 4 == 1 else [i])]
    pcapgen.capture(str(ws), ws=True, order=resent)
    r = run("import", str(ws))
    assert r.returncode == 0, r.stderr
    assert steps(r.stdout) == want
    assert "# vdsim import of %s, session 1, SPICE over WebSocket\n" % ws in r.stdout
    r = run("import", "--list", str(ws))
    assert "session 1: 10.0.0.2:40000 -> 10.0.0.1:5900 over WebSocket from frame 1" in r.stdout

    r = import_refused(run, tmp_path, pcapgen.UPGRADE,
                       b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    assert "the server refused the WebSocket upgrade: HTTP/1.1 400 Bad Request" in r.stderr


def test_spice_through_an_http_proxy_imports_as_plain_spice(run, tmp_path):
    """spice-gtk with SPICE_PROXY: a CONNECT and the proxy's answer, then
    SPICE. The same steps as plain; a refused CONNECT quotes both lines."""
    plain, proxied = tmp_path / "plain.pcap", tmp_path / "proxied.pcap"
    pcapgen.capture(str(plain))
    pcapgen.capture(str(proxied), proxy=True)
    r = run("import", str(proxied))
    assert r.returncode == 0, r.stderr
    assert steps(r.stdout) == steps(run("import", str(plain)).stdout)
    assert ", session 1, SPICE through an HTTP proxy (CONNECT 10.0.0.1:5900)\n" in r.stdout
    r = import_refused(run, tmp_path, pcapgen.CONNECT, b"HTTP/1.1 403 Access violation\r\n\r\n")
    assert "the proxy refused CONNECT 10.0.0.1:5900 HTTP/1.1: HTTP/1.1 403 Access violation" \
        in r.stderr, r.stderr


def test_several_sessions_are_listed_and_one_is_picked(run, tmp_path):
    a, b = pcapgen.Tcp(client=("10.0.0.2", 40000)), pcapgen.Tcp(client=("10.0.0.3", 40001))
    for tcp, sid in ((a, 1), (b, 2)):
        tcp.syn()
        for to_server, data in pcapgen.session(session_id=sid):
            tcp.send(to_server, data)
    both_path = tmp_path / "two.pcap"
    pcapgen.write_conns(str(both_path), [a, b])
    r = run("import", str(both_path))
    assert r.returncode == 2 and "holds 2 SPICE sessions" in r.stderr
    assert "session 1: 10.0.0.2:40000 -> 10.0.0.1:5900" in r.stderr
    r = run("import", "--session", "2", str(both_path))
    assert r.returncode == 0, r.stderr
    assert "# vdsim import of %s, session 2" % both_path in r.stdout
    r = run("import", "--session", "3", str(both_path))
    assert r.returncode == 2 and "no session 3 (the capture holds 2)" in r.stderr
    r = run("import", "--list", str(both_path))
    assert r.returncode == 0 and "2 SPICE sessions" in r.stdout
    assert "session 2: 10.0.0.3:40001 -> 10.0.0.1:5900 from frame" in r.stdout
    assert "4 agent messages" in r.stdout


def test_each_leg_of_a_proxy_keeps_its_own_channels(run, tmp_path):
    """A capture on both sides of a proxy holds each link twice, with the
    same session id: a channel joins the session whose main channel went to
    the same server, so each leg has its one mouse event, not both."""
    legs = []
    for n, server in enumerate((("10.0.0.9", 8888), ("10.0.0.1", 5900))):
        main = pcapgen.Tcp(client=("10.0.0.%d" % (2 + n), 40000), server=server)
        mouse = pcapgen.Tcp(client=("10.0.0.%d" % (2 + n), 40001), server=server)
        for tcp, items in ((main, pcapgen.session()), (mouse, pcapgen.inputs(0x1234, 10, 20))):
            tcp.syn()
            for to_server, data in items:
                tcp.send(to_server, data)
            legs.append(tcp)
    stray = pcapgen.Tcp(client=("10.0.0.7", 40002))
    stray.syn()
    for to_server, data in pcapgen.inputs(0x9999, 1, 2):
        stray.send(to_server, data)
    path = tmp_path / "legs.pcap"
    pcapgen.write_conns(str(path), legs + [stray])
    r = run("import", "--list", str(path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("4 agent messages, 1 mouse events") == 2, r.stdout
    assert "inputs channel of session 39321, whose main channel is not in the capture" \
        in r.stdout, r.stdout
    for session in ("1", "2"):
        out = run("import", "--session", session, str(path)).stdout
        assert out.count("  - send: {msg: mouse-state, x: 10, y: 20}") == 1, out


def test_replay_of_a_capture_is_reproduced_on_the_real_agent(run, tmp_path):
    require_programs("spice-vdagentd", "spice-vdagent")
    path = tmp_path / "field.pcap"
    pcapgen.capture(str(path))
    out = tmp_path / "field.yaml"
    r = run("import", str(path), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert run("lint", str(out)).returncode == 0
    for target in ("local", "local-server"):
        rep = tmp_path / ("rep-" + target)
        r = run("replay", "--target", target, "--report", str(rep), str(path), timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "verdict: reproduced" in r.stdout
        summary = json.loads((rep / "summary.json").read_text())
        assert summary["verdict"]["result"] == "reproduced"


def test_a_known_agent_bug_reproduces_from_a_capture(run, tmp_path):
    """spice-vdagentd 0.22.1 drops a MONITORS_CONFIG with the physical-size
    trailer (as spice-gtk >= 0.39 sends it) without a reply. A field capture
    of that replays as: the agent here does not answer either."""
    require_programs("spice-vdagentd", "spice-vdagent")
    phys = pcapgen.agent(pcapgen.MONITORS_CONFIG, struct.pack("<II", 1, 2) +
                         struct.pack("<IIIii", 768, 1024, 32, 0, 0) + struct.pack("<HH", 300, 200))
    path = tmp_path / "physical-size.pcap"
    pcapgen.capture(str(path), extra=[(True, pcapgen.agent_data(phys, True))])
    r = run("import", str(path))
    assert "flags: [physical-size]" in r.stdout
    assert "the field agent never answered this monitors-config" in r.stdout
    r = run("replay", "--report", str(tmp_path / "rep"), str(path), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "verdict: reproduced" in r.stdout
    # and the agent's own word on why, from this scenario's part of its log
    assert agent_said(tmp_path / "rep") == \
        "spice-vdagentd: invalid message size for VDAgentMonitorsConfig"


def test_a_divergence_is_named_field_beside_here(run, tmp_path):
    """A field agent that answered what the agent here drops: not reproduced,
    with the field's message and what happened here."""
    require_programs("spice-vdagentd", "spice-vdagent")
    phys = pcapgen.agent(pcapgen.MONITORS_CONFIG, struct.pack("<II", 1, 2) +
                         struct.pack("<IIIii", 768, 1024, 32, 0, 0) + struct.pack("<HH", 300, 200))
    path = tmp_path / "fixed-agent.pcap"
    pcapgen.capture(str(path), extra=[(True, pcapgen.agent_data(phys, True)),
                                      (False, pcapgen.agent_data(
                                          pcapgen.reply(pcapgen.MONITORS_CONFIG), False))])
    r = run("replay", "--report", str(tmp_path / "rep"), str(path), timeout=120)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "verdict: not reproduced: field: frame" in r.stdout
    assert "the agent sent reply type=monitors-config error=success; here: expected reply" in r.stdout


def test_a_trace_imports_and_replays(run, tmp_path):
    require_programs("spice-vdagentd", "spice-vdagent", "xclip")
    scenario = os.path.join(SOURCE, "scenarios", "clipboard", "guest-to-client.yaml")
    r = run("run", "--report", str(tmp_path / "rep"), scenario, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    trace = tmp_path / "rep" / "traces" / "clipboard_guest-to-client.jsonl"
    r = run("import", str(trace))
    assert r.returncode == 0, r.stderr
    assert "  - guest-copy: {text:" in r.stdout  # the guest's user copied
    r = run("replay", "--report", str(tmp_path / "rep2"), str(trace), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "verdict: reproduced" in r.stdout


def test_a_reproducing_capture_minimises_to_the_message_that_shows_it(run, tmp_path):
    """A field capture of 0.22.1's physical-size bug among a dozen layouts the
    agent answered: reproduced here, then minimised on the real agent to the
    one message the field agent never answered."""
    require_programs("spice-vdagentd", "spice-vdagent")
    phys = pcapgen.agent(pcapgen.MONITORS_CONFIG, struct.pack("<II", 2, 2) +
                         struct.pack("<IIIii", 768, 1024, 32, 0, 0) +
                         struct.pack("<IIIii", 600, 800, 32, 1024, 0) +
                         struct.pack("<HHHH", 300, 200, 300, 200))
    extra = []
    for k in range(6):
        extra += [(True, pcapgen.agent_data(pcapgen.monitors(800 + 16 * k, 600), True)),
                  (False, pcapgen.agent_data(pcapgen.reply(pcapgen.MONITORS_CONFIG), False))]
    extra.insert(6, (True, pcapgen.agent_data(phys, True)))
    path = tmp_path / "field.pcap"
    pcapgen.capture(str(path), extra=extra)
    scenario = tmp_path / "field.yaml"
    assert run("import", str(path), "-o", str(scenario)).returncode == 0
    minimal = tmp_path / "minimal.yaml"
    r = run("minimize", str(scenario), "-o", str(minimal), timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert ("reproduces: reproduced: no reply after send monitors-config; the agent logged: "
            "spice-vdagentd: invalid message size for VDAgentMonitorsConfig") in r.stdout, r.stdout
    text = minimal.read_text()
    assert steps(text) == [
        "  - send: {msg: monitors-config, flags: [physical-size], monitors: [{w: 1024, h: 768, "
        "x: 0, y: 0, depth: 32, w-mm: 200, h-mm: 300}]}",
        "  - not: {msg: reply, within: 1s}"], text
    assert run("replay", "--report", str(tmp_path / "rep"), str(minimal),
               timeout=120).returncode == 0
    # a scenario that passes and shows nothing a field agent failed to do
    plain = tmp_path / "plain.yaml"
    plain.write_text("id: t/plain\nsteps:\n" + SEND_EXPECT.replace("flags: [], ", "") +
                     "  - expect: {msg: reply, type: monitors-config, within: 1s}\n")
    r = run("minimize", str(plain), "-o", str(tmp_path / "m2.yaml"), timeout=120)
    assert r.returncode == 1 and "nothing to minimise" in r.stderr


def test_a_client_targets_trace_keeps_its_mouse_once(run, tmp_path):
    """Through a SPICE client a mouse state goes out as the inputs channel's
    message, and the trace has both views: the import takes it once."""
    require_programs("spice-vdagentd", "spice-vdagent")
    scenario = os.path.join(SOURCE, "scenarios", "client", "inputs-mouse.yaml")
    r = run("run", "--target", "local-server", "--report", str(tmp_path / "rep"), scenario,
            timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    trace = tmp_path / "rep" / "traces" / "client_inputs-mouse.jsonl"
    r = run("import", str(trace))
    assert r.returncode == 0, r.stderr
    assert [s for s in steps(r.stdout) if "mouse-state" in s] == [
        "  - send: {msg: mouse-state, x: 300, y: 400}",
        "  - send: {msg: mouse-state, x: 300, y: 400, buttons: [left]}",
        "  - send: {msg: mouse-state, x: 300, y: 400}"], r.stdout
    r = run("replay", "--target", "local-server", "--report", str(tmp_path / "rep2"), str(trace),
            timeout=120)
    assert r.returncode == 0 and "verdict: reproduced" in r.stdout, r.stdout + r.stderr


def clip(atype, sel, body):
    """A clipboard message with the selection prefix (both sides announce it)."""
    return pcapgen.agent(atype, struct.pack("<B3x", sel) + body)


def test_large_clipboard_data_goes_to_payload_files_and_replays(run, tmp_path):
    """Clipboard data above the trace's 4 KiB raw limit: the capture holds it
    whole, the import writes it beside the scenario, and the replay sends
    those bytes and checks them on both sides of the guest's clipboard."""
    require_programs("spice-vdagentd", "spice-vdagent", "xclip")
    to_guest = b"".join(b"client line %05d: caf\xc3\xa9\n" % i for i in range(700))
    to_host = b"".join(b"guest line %05d\n" % i for i in range(900))
    assert len(to_guest) > 4096 and len(to_host) > 4096
    utf8 = struct.pack("<I", 1)
    extra = [  # the guest pastes what the client copied, then copies its own
        (True, pcapgen.agent_data(clip(pcapgen.GRAB, 0, struct.pack("<I", 0) + utf8), True)),
        (False, pcapgen.agent_data(clip(pcapgen.REQUEST, 0, utf8), False)),
        (True, pcapgen.agent_data(clip(pcapgen.CLIPBOARD, 0, utf8 + to_guest), True)),
        (False, pcapgen.agent_data(clip(pcapgen.GRAB, 0, struct.pack("<I", 0) + utf8), False)),
        (True, pcapgen.agent_data(clip(pcapgen.REQUEST, 0, utf8), True)),
        (False, pcapgen.agent_data(clip(pcapgen.CLIPBOARD, 0, utf8 + to_host), False)),
    ]
    path = tmp_path / "big-clipboard.pcap"
    pcapgen.capture(str(path), extra=extra)
    out = tmp_path / "out" / "field.yaml"
    out.parent.mkdir()
    r = run("import", str(path), "-o", str(out))
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert "placeholder" not in text, text
    files = sorted((tmp_path / "out" / "field.payloads").iterdir())
    assert sorted(f.read_bytes() for f in files) == sorted([to_guest, to_host])
    sent = [s for s in steps(text) if "-file: field.payloads/clipboard-" in s]
    assert any(s.startswith("  - send: {msg: clipboard, ") for s in sent), text
    assert any(s.startswith("  - guest: {pasted-file: ") for s in sent), text
    assert any(s.startswith("  - guest-copy: {payload-file: ") for s in sent), text
    assert run("lint", str(out)).returncode == 0
    # files that cannot be written are the output's fault (3), and no scenario names them
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "field.payloads").write_text("a file where the directory goes")
    r = run("import", str(path), "-o", str(blocked / "field.yaml"))
    assert r.returncode == 3 and "field.payloads: cannot create" in r.stderr, r.stderr
    assert not (blocked / "field.yaml").exists()
    # without -o there is nowhere to keep them: placeholders, said so
    r = run("import", str(path))
    assert r.returncode == 0 and "digest only: a placeholder is sent" in r.stdout, r.stdout
    rep = tmp_path / "rep"
    r = run("replay", "--report", str(rep), str(path), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "verdict: reproduced" in r.stdout
    kept = sorted(f.read_bytes() for f in (rep / "payloads").iterdir())
    assert kept == sorted([to_guest, to_host])


def test_messages_the_codec_cannot_read_are_sent_as_they_were(run, tmp_path):
    """A field client that sent a monitors config shorter than its count says
    and a message type nobody names: both go to the agent here as the bytes
    the capture holds, and the agent's complaint is what the run reports."""
    require_programs("spice-vdagentd", "spice-vdagent")
    short = pcapgen.agent(pcapgen.MONITORS_CONFIG, struct.pack("<II", 2, 0) +
                          struct.pack("<IIIii", 768, 1024, 32, 0, 0))
    unknown = pcapgen.agent(0x7a, b"field")
    path = tmp_path / "odd.pcap"
    pcapgen.capture(str(path), extra=[(True, pcapgen.agent_data(short, True)),
                                      (True, pcapgen.agent_data(unknown, True))])
    out = tmp_path / "odd.yaml"
    r = run("import", str(path), "-o", str(out))
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert ("the client sent monitors-config (refused: message byte 20: num_of_monitors 2 "
            "needs 48 bytes, message has 28): sent as it was") in text, text
    assert "the client sent type 122 payload={hex=6669656c64}: sent as it was" in text, text
    raws = [s for s in steps(text) if s.startswith("  - raw: {hex: ")]
    assert raws == ['  - raw: {hex: "%s", chunk: true}' % m.hex() for m in (short, unknown)], text
    r = run("replay", "--report", str(tmp_path / "rep"), str(path), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "verdict: reproduced" in r.stdout
    assert agent_said(tmp_path / "rep") == "spice-vdagentd: unknown message type 122, ignoring"
