"""Real guests: the Debian 12 image tools/build-guest-image makes, booted by
`vdsim vm` under libvirt (TCG), with the scenarios going through QEMU's
spice-server and spicevmc, and through a raw unix chardev on the same port.
These tests need root and a machine that can run a TCG guest; when it cannot,
they fail and say why."""
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import SOURCE

TEMPLATES = ("debian12-spicevmc.xml", "debian12-unix.xml")
SUITE = [os.path.join(SOURCE, "scenarios", d)
         for d in ("caps", "client", "monitors", "mouse", "clipboard")]


def suite(template):
    files = []
    for d in SUITE:
        for f in sorted(os.listdir(d)):
            if f.endswith(".yaml"):
                files.append(os.path.join(d, f))
    return files


def sh(*args, timeout=900):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=SOURCE)


@pytest.fixture(scope="module")
def image():
    if os.geteuid() != 0:
        pytest.fail("the VM tests need root (debootstrap, libvirt's qemu:///system)")
    up = sh(os.path.join(SOURCE, "tools", "lib", "libvirt-up"))
    assert up.returncode == 0, "libvirt does not answer: " + up.stderr
    r = sh(os.path.join(SOURCE, "tools", "build-guest-image"), timeout=1800)
    assert r.returncode == 0, "the guest image did not build:\n" + r.stderr[-3000:]
    path = r.stdout.strip().splitlines()[-1]
    for f in ("vmlinuz", "initrd.img", "disk.img", "recipe.txt"):
        assert os.path.exists(os.path.join(path, f)), f
    return path


def domains():
    r = sh("virsh", "-c", "qemu:///system", "list", "--all", "--name")
    return {n for n in r.stdout.split() if n}


def test_image_is_cached(image):
    t0 = time.monotonic()
    r = sh(os.path.join(SOURCE, "tools", "build-guest-image"))
    assert r.returncode == 0 and r.stdout.strip().splitlines()[-1] == image
    assert "cached" in r.stderr
    assert time.monotonic() - t0 < 10


@pytest.mark.parametrize("template", TEMPLATES)
def test_templates_validate(template, tmp_path):
    with open(os.path.join(SOURCE, "vmconfigs", template)) as f:
        xml = f.read()
    for key, value in (("@NAME@", "t"), ("@DOMAIN_TYPE@", "qemu"), ("@KERNEL@", "/k"),
                       ("@INITRD@", "/i"), ("@DISK@", "/d.qcow2"), ("@SERIAL_LOG@", "/s.log"),
                       ("@CHARDEV@", "/c.sock"), ("@GRAPHICS_PASSWD@", "")):
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
    r = subprocess.run([vdsim, "vm", "--template", os.path.join(SOURCE, "vmconfigs", template),
                        "--image", image, "--report", str(report), *suite(template)],
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
    # multi-output layouts say they need the local X server; the client's own
    # steps need a SPICE client, and exceed-tokens and reconnect run on libvirt
    assert all(s["id"] in ("monitors/four-heads", "monitors/sparse", "monitors/stacked",
                           "monitors/two-heads", "monitors/too-large", "mouse/second-monitor",
                           "mouse/wheel") or s["id"].startswith("client/")
               for s in scenarios if s.get("skipped"))
    if target == "libvirt:":
        # a token violation in QEMU's spice-server while the guest's agent is stopped
        assert {"client/exceed-tokens", "client/reconnect"} <= ids
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


def test_missing_image_and_domain_are_named(run, tmp_path):
    r = run("vm", "--template", os.path.join(SOURCE, "vmconfigs", "debian12-spicevmc.xml"),
            "--image", str(tmp_path), os.path.join(SOURCE, "scenarios", "caps"))
    assert r.returncode == 3
    assert "no vmlinuz here: build the image with tools/build-guest-image" in r.stderr
    r = run("run", "--target", "libvirt:vdsim-no-such-domain",
            os.path.join(SOURCE, "scenarios", "caps", "announce.yaml"))
    assert r.returncode == 3
    assert "vdsim-no-such-domain: no such domain" in r.stderr
