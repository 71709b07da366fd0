"""Real guests: the Debian 12 image tools/build-guest-image makes, booted by
`vdsim vm` under libvirt (TCG), with the scenarios going through QEMU's
spice-server and spicevmc, and through a raw unix chardev on the same port.
These tests need root and a machine that can run a TCG guest; when it cannot,
they fail and say why."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import SOURCE, build_tree, sh

TEMPLATES = ("debian12-spicevmc.xml", "debian12-unix.xml")
SUITE = [os.path.join(SOURCE, "scenarios", d)
         for d in ("caps", "client", "monitors", "mouse", "clipboard", "robustness")]


def suite(template):
    files = []
    for d in SUITE:
        for f in sorted(os.listdir(d)):
            if f.endswith(".yaml"):
                files.append(os.path.join(d, f))
    return files


@pytest.fixture(scope="module")
def image():
    if os.geteuid() != 0:
        pytest.fail("the VM tests need root (debootstrap, libvirt's qemu:///system)")
    up = sh(os.path.join(SOURCE, "tools", "lib", "libvirt-up"))
    assert up.returncode == 0, "libvirt does not answer: " + up.stderr
    path = build_tree("build-guest-image", what="the guest image")
    for f in ("vmlinuz", "initrd.img", "disk.img", "recipe.txt"):
        assert os.path.exists(os.path.join(path, f)), f
    return path


@pytest.fixture(scope="module")
def sid_image():
    """Today's Debian unstable: a newer agent (0.23.0), kernel and packaging."""
    return build_tree("build-guest-image", "--suite", "sid", what="the sid guest image")


def template_with(tmp_path, extra_cmdline):
    """The spicevmc template with more on the guest kernel's command line."""
    with open(os.path.join(SOURCE, "vmconfigs", "debian12-spicevmc.xml")) as f:
        xml = f.read()
    xml = xml.replace("systemd.show_status=0</cmdline>",
                      "systemd.show_status=0 %s</cmdline>" % extra_cmdline)
    path = tmp_path / "template.xml"
    path.write_text(xml)
    return str(path)


def domains():
    r = sh("virsh", "-c", "qemu:///system", "list", "--all", "--name")
    return {n for n in r.stdout.split() if n}


def test_image_is_cached(image):
    t0 = time.monotonic()
    r = sh(os.path.join(SOURCE, "tools", "build-guest-image"))
    assert r.returncode == 0 and r.stdout.strip().splitlines()[-1] == image
    assert "cached" in r.stderr
    assert time.monotonic() - t0 < 10


@pytest.mark.parametrize("template", TEMPLATES + ("disk-spicevmc.xml",))
def test_templates_validate(template, tmp_path):
    with open(os.path.join(SOURCE, "vmconfigs", template)) as f:
        xml = f.read()
    for key, value in (("@NAME@", "t"), ("@DOMAIN_TYPE@", "qemu"), ("@KERNEL@", "/k"),
                       ("@INITRD@", "/i"), ("@DISK@", "/d.qcow2"), ("@SERIAL_LOG@", "/s.log"),
                       ("@CHARDEV@", "/c.sock"), ("@GRAPHICS_PASSWD@", ""),
                       ("@FIRMWARE@", "firmware='efi'"),
                       ("@FIRMWARE_FEATURES@", "<firmware><feature enabled='no' name='secure-boot'/></firmware>")):
        xml = xml.replace(key, value)
    assert "@" not in xml.split("-->", 1)[1], "a placeholder is left"
    path = tmp_path / template
    path.write_text(xml)
    r = sh("virt-xml-validate", str(path), "domain")
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("template,target", [("debian12-spicevmc.xml", "libvirt:"),
                                             ("debian12-unix.xml", "chardev:")])
