"""vdsim's SPICE client and embedded server against real programs: the agent
stack behind libspice-server, spice-gtk, tshark, QEMU, OpenSSL, and servers
that misbehave on purpose."""
import json
import os
import re
import socket
import subprocess
import threading
import time

import pytest

from conftest import (SOURCE, capturing, fixture, free_port, need, require_programs,
                      wait_listening)

HELPERS = os.path.join(os.path.dirname(__file__), "helpers")
MONITORS = """id: probe/monitors
requirement: a monitors config through a SPICE server gets its reply
steps:
  - send:   {msg: monitors-config, flags: [use-pos], monitors: [{w: 1024, h: 768, x: 0, y: 0}]}
  - expect: {msg: reply, type: monitors-config, error: success, within: 3s}
"""


@pytest.fixture
def scenario(tmp_path):
    path = tmp_path / "monitors.yaml"
    path.write_text(MONITORS)
    return str(path)


def summary(report):
    with open(os.path.join(report, "summary.json")) as f:
        return json.load(f)


def trace_events(path):
    with open(path) as f:
        lines = [json.loads(line) for line in f]
    return lines[1:]


def test_suite_passes_on_both_targets_and_the_agent_receives_the_same(run, tmp_path):
    """The suite on local and on local-server against the same goldens, then
    the differential: what the agent received through spice-server is what
    vdsim wrote to it directly, bar what scenarios declare."""
    require_programs("spice-vdagentd", "spice-vdagent")
    report = str(tmp_path / "rep")
    r = run("run", "--target", "local,local-server", "--golden", fixture("goldens"), "--report",
            report, os.path.join(SOURCE, "scenarios"), timeout=400)
    assert r.returncode == 0, r.stdout + r.stderr
    for target in ("local", "local-server"):
        s = summary(os.path.join(report, target))["scenarios"]
        ran = [x for x in s if not x.get("skipped")]
        assert len(ran) >= 25 and all(x["passed"] for x in ran), target
    s = summary(os.path.join(report, "local-server"))["scenarios"]
    ran = [x for x in s if not x.get("skipped")]
    skipped = [x for x in s if x.get("skipped")]
    # only the raw-port scenarios stay on local, and they say so
    assert all(x["id"].startswith("robustness/") for x in skipped), skipped
    # the trace holds the SPICE messages and what the agent's port carried
    ev = trace_events(next(x["trace"] for x in ran if x["id"] == "mouse/move-and-click"))
    kinds = {e["kind"] for e in ev}
    assert {"agent", "spice", "port"} <= kinds
    positions = [e for e in ev if e["kind"] == "spice" and e["type"] == "mouse-position"]
    port_mouse = [e for e in ev if e["kind"] == "port" and e.get("type") == "mouse-state"]
    assert positions and port_mouse and all(e["port"] == 2 for e in port_mouse)
    # the differential compared every scenario that ran on both
    local_ran = {x["id"] for x in summary(os.path.join(report, "local"))["scenarios"]
                 if not x.get("skipped")}
    both = local_ran & {x["id"] for x in ran}
    assert len(both) >= 25
    with open(os.path.join(report, "differential.json")) as f:
        pair = json.load(f)["pairs"][0]
    results = {x["id"]: x["result"] for x in pair["scenarios"]}
    assert pair["a"] == "local" and pair["b"] == "local-server"
    assert {i for i, v in results.items() if v == "same"} == both
    assert results["mouse/move-and-click"] == "same"  # MOUSE_STATE built by the server
    assert "differential: %d same, 0 different" % len(both) in r.stdout
    # the client's own steps ran on local-server only, and show the server's side
    assert {"client/exceed-tokens", "client/hold-tokens", "client/reconnect"} <= {
        x["id"] for x in ran} - local_ran
    ev = trace_events(next(x["trace"] for x in ran if x["id"] == "client/exceed-tokens"))
    assert any(e["kind"] == "spice" and e["type"] == "log" and "token violation" in e["message"]
               for e in ev)
    assert any(e["kind"] == "spice" and e["type"] == "closed" and e["channel"] == "main"
               for e in ev)
    # every trace reads back: events in time order, all lines valid
    for target in ("local", "local-server"):
        for x in summary(os.path.join(report, target))["scenarios"]:
            if x.get("trace"):
                d = run("diff", x["trace"], x["trace"])
                assert d.returncode == 0, d.stdout + d.stderr


