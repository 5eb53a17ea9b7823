"""A real GUI check: Wireshark's Qt GUI under Xvfb opens a teaching capture with
the "Cisco UC" profile; a screenshot is taken and read back with OCR, and the
window must show the UC purpose column with a documented purpose in it.

Skips with a clear message where the display server, the GUI or OCR are not
installed (./test.sh installs them as root: setup.sh --deps --gui).
The screenshot is kept as <build>/gui-screenshot.png.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from captures import pcap as pg
from conftest import BUILD, ROOT

NEEDED = {"Xvfb": "xvfb", "wireshark": "wireshark-qt", "xdotool": "xdotool", "import": "imagemagick",
          "tesseract": "tesseract-ocr"}


@pytest.fixture(scope="module")
def gui_tools():
    missing = [f"{tool} ({pkg})" for tool, pkg in NEEDED.items() if not shutil.which(tool)]
    if missing:
        pytest.skip("GUI check skipped: not installed: " + ", ".join(missing) +
                    "; install with ./setup.sh --deps --gui")


def demo_capture(workdir: str) -> str:
    teaching = os.path.join(ROOT, "captures", "sccp-phone-call.pcap")
    if os.path.exists(teaching):
        dst = os.path.join(workdir, "gui.pcap")
        shutil.copyfile(teaching, dst)
        os.chmod(dst, 0o644)
        return dst
    cap = pg.Capture()
    for i in range(6):
        cap.tcp_handshake("10.10.1.21", 51000 + i, "10.10.0.11", 2000)
        cap.tcp("10.10.1.21", 51000 + i, "10.10.0.11", 2000, pg.sccp_register())
    return cap.write(os.path.join(workdir, "gui.pcap"))


def test_gui_shows_the_purpose_column(gui_tools, workdir, tshark):
    home = os.path.join(workdir, "gui-home")
    os.makedirs(home, exist_ok=True)
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tools", "install_profile.py"), "--dest",
                    os.path.join(home, ".config", "wireshark", "profiles")], check=True, capture_output=True)
    for d, dirs, files in os.walk(home):
        os.chmod(d, 0o777)
        for f in files:
            os.chmod(os.path.join(d, f), 0o666)
    pcap = demo_capture(workdir)
    as_user = []
    if os.geteuid() == 0:
        as_user = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    # Xvfb picks a free display itself and writes its number to the pipe.
    rfd, wfd = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(wfd), "-screen", "0", "1600x900x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(wfd,))
    os.close(wfd)
    ws = None
    shot = os.path.join(workdir, "gui-screenshot.png")
    try:
        with os.fdopen(rfd) as f:
            number = f.readline().strip()
        if not number.isdigit():
            pytest.skip("GUI check skipped: Xvfb could not start a display server here")
        display = ":" + number
        env = {"PATH": "/usr/bin:/bin", "HOME": home, "DISPLAY": display, "TZ": "UTC", "LC_ALL": "C.UTF-8",
               "WIRESHARK_PLUGIN_DIR": tshark.plugins, "QT_QPA_PLATFORM": "xcb", "XDG_RUNTIME_DIR": home}
        envargs = ["env", *[f"{k}={v}" for k, v in env.items()]]
        err_path = os.path.join(workdir, "wireshark-gui.stderr")
        with open(err_path, "wb") as err:
            ws = subprocess.Popen([*as_user, *envargs, "wireshark", "-C", "Cisco UC", "-r", "/dev/stdin",
                                   "-o", "gui.geometry.main.maximized:TRUE"],
                                  stdin=open(pcap, "rb"), stdout=subprocess.DEVNULL, stderr=err)
        # Poll for the main window; a loaded machine can take a while to start Qt.
        found = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if ws.poll() is not None:
                raise AssertionError(f"Wireshark exited ({ws.returncode}): {open(err_path, errors='replace').read()[-2000:]}")
            # The main window is titled after the file ("stdin"): find it by its class.
            found = subprocess.run(["xdotool", "search", "--onlyvisible", "--class", "wireshark"],
                                   env=env, capture_output=True, text=True, timeout=30)
            if found.returncode == 0 and found.stdout.split():
                break
            time.sleep(1)
        assert found is not None and found.returncode == 0 and found.stdout.split(), (
            "no Wireshark window within 120 s; stderr: " + open(err_path, errors="replace").read()[-2000:])
        wid = found.stdout.split()[0]
        subprocess.run(["xdotool", "windowsize", wid, "1600", "900"], env=env, timeout=10)
        time.sleep(6)  # let the packet list fill and columns render
        subprocess.run(["import", "-window", "root", shot], env=env, check=True, timeout=60)
        ocr = subprocess.run(["tesseract", shot, "stdout"], capture_output=True, text=True, timeout=120).stdout
    finally:
        if ws:
            ws.terminate()
            try:
                ws.wait(10)
            except subprocess.TimeoutExpired:
                ws.kill()
        xvfb.terminate()
        xvfb.wait(10)
    if os.path.isdir(BUILD):
        shutil.copyfile(shot, os.path.join(BUILD, "gui-screenshot.png"))
    text = " ".join(ocr.split())
    assert "UC purpose" in text, text[:2000]
    assert "Skinny Client Control" in text or "SCCP" in text, text[:2000]