def test_suite_in_a_guest(vdsim, image, template, target, tmp_path):
    before = domains()
    report = tmp_path / "rep"
    capture = tmp_path / "guest.pcapng"
    # on the spicevmc guest, after the scenarios: the real spice-gtk against the
    # guest's QEMU, captured, for a field capture from a real guest (below)
    exec_args = ["--exec", "sh %s %s" % (os.path.join(SOURCE, "tests", "integration", "helpers",
                                                         "capture_guest.sh"), capture)
                 ] if target == "libvirt:" else []
    r = subprocess.run([vdsim, "vm", "--template", os.path.join(SOURCE, "vmconfigs", template),
                        "--image", image, "--report", str(report), *exec_args, *suite(template)],
                       capture_output=True, text=True, timeout=1500)
    out = r.stdout + r.stderr
    assert "the guest's agent opened its port after" in out, "the guest did not boot:\n" + out
    assert "target " + target in out
    with open(report / "summary.json") as f:
        scenarios = json.load(f)["scenarios"]
    ran = [s for s in scenarios if not s.get("skipped")]
    failed = {s["id"]: s.get("failure", "") for s in ran if not s["passed"]}
    assert not failed, out
    assert r.returncode == 0, out
    ids = {s["id"] for s in ran}
    # monitors, mouse and clipboard all checked in the guest, with guest-side oracles
    assert {"monitors/one-head", "mouse/move-and-click", "mouse/buttons",
            "clipboard/guest-to-client", "clipboard/client-to-guest"} <= ids
    # multi-output layouts need several outputs (a std VGA guest has one); the
    # client's own steps need a SPICE client, raw port bytes the port itself
    skipped = {s["id"]: s.get("failure", "") for s in scenarios if s.get("skipped")}
    assert all(i in ("monitors/four-heads", "monitors/sparse", "monitors/stacked",
                     "monitors/two-heads", "monitors/too-large", "mouse/second-monitor",
                     "mouse/wheel") or i.startswith("client/") or i.startswith("robustness/")
               for i in skipped), skipped
    assert "needs multi-head" in skipped["monitors/two-heads"]
    robustness = {i for i in ids | set(skipped) if i.startswith("robustness/")}
    assert len(robustness) == 8
    if target == "libvirt:":
        # a token violation in QEMU's spice-server while the guest's agent is stopped,
        # the client's mouse through QEMU's inputs channel, and a 1 MiB guest copy
        # held back by the client's tokens
        assert {"client/exceed-tokens", "client/reconnect", "client/inputs-mouse",
                "client/mouse-mode", "client/hold-tokens"} <= ids
        assert "needs raw-port; libvirt: reaches the agent through a SPICE server" in (
            skipped["robustness/bad-port"])
    else:
        # what a guest's agent must survive on its raw port
        assert robustness <= ids
        assert "needs spice-client; chardev:" in skipped["client/reconnect"]
    # the screen check saw the display's own size too (a screenshot from the host)
    assert '"[1024x768+0+0] (display 1024x768)"' in (
        report / "traces" / "monitors_one-head.jsonl").read_text()
    if target == "libvirt:":
        # a field capture from a real guest, replayed without a VM
        imp = subprocess.run([vdsim, "import", str(capture), "-o", str(tmp_path / "guest.yaml")],
                             capture_output=True, text=True, timeout=120)
        assert imp.returncode == 0, imp.stderr + open(str(capture) + ".client.log").read()
        imported = (tmp_path / "guest.yaml").read_text()
        assert "{msg: mouse-state, x: 100, y: 120" in imported, imported
        rep = subprocess.run([vdsim, "replay", "--report", str(tmp_path / "replay"),
                              str(capture)], capture_output=True, text=True, timeout=300)
        assert rep.returncode == 0 and "verdict: reproduced" in rep.stdout, (
            imported + rep.stdout + rep.stderr)
    logs = report / "guest"
    assert (logs / "guest-serial.log").stat().st_size > 0
    assert "spice-vdagentd" in (logs / "guest-agent.log").read_text()
    assert domains() == before, "the domain outlived vdsim vm"