def test_differential_catches_what_the_server_adds(run, tmp_path):
    """spice-server sends GRAPHICS_DEVICE_INFO to an agent that announces it:
    without the scenario saying so, the differential fails and shows it."""
    require_programs("spice-vdagentd", "spice-vdagent")
    with open(os.path.join(SOURCE, "scenarios", "caps", "announce.yaml")) as f:
        text = f.read()
    undeclared = re.sub(r"differential:.*?\nsteps:", "steps:", text, flags=re.S)
    assert "differential" not in undeclared
    path = tmp_path / "announce.yaml"
    path.write_text(undeclared)
    report = tmp_path / "rep"
    r = run("run", "--target", "local,local-server", "--report", str(report), str(path),
            timeout=120)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "PASS caps/announce" in r.stdout  # the scenario itself passes on both
    m = re.search(r"DIFF caps/announce +local vs local-server: event (\d+): missing event "
                  r"\(the local trace ended\)\n.*\n.*local-server/traces/caps_announce.jsonl:"
                  r"\d+: (.*)\n", r.stdout)
    assert m, r.stdout
    assert json.loads(m.group(2))["type"] == "graphics-device-info"
    with open(report / "differential.json") as f:
        assert json.load(f)["pairs"][0]["scenarios"][0]["result"] == "different"


@pytest.mark.parametrize("targets", ["local,spice://127.0.0.1:5900", "local,local", "local,"])
def test_differential_needs_two_port_views(run, scenario, targets):
    r = run("run", "--target", targets, scenario)
    assert r.returncode == 2
    assert "--target A,B diffs what the agent received" in r.stderr


STALLED = """id: probe/stalled
requirement: a step that fails while agent data waits for tokens says so
steps:
  - guest-agent: stop
  - send:   {msg: clipboard-grab, selection: clipboard, types: [utf8-text]}
  - send:   {msg: clipboard, selection: clipboard, type: utf8-text, payload-file: %s}
  - expect: {msg: clipboard-request, within: 1s}
"""


def test_a_failure_names_agent_data_held_back(run, tmp_path):
    # spice-server stops returning tokens once the stopped agent's port is
    # full; the step's failure must point at that, not only at the agent
    path = tmp_path / "stalled.yaml"
    path.write_text(STALLED % os.path.join(SOURCE, "fixtures", "payloads", "1mib.txt"))
    r = run("run", "--target", "local-server", "--report", str(tmp_path / "r"), str(path))
    assert r.returncode == 1, r.stdout + r.stderr
    m = re.search(r"vdsim's SPICE client still holds (\d+) bytes of agent data: the server has "
                  r"not returned agent tokens \(0 left\)", r.stdout)
    assert m, r.stdout
    assert 0 < int(m.group(1)) < (1 << 20) + 64


