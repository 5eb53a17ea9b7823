"""A real GUI check: Wireshark's Qt GUI under Xvfb opens a teaching capture with
the "Cisco UC" profile; a screenshot is taken and read back with OCR, and the
window must show the UC purpose column with a documented purpose in it.

Skips with a clear message where the display server, the GUI or OCR are not
installed (./test.sh installs them as root: setup.sh --deps --gui).
The screenshot is kept as <build>/gui-screenshot.png.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import time

import pytest

from captures import pcap as pg
from conftest import BUILD, ROOT

# Version-independent (the GUI check; no GUI in the chroots): the chroots (--tier versions) leave it out.
pytestmark = pytest.mark.native

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


def gui_screenshot(workdir: str, tshark, pcap: str, name: str, extra: list[str] | None = None) -> str:
    """Opens pcap in Wireshark's GUI with the "Cisco UC" profile under Xvfb
    (1600x900) and returns the path of a screenshot of the screen."""
    home = os.path.join(workdir, f"gui-home-{name}")
    os.makedirs(home, exist_ok=True)
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tools", "install_profile.py"), "--dest",
                    os.path.join(home, ".config", "wireshark", "profiles")], check=True, capture_output=True)
    for d, dirs, files in os.walk(home):
        os.chmod(d, 0o777)
        for f in files:
            os.chmod(os.path.join(d, f), 0o666)
    as_user = []
    if os.geteuid() == 0:
        as_user = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    # Xvfb picks a free display itself and writes its number to the pipe.
    rfd, wfd = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(wfd), "-screen", "0", "1600x900x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(wfd,))
    os.close(wfd)
    ws = None
    shot = os.path.join(workdir, f"{name}.png")
    try:
        with os.fdopen(rfd) as f:
            number = f.readline().strip()
        if not number.isdigit():
            pytest.skip("GUI check skipped: Xvfb could not start a display server here")
        display = ":" + number
        env = {"PATH": "/usr/bin:/bin", "HOME": home, "DISPLAY": display, "TZ": "UTC", "LC_ALL": "C.UTF-8",
               "WIRESHARK_PLUGIN_DIR": tshark.plugins, "QT_QPA_PLATFORM": "xcb", "XDG_RUNTIME_DIR": home}
        envargs = ["env", *[f"{k}={v}" for k, v in env.items()]]
        err_path = os.path.join(workdir, f"wireshark-{name}.stderr")
        with open(err_path, "wb") as err:
            ws = subprocess.Popen([*as_user, *envargs, "wireshark", "-C", "Cisco UC", "-r", "/dev/stdin",
                                   "-o", "gui.geometry.main.maximized:TRUE", *(extra or [])],
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
        # The pointer away from the packet list, so no row is drawn hovered.
        subprocess.run(["xdotool", "mousemove", "1599", "899"], env=env, timeout=10)
        time.sleep(6)  # let the packet list fill and columns render
        subprocess.run(["import", "-window", "root", shot], env=env, check=True, timeout=60)
    finally:
        if ws:
            ws.terminate()
            try:
                ws.wait(10)
            except subprocess.TimeoutExpired:
                ws.kill()
        xvfb.terminate()
        xvfb.wait(10)
    return shot


def ocr_words(shot: str) -> list[dict]:
    """The words tesseract reads in the screenshot, with their boxes (TSV output)."""
    out = subprocess.run(["tesseract", shot, "stdout", "tsv"], capture_output=True, text=True, timeout=180).stdout
    lines = out.splitlines()
    head = lines[0].split("\t")
    words = []
    for l in lines[1:]:
        cells = l.split("\t")
        if len(cells) == len(head) and cells[-1].strip():
            w = dict(zip(head, cells))
            for k in ("left", "top", "width", "height", "block_num", "par_num", "line_num", "word_num"):
                w[k] = int(w[k])
            words.append(w)
    return words


def header_left(words: list[dict], *texts: str) -> dict | None:
    """The first word of the column title `texts` (consecutive words on one line)."""
    # The OCR may read a selection's edge as punctuation around a word ("_UC").
    def text(k: int) -> str:
        return re.sub(r"^\W+|\W+$", "", words[k]["text"]).strip("_")
    for i, w in enumerate(words):
        if all(i + k < len(words) and text(i + k) == t and abs(words[i + k]["top"] - w["top"]) < 6
               for k, t in enumerate(texts)):
            return w
    return None


def purpose_column_width(words: list[dict]) -> int:
    """Pixels from the "UC purpose" column title to the next column's title."""
    uc = header_left(words, "UC", "purpose")
    assert uc, "no 'UC purpose' column title in the screenshot"
    nxt = [w for w in words if abs(w["top"] - uc["top"]) < 6 and w["left"] > uc["left"] + 60]
    assert nxt, "no column title right of 'UC purpose'"
    return min(w["left"] for w in nxt) - uc["left"]