def test_interrupted_boot_destroys_the_domain(vdsim, image, tmp_path):
    before = domains()
    p = subprocess.Popen([vdsim, "vm", "--name", "vdsim-interrupt-%d" % os.getpid(),
                          "--template", os.path.join(SOURCE, "vmconfigs", "debian12-spicevmc.xml"),
                          "--image", image, "--report", str(tmp_path / "r"),
                          os.path.join(SOURCE, "scenarios", "caps")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "vdsim-interrupt-%d" % os.getpid() not in domains():
        time.sleep(0.2)
    assert "vdsim-interrupt-%d" % os.getpid() in domains(), "the domain never started"
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 3, out + err
    assert "interrupted while the guest booted" in err
    assert domains() == before


def test_a_guest_that_does_not_come_up_is_booted_again_then_fails(vdsim, image, tmp_path):
    """No guest opens its agent's port within a second: a fresh domain is
    booted once more, each boot's console kept, then the run fails as
    infrastructure with no domain left behind."""
    before = domains()
    report = tmp_path / "r"
    r = subprocess.run([vdsim, "vm", "--boot-timeout", "1", "--boot-attempts", "2",
                        "--template", os.path.join(SOURCE, "vmconfigs", "debian12-spicevmc.xml"),
                        "--image", image, "--report", str(report),
                        os.path.join(SOURCE, "scenarios", "caps")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 3, r.stdout + r.stderr
    assert "booting a fresh domain, attempt 2 of 2" in r.stdout, r.stdout
    assert ("did not open com.redhat.spice.0 within 1 s, and the QEMU guest agent does not "
            "answer either: the guest did not finish booting") in r.stderr, r.stderr
    for k in (1, 2):
        assert (report / "guest" / f"boot-{k}" / "guest-serial.log").is_file()
        assert "serial console ends" in (report / "guest" / f"boot-{k}" / "diagnosis.txt").read_text()
    assert (report / "guest" / "guest-serial.log").is_file()
    assert domains() == before


@pytest.fixture
def ssh_to_self(tmp_path):
    """A private sshd on this machine's own non-loopback address: libvirt's
    qemu+ssh:// transport for real, the machine being its own remote host.
    Yields (address, libvirt URI)."""
    addrs = [line.split()[3].split("/")[0]
             for line in sh("ip", "-4", "-o", "addr", "show", "scope", "global").stdout.splitlines()]
    if not addrs:
        pytest.fail("the qemu+ssh test needs a non-loopback IPv4 address on this machine")
    if not os.path.exists("/usr/sbin/sshd"):
        pytest.fail("missing /usr/sbin/sshd (tools/lib/install-deps vm installs openssh-server)")
    addr, d = addrs[0], tmp_path / "ssh"
    d.mkdir(mode=0o700)
    for key in ("host", "client"):
        r = sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / key))
        assert r.returncode == 0, r.stderr
    shutil.copy(d / "client.pub", d / "authorized_keys")
    with socket.socket() as s:
        s.bind((addr, 0))
        port = s.getsockname()[1]
    (d / "sshd_config").write_text(
        "Port %d\nListenAddress %s\nHostKey %s\nAuthorizedKeysFile %s\n"
        "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPidFile none\n"
        % (port, addr, d / "host", d / "authorized_keys"))
    os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege separation directory
    sshd = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", str(d / "sshd_config")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection((addr, port), timeout=1).close()
                break
            except OSError:
                assert sshd.poll() is None, "sshd did not start: " + sshd.stderr.read()
                assert time.monotonic() < deadline, "sshd does not answer on %s:%d" % (addr, port)
                time.sleep(0.1)
        yield addr, "qemu+ssh://root@%s:%d/system?keyfile=%s&no_verify=1&known_hosts=%s" % (
            addr, port, d / "client", d / "known_hosts")
    finally:
        sshd.terminate()
        sshd.wait(timeout=10)


def test_remote_uri_over_ssh(vdsim, image, ssh_to_self, tmp_path):
    """vdsim vm and the libvirt: target through qemu+ssh://: the domain, its
    live XML and the guest agent over ssh, SPICE to the host's address (the
    template's wildcard listen), never to the remote host's loopback."""
    addr, uri = ssh_to_self
    with open(os.path.join(SOURCE, "vmconfigs", "debian12-spicevmc.xml")) as f:
        xml = f.read()
    assert "address='127.0.0.1'" in xml
    template = tmp_path / "remote-spicevmc.xml"
    template.write_text(xml.replace("address='127.0.0.1'", "address='0.0.0.0'"))
    before = domains()
    report = tmp_path / "rep"
    # an input check first: the session's own first move must not count as the
    # scenario's (it once did, when the first scenario after boot looked at input)
    scenarios = [os.path.join(SOURCE, "scenarios", s) for s in (
        "mouse/buttons.yaml", "caps/announce.yaml", "monitors/one-head.yaml",
        "clipboard/client-to-guest.yaml", "clipboard/guest-to-client.yaml")]
    r = subprocess.run([vdsim, "vm", "--uri", uri, "--template", str(template), "--image", image,
                        "--report", str(report), *scenarios],
                       capture_output=True, text=True, timeout=900)
    out = r.stdout + r.stderr
    assert "the guest's agent opened its port after" in out, "the guest did not boot:\n" + out
    assert "?uri=qemu+ssh://" in out
    assert "SPICE server spice://%s:" % addr in out
    assert r.returncode == 0, out
    with open(report / "summary.json") as f:
        ran = json.load(f)["scenarios"]
    assert len(ran) == 5 and all(s["passed"] for s in ran), out
    assert "spice-vdagentd" in (report / "guest" / "guest-agent.log").read_text()
    assert domains() == before, "the domain outlived vdsim vm"


def test_missing_image_and_domain_are_named(run, tmp_path):
    # the scenarios are checked before anything boots
    t0 = time.monotonic()
    r = run("vm", "--template", os.path.join(SOURCE, "vmconfigs", "debian12-spicevmc.xml"),
            "--image", str(tmp_path), os.path.join(SOURCE, "scenarios", "no-such.yaml"))
    assert r.returncode == 2
    assert "no-such.yaml: no such scenario file or directory" in r.stderr
    assert time.monotonic() - t0 < 5
    r = run("vm", "--template", os.path.join(SOURCE, "vmconfigs", "debian12-spicevmc.xml"),
            "--image", str(tmp_path), os.path.join(SOURCE, "scenarios", "caps"))
    assert r.returncode == 2  # an image that is not one is the user's to fix
    assert "no vmlinuz here: build the image with tools/build-guest-image" in r.stderr
    r = run("run", "--target", "libvirt:vdsim-no-such-domain",
            os.path.join(SOURCE, "scenarios", "caps", "announce.yaml"))
    assert r.returncode == 3
    assert "vdsim-no-such-domain: no such domain" in r.stderr


CORE = [os.path.join(SOURCE, "scenarios", d) for d in ("caps", "monitors", "mouse", "clipboard")]


def test_core_suite_in_a_sid_guest(vdsim, sid_image, tmp_path):
    """A nightly image: sid's agent, kernel and packaging, booted by the
    same templates; its agent's version in the run, the bug 0.23.0 fixed
    passing, the ones it kept expected failures, and its recipe kept."""
    report = tmp_path / "rep"
    r = subprocess.run([vdsim, "vm", "--template",
                        os.path.join(SOURCE, "vmconfigs", "debian12-spicevmc.xml"),
                        "--image", sid_image, "--report", str(report), *CORE],
                       capture_output=True, text=True, timeout=1500)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "agent under test: spice-vdagent 0.23.0" in out and "in the guest (kernel " in out
    with open(report / "summary.json") as f:
        s = json.load(f)
    assert s["agent-version"].startswith("0.23.0")
    res = {x["id"]: x for x in s["scenarios"]}
    assert res["monitors/physical-size"]["status"] == "pass"
    assert res["caps/no-selection"]["status"] == "xfail"
    ran = [x for x in s["scenarios"] if x["status"] != "skip"]
    assert len(ran) >= 15 and all(x["status"] in ("pass", "xfail") for x in ran), out
    assert "debian sid" in (report / "guest" / "recipe.txt").read_text()


def test_a_kernel_panic_ends_the_boot_at_once(vdsim, image, tmp_path):
    """init=/bin/false: the kernel panics in the initramfs. vdsim stops
    waiting as soon as the console shows it, long before its timeout, and
    says so with the console's lines; no second boot for a cause like that
    would help only by chance, so one attempt here."""
    report = tmp_path / "r"
    t0 = time.monotonic()
    r = subprocess.run([vdsim, "vm", "--boot-timeout", "900", "--boot-attempts", "1",
                        "--template", template_with(tmp_path, "init=/bin/false"),
                        "--image", image, "--report", str(report),
                        os.path.join(SOURCE, "scenarios", "caps")],
                       capture_output=True, text=True, timeout=900)
    took = time.monotonic() - t0
    assert r.returncode == 3, r.stdout + r.stderr
    assert took < 300, "waited %.0f s for a guest whose kernel had panicked" % took
    assert "the guest's kernel" in r.stderr, r.stderr
    diagnosis = (report / "guest" / "boot-1" / "diagnosis.txt").read_text()
    assert "Kernel panic - not syncing" in diagnosis, diagnosis


def test_a_boot_timeout_names_its_cause(vdsim, image, tmp_path):
    """No desktop session (the autologin on tty1 masked): at the timeout vdsim
    asks the guest through the QEMU guest agent and names the cause instead
    of "did not open in time", and does not boot again for it."""
    report = tmp_path / "r"
    r = subprocess.run([vdsim, "vm", "--boot-timeout", "200", "--boot-attempts", "2",
                        "--template", template_with(tmp_path, "systemd.mask=getty@tty1.service"),
                        "--image", image, "--report", str(report),
                        os.path.join(SOURCE, "scenarios", "caps")],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 3, r.stdout + r.stderr
    assert "no X server runs in the guest" in r.stderr, r.stdout + r.stderr
    assert "attempt 2 of 2" not in r.stdout
    diagnosis = (report / "guest" / "boot-1" / "diagnosis.txt").read_text()
    assert "port: yes" in diagnosis and "Xorg: none" in diagnosis, diagnosis


@pytest.mark.parametrize("firmware", ["bios", "uefi"])
def test_a_whole_disk_boots_with_its_own_loader(vdsim, image, firmware, tmp_path, request):
    """A disk as a distribution ships it: no kernel beside it, its own
    loader (SYSLINUX from SeaBIOS, GRUB from OVMF), here in qcow2 for UEFI
    and raw for BIOS. The guest is asked what it has; ours has everything,
    so nothing is skipped for a missing tool."""
    disk = os.path.join(image, "bootable.raw")
    if firmware == "uefi":
        # where QEMU (libvirt-qemu) may read it: pytest's own tmp is root's alone
        where = tempfile.mkdtemp(prefix="vdsim-disk-", dir="/var/tmp")
        os.chmod(where, 0o755)
        request.addfinalizer(lambda: shutil.rmtree(where, ignore_errors=True))
        r = sh("qemu-img", "convert", "-O", "qcow2", disk, os.path.join(where, "disk.qcow2"))
        assert r.returncode == 0, r.stderr
        disk = os.path.join(where, "disk.qcow2")
    report = tmp_path / "rep"
    r = subprocess.run([vdsim, "vm", "--template",
                        os.path.join(SOURCE, "vmconfigs", "disk-spicevmc.xml"),
                        *(["--uefi"] if firmware == "uefi" else []), "--image", disk,
                        "--report", str(report),
                        os.path.join(SOURCE, "scenarios", "caps", "announce.yaml"),
                        os.path.join(SOURCE, "scenarios", "monitors", "one-head.yaml"),
                        os.path.join(SOURCE, "scenarios", "clipboard", "guest-to-client.yaml")],
                       capture_output=True, text=True, timeout=1200)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "agent under test: spice-vdagent 0.22.1" in out
    with open(report / "summary.json") as f:
        assert all(x["status"] == "pass" for x in json.load(f)["scenarios"]), out
    # the direct-boot template refuses a whole disk, before any boot
    r = subprocess.run([vdsim, "vm", "--template",
                        os.path.join(SOURCE, "vmconfigs", "debian12-spicevmc.xml"),
                        "--image", disk, os.path.join(SOURCE, "scenarios", "caps")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "boots with vmconfigs/disk-spicevmc.xml" in r.stderr, r.stderr


def test_a_disk_with_no_loader_ends_the_boot_at_once(vdsim, image, tmp_path):
    """A whole disk that has nothing to boot (the bare ext4 of the image):
    SeaBIOS gives up and restarts, the domain ends, and so does the wait,
    in seconds rather than at the boot timeout."""
    t0 = time.monotonic()
    r = subprocess.run([vdsim, "vm", "--boot-timeout", "600", "--boot-attempts", "1",
                        "--template", os.path.join(SOURCE, "vmconfigs", "disk-spicevmc.xml"),
                        "--image", os.path.join(image, "disk.img"), "--report",
                        str(tmp_path / "r"), os.path.join(SOURCE, "scenarios", "caps")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 3, r.stdout + r.stderr
    assert "its firmware found nothing to boot" in r.stderr, r.stderr
    assert time.monotonic() - t0 < 120