def test_spice_gtk_clipboard_reaches_the_agent(server):
    need("xclip")
    s = server("--port", "0")
    text = "h\u00e9llo from spice-gtk"
    client = subprocess.Popen(["/usr/bin/python3", os.path.join(HELPERS, "spice_gtk_clipboard.py"),
                               "spice://127.0.0.1:%d" % s.port, text, "20"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert client.stdout.readline().strip() == "agent-connected"
        assert client.stdout.readline().strip() == "grabbed"
        # a guest application pastes: the agent asks spice-gtk, which serves it.
        # The grab reaches the guest's X server a moment after spice-gtk sent it.
        got, deadline = "", time.monotonic() + 10
        while got != text and time.monotonic() < deadline:
            out = subprocess.run(["xclip", "-o", "-selection", "clipboard"], capture_output=True,
                                 timeout=10, env={**os.environ, "DISPLAY": s.display})
            got = out.stdout.decode()
            time.sleep(0.1)
        assert got == text
        assert client.stdout.readline().strip() == "served %d" % len(text.encode())
    finally:
        client.kill()
        client.wait()


def test_tshark_dissects_vdsim_client(server, run, scenario, tmp_path):
    need("tshark")
    s = server("--port", "0")
    pcap = str(tmp_path / "spice.pcapng")
    with capturing(pcap, "tcp port %d" % s.port, program="tshark"):
        r = run("run", "--target", "spice://127.0.0.1:%d" % s.port, "--report",
                str(tmp_path / "rep"), scenario)
        assert r.returncode == 0, r.stdout + r.stderr
    out = subprocess.run(["tshark", "-r", pcap, "-Y", "spice", "-T", "fields", "-e",
                          "spice.channel_type", "-e", "spice.main_session_id", "-e",
                          "spice.agent_message_type"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    rows = [line.split("\t") for line in out.stdout.splitlines()]
    assert any(r[0] for r in rows), "no link message recognised:\n" + out.stdout
    assert any(r[1] for r in rows), "no MAIN_INIT recognised"
    agent_types = {t for r in rows for t in r[2].split(",") if t}
    # ANNOUNCE_CAPABILITIES (6) and MONITORS_CONFIG (2) as vdsim sent them
    assert {"2", "6"} <= agent_types, out.stdout


def test_qemu_spice_link_reports_no_agent(run, scenario, tmp_path):
    need("qemu-system-x86_64")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    qemu = subprocess.Popen(
        ["qemu-system-x86_64", "-nodefaults", "-S", "-display", "none", "-machine", "pc",
         "-accel", "tcg", "-m", "64", "-spice",
         "port=%d,addr=127.0.0.1,disable-ticketing=on" % port, "-device", "virtio-serial-pci",
         "-chardev", "spicevmc,id=vdagent,name=vdagent", "-device",
         "virtserialport,chardev=vdagent,name=com.redhat.spice.0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(100):
            with socket.socket() as c:
                if c.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        report = str(tmp_path / "rep")
        r = run("run", "--target", "spice://127.0.0.1:%d" % port, "--report", report, scenario)
        assert r.returncode == 3, r.stdout + r.stderr
        assert "agent_connected=0" in r.stdout
        ev = trace_events(summary(report)["scenarios"][0]["trace"])
        init = [e for e in ev if e["kind"] == "spice" and e["type"] == "init"]
        assert init and init[0]["fields"]["agent-connected"] == 0
        names = [e for e in ev if e["kind"] == "spice" and e["type"] == "name"]
        assert names and names[0]["fields"]["name"].startswith("QEMU")
    finally:
        qemu.kill()
        qemu.wait()


def make_ca(d, name):
    key, crt = os.path.join(d, name + "-key.pem"), os.path.join(d, name + ".pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", crt, "-days", "2", "-subj", "/CN=vdsim test " + name],
                   check=True, capture_output=True)
    return key, crt


def test_tls_verifies_the_server(server, run, scenario, tmp_path):
    need("openssl")
    d = str(tmp_path)
    ca_key, ca = make_ca(d, "ca")
    _, other_ca = make_ca(d, "other-ca")
    key, csr, crt = (os.path.join(d, n) for n in ("server-key.pem", "server.csr", "server.pem"))
    ext = os.path.join(d, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
                    "-subj", "/CN=localhost"], check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
                    "-CAcreateserial", "-out", crt, "-days", "2", "-extfile", ext],
                   check=True, capture_output=True)
    s = server("--port", "0", "--tls-port", "0", "--ca", ca, "--cert", crt, "--key", key)
    assert s.tls_port
    ok = run("run", "--target", "spice://localhost?tls-port=%d&ca=%s" % (s.tls_port, ca),
             "--report", str(tmp_path / "ok"), scenario)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = run("run", "--target", "spice://localhost?tls-port=%d&ca=%s" % (s.tls_port, other_ca),
              "--report", str(tmp_path / "bad"), scenario)
    assert bad.returncode == 3, bad.stdout + bad.stderr
    assert "localhost:%d (tls)" % s.tls_port in bad.stdout
    assert "certificate is not trusted" in bad.stdout


def test_wrong_password_is_refused(server, vdsim, scenario, tmp_path):
    s = server("--port", "0", env={"VDSIM_SPICE_PASSWORD": "right horse"})
    target = "spice://127.0.0.1:%d" % s.port
    bad = subprocess.run([vdsim, "run", "--target",
                          target, "--report", str(tmp_path / "bad"), scenario],
                         capture_output=True, text=True, timeout=60,
                         env={**os.environ, "VDSIM_SPICE_PASSWORD": "wrong"})
    assert bad.returncode == 3, bad.stdout
    assert "127.0.0.1:%d main: link refused: permission-denied (wrong or missing password)" % (
        s.port) in bad.stdout
    pwfile = tmp_path / "pw"
    pwfile.write_text("right horse\n")
    good = subprocess.run([vdsim, "run", "--target", target, "--report",
                           str(tmp_path / "good"), scenario], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "VDSIM_SPICE_PASSWORD_FILE": str(pwfile)})
    assert good.returncode == 0, good.stdout
    # the password never lands in the trace
    for root, _, files in os.walk(str(tmp_path / "good")):
        for f in files:
            with open(os.path.join(root, f), errors="replace") as fh:
                assert "right horse" not in fh.read()


def bad_server(behaviour):
    """A one-shot TCP server that misbehaves during the link."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)

    def serve():
        c, _ = ls.accept()
        c.recv(4096)
        if behaviour == "bad-magic":
            c.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        elif behaviour == "link-error":
            hdr = b"REDQ" + (2).to_bytes(4, "little") + (2).to_bytes(4, "little") + \
                (178).to_bytes(4, "little")
            body = (9).to_bytes(4, "little") + bytes(162) + bytes(12)
            c.sendall(hdr + body)
        time.sleep(0.5)
        c.close()
        ls.close()
    threading.Thread(target=serve, daemon=True).start()
    return ls.getsockname()[1]


@pytest.mark.parametrize("behaviour,reason", [
    ("bad-magic", "bad magic 48 54 54 50 (expected 'REDQ')"),
    ("link-error", "link refused: channel-not-available"),
    ("close", "the server closed the connection during the link"),
])
def test_bad_peers_are_infrastructure_faults(run, scenario, tmp_path, behaviour, reason):
    port = bad_server(behaviour)
    r = run("run", "--target", "spice://127.0.0.1:%d" % port, "--report", str(tmp_path / "r"),
            scenario)
    assert r.returncode == 3, r.stdout + r.stderr
    assert "127.0.0.1:%d" % port in r.stdout and reason in r.stdout, r.stdout


def test_nothing_listening(run, scenario, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    r = run("run", "--target", "spice://127.0.0.1:%d" % port, "--report", str(tmp_path / "r"),
            scenario)
    assert r.returncode == 3
    assert "127.0.0.1:%d: connect: Connection refused" % port in r.stdout


def test_bad_target_uri_is_usage(run, scenario):
    r = run("run", "--target", "spice://host:99999", scenario)
    assert r.returncode == 2
    assert "bad port '99999'" in r.stderr


def test_a_spice_gtk_capture_imports_and_replays(server, run, tmp_path):
    """A field capture made here: dumpcap on loopback while the real spice-gtk
    talks to vdsim server (its monitor config, clipboard both ways with
    non-ASCII text, mouse moves and a click, a copy and a paste in the guest).
    Imported, linted, replayed on local and on local-server: reproduced."""
    need("dumpcap", "xclip")
    s = server("--port", "0")
    pcap = str(tmp_path / "field.pcapng")
    guest_env = {**os.environ, "DISPLAY": s.display}
    text, copied = "h\u00e9llo \u2603 from spice-gtk", "copied in the gu\u00e9st"
    try:
        with capturing(pcap, "tcp port %d" % s.port):
            client = subprocess.Popen(["/usr/bin/python3",
                                       os.path.join(HELPERS, "spice_gtk_session.py"),
                                       "spice://127.0.0.1:%d" % s.port, text, "30"],
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            seen = []
            try:
                for line in client.stdout:
                    seen.append(line.strip())
                    if line.startswith("grabbed"):  # a guest application pastes, once
                        got, deadline = "", time.monotonic() + 10  # the grab has reached X
                        while got != text and time.monotonic() < deadline:
                            got = subprocess.run(["xclip", "-o", "-selection", "clipboard"],
                                                 env=guest_env, capture_output=True,
                                                 timeout=10).stdout.decode()
                            time.sleep(0.1)
                    elif line.startswith("mouse"):  # the guest's user copies
                        owner = subprocess.Popen(["xclip", "-i", "-selection", "clipboard", "-quiet"],
                                                 env=guest_env, stdin=subprocess.PIPE,
                                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                        owner.stdin.write(copied.encode())
                        owner.stdin.close()
                    elif line.startswith("got"):
                        break
            finally:
                client.kill()
                client.wait()
            assert "got " + copied in seen, seen
    finally:
        subprocess.run(["pkill", "-f", "xclip -i -selection clipboard -quiet"])
    out = str(tmp_path / "field.yaml")
    r = run("import", pcap, "-o", out)
    assert r.returncode == 0, r.stderr
    imported = open(out).read()
    assert run("lint", out).returncode == 0
    assert "  - guest-paste: {}" in imported and "  - guest-copy: {text: " in imported, imported
    assert "{msg: mouse-state, x: 100, y: 120" in imported, imported
    assert text in imported, imported
    for target in ("local", "local-server"):
        r = run("replay", "--target", target, "--report", str(tmp_path / target), pcap,
                timeout=120)
        assert r.returncode == 0, imported + r.stdout + r.stderr
        assert "verdict: reproduced" in r.stdout


TINYPROXY_CONF = """Port %d
Listen 127.0.0.1
Allow 127.0.0.1
Timeout 600
MaxClients 20
LogLevel Info
"""  # no ConnectPort line: CONNECT to any port


def test_a_capture_through_an_http_proxy_imports_on_both_legs(server, run, tmp_path):
    """spice-gtk through an HTTP proxy (SPICE_PROXY, as oVirt's SPICE proxy
    is used) to vdsim server, the proxy Debian's tinyproxy, captured on both
    sides of it. The client's leg is SPICE after a CONNECT, the proxy's leg
    plain SPICE: both are listed, import to the same steps, and the
    client's leg replays as reproduced on local (Debian's agent does not
    answer the 16-monitor config spice-gtk sends, here as in the field)."""
    need("tinyproxy")
    s = server("--port", "0")
    proxy_port = free_port()
    conf = tmp_path / "tinyproxy.conf"
    conf.write_text(TINYPROXY_CONF % proxy_port)
    proxy = subprocess.Popen(["tinyproxy", "-d", "-c", str(conf)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    pcap = str(tmp_path / "proxy.pcapng")
    try:
        wait_listening(proxy_port, proxy, "tinyproxy")
        with capturing(pcap, "tcp port %d or tcp port %d" % (proxy_port, s.port)):
            client = subprocess.run(
                ["/usr/bin/python3", os.path.join(HELPERS, "spice_gtk_session.py"),
                 "spice://127.0.0.1:%d" % s.port, "through a proxy", "6"],
                env={**os.environ, "SPICE_PROXY": "http://127.0.0.1:%d" % proxy_port},
                capture_output=True, text=True, timeout=60)
            assert "mouse" in client.stdout, client.stdout + client.stderr
    finally:
        proxy.terminate()
        proxy.wait(10)
    r = run("import", "--list", pcap)
    assert r.returncode == 0, r.stderr
    legs = dict(re.findall(r"session (\d): 127\.0\.0\.1:\d+ -> (127\.0\.0\.1:\d+.*) from frame",
                           r.stdout))
    assert sorted(legs.values()) == sorted([
        "127.0.0.1:%d through an HTTP proxy (CONNECT 127.0.0.1:%d)" % (proxy_port, s.port),
        "127.0.0.1:%d" % s.port]), r.stdout
    steps = {}
    for index, leg in legs.items():
        r = run("import", "--session", index, pcap)
        assert r.returncode == 0, r.stderr
        steps[leg] = [line for line in r.stdout.splitlines() if line.startswith("  - ")]
    a, b = steps.values()
    assert a == b, steps
    assert any(x.startswith("  - send: {msg: monitors-config,") for x in a), a
    # one click, once: each leg's inputs channel joins its own leg's session
    assert a.count("  - send: {msg: mouse-state, x: 100, y: 120, buttons: [left]}") == 1, a
    proxied = next(i for i, leg in legs.items() if "proxy" in leg)
    r = run("replay", "--session", proxied, "--report", str(tmp_path / "rep"), pcap, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "verdict: reproduced" in r.stdout