def profile_width(workdir: str, name: str, key: str) -> int:
    """A column's width as the installed profile's recent file gives it."""
    with open(os.path.join(workdir, f"gui-home-{name}", ".config", "wireshark", "profiles", "Cisco UC",
                           "recent")) as f:
        line = [l for l in f.read().splitlines() if l.startswith("column.width:")][0]
    items = [x.strip() for x in line.split(":", 1)[1].split(",")]
    return int(dict(zip(items[0::2], items[1::2]))[key])


def test_gui_shows_the_purpose_column(gui_tools, workdir, tshark):
    pcap = demo_capture(workdir)
    shot = gui_screenshot(workdir, tshark, pcap, "gui-screenshot")
    ocr = subprocess.run(["tesseract", shot, "stdout"], capture_output=True, text=True, timeout=120).stdout
    if os.path.isdir(BUILD):
        shutil.copyfile(shot, os.path.join(BUILD, "gui-screenshot.png"))
    text = " ".join(ocr.split())
    assert "UC purpose" in text, text[:2000]
    assert "Skinny Client Control" in text or "SCCP" in text, text[:2000]
    # The profile's width is applied: the column opened about 70 px wide
    # ("5060: Se…") while the recent file's key did not match.
    width = purpose_column_width(ocr_words(shot))
    assert abs(width - profile_width(workdir, "gui-screenshot", "%Cus:ciscouc.summary")) <= 40, width
    assert "Skinny Client Control Protocol (SCCP) [cucm-ja.t6.r3" in text, text[:2000]


def pixel(shot: str, x: int, y: int) -> tuple[int, int, int]:
    out = subprocess.run(["convert", shot, "-crop", f"1x1+{x}+{y}", "-depth", "8", "txt:-"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    m = re.search(r"\((\d+),(\d+),(\d+)", out.splitlines()[-1])
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def colorfilter_backgrounds(workdir: str, name: str) -> dict[str, tuple[int, int, int]]:
    """Rule name -> background colour (8-bit), from the installed profile."""
    with open(os.path.join(workdir, f"gui-home-{name}", ".config", "wireshark", "profiles", "Cisco UC",
                           "colorfilters")) as f:
        rules = {}
        for line in f:
            m = re.match(r"@([^@]+)@.*@\[(\d+),(\d+),(\d+)\]\[", line)
            if m:
                rules[m.group(1)] = tuple(int(v) // 257 for v in m.group(2, 3, 4))
    return rules


def test_gui_colours_known_rows(gui_tools, workdir, tshark):
    """misbehaviour.pcap in the GUI, packet list only: the rows of known frames
    are painted with the profile's colours (every flag, warning or note, paints
    every frame of its conversation)."""
    name = "gui-colours"
    pcap = os.path.join(workdir, "misbehaviour-gui.pcap")
    shutil.copyfile(os.path.join(ROOT, "captures", "misbehaviour.pcap"), pcap)
    os.chmod(pcap, 0o644)
    shot = gui_screenshot(workdir, tshark, pcap, name,
                          ["-o", "gui.tree_view_show:FALSE", "-o", "gui.byte_view_show:FALSE"])
    if os.path.isdir(BUILD):
        shutil.copyfile(shot, os.path.join(BUILD, f"{name}.png"))
    words = ocr_words(shot)
    title = header_left(words, "UC", "purpose")
    dest = header_left(words, "Destination")
    assert title and dest, "no packet list column titles in the screenshot"
    # Frame numbers the OCR read in the No. column (left of Destination, below
    # the titles) give the rows' positions.
    numbers = sorted((int(w["text"]), w["top"] + w["height"] / 2, w["left"]) for w in words
                     if w["text"].isdigit() and w["left"] < dest["left"] - 150 and w["top"] > title["top"] + 8)
    assert len(numbers) >= 8, numbers
    n0, y0, _ = numbers[0]
    steps = [(y - y0) / (n - n0) for n, y, _ in numbers[1:] if n != n0]
    height = sorted(steps)[len(steps) // 2]
    assert 10 <= height <= 40, (height, numbers)
    x = min(left for _, _, left in numbers) - 12  # left of the right-aligned numbers: background only
    bg = colorfilter_backgrounds(workdir, name)
    expected = {
        2: "ciscouc: unexpected port",  # 6000/udp, a frame after the one that raised the flag
        17: "ciscouc: protocol mismatch",
        21: "ciscouc: internal-only port between hosts",  # not the frame (20) that raised it
        23: "ciscouc: internal-only port between hosts",
        # The cleartext SCCP conversation: its SYN, before the frame (28) whose
        # payload raised the note, takes the note's colour (ciscouc.flag.insecure).
        25: "ciscouc: insecure variant",
        28: "ciscouc: insecure variant",
        # The next conversation holds no flag, and no confirmed purpose either
        # (SQL from a host that showed no role: only possible, issue 22): the
        # list's own background.
        33: None,
    }
    seen = {}
    for frame, rule in expected.items():
        y = int(y0 + (frame - n0) * height)
        seen[frame] = pixel(shot, x, y)
    for frame, rule in expected.items():
        want = bg[rule] if rule else (255, 255, 255)
        assert all(abs(a - b) <= 12 for a, b in zip(seen[frame], want)), (frame, rule, seen[frame], want, seen)
