#!/usr/bin/python3
"""Install the "Cisco UC" Wireshark configuration profile.

  install_profile.py [--dest DIR] [--print]

Columns for the documented purpose, the detected protocol and the flags;
coloring rules for each flag; display-filter buttons for common questions;
recognised RTP decoded as RTP (ciscouc.rtp_decode).
As root it installs the global profile (<datadir>/profiles/Cisco UC, offered to
every user) and root's personal one; as a user, the personal one
(~/.config/wireshark/profiles/Cisco UC). Idempotent: files are rewritten.
Use it with `wireshark -C "Cisco UC"` or `tshark -C "Cisco UC"`.
"""
from __future__ import annotations

import argparse
import os
import sys
import tomllib

import ucfacts

PROFILE = "Cisco UC"

COLUMNS = [
    ("No.", "%m"), ("Time", "%t"), ("Source", "%s"), ("Destination", "%d"), ("Protocol", "%p"),
    ("UC purpose", "%Cus:ciscouc.summary:0:R"), ("Detected", "%Cus:ciscouc.detected:0:R"),
    ("UC flags", "%Cus:ciscouc.flags:0:R"), ("Length", "%L"), ("Info", "%i"),
]

# (name, filter, foreground rgb, background rgb) - 8-bit values, scaled below.
# Wireshark's colorfilters lines are @name@filter@[background][foreground].
# Pixels; the purpose column fits a whole summary ("2000: Skinny Client Control
# Protocol (SCCP) [cucm-ja.t6.r3 +7]") in Wireshark's default font, and the ten
# columns fit a 1600-pixel window.
WIDTHS = {"%m": 50, "%t": 90, "%s": 100, "%d": 100, "%p": 70, "%Cus:ciscouc.summary:0:R": 560,
          "%Cus:ciscouc.detected:0:R": 70, "%Cus:ciscouc.flags:0:R": 130, "%L": 55, "%i": 300}

# The flags' rules come first, from catalog/vocabulary.toml [flags.NAME]
# (title, colour_order, foreground, background); these follow.
VOCABULARY = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "catalog", "vocabulary.toml")
OTHER_COLORS = [
    ("ciscouc: catch-all range only", "ciscouc.catch_all && count(ciscouc.catch_all) == count(ciscouc.use)", (80, 80, 80), (235, 235, 235)),
    # Green only where the capture confirms the purpose (ciscouc.evidence), not
    # where the port alone suggests one.
    ("ciscouc: documented UC conversation", "ciscouc.evidence == \"confirmed\"", (0, 0, 0), (215, 240, 215)),
]


def flag_field(name: str) -> str:
    """The per-packet field of flag NAME: packet-ciscouc.cpp registers
    ciscouc.flag.NAME for each [flags.NAME] and puts it on every packet of a
    conversation that holds the flag (the expert field ciscouc.NAME is on the
    frame that raised it only)."""
    return f"ciscouc.flag.{name}"


def load_flags(path: str = VOCABULARY) -> dict:
    path = os.path.normpath(path)
    try:
        with open(path, "rb") as f:
            flags = tomllib.load(f).get("flags", {})
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise SystemExit(f"install_profile: {path}: {e}")
    if not flags:
        raise SystemExit(f"install_profile: {path}: no [flags.NAME] sections")
    return flags


def flag_colors(path: str = VOCABULARY) -> list[tuple[str, str, tuple, tuple]]:
    """(name, filter, foreground, background) of each flag's colouring rule, in
    colour_order: every packet of a conversation holding the flag."""
    rules = []
    for name, f in load_flags(path).items():
        try:
            rules.append((f["colour_order"], f"ciscouc: {f['title']}", flag_field(name),
                          tuple(f["foreground"]), tuple(f["background"])))
        except KeyError as e:
            raise SystemExit(f"install_profile: {os.path.normpath(path)}: [flags.{name}] lacks {e}")
    return [r[1:] for r in sorted(rules)]


# Every packet of the matching conversations (ciscouc.flags and the
# ciscouc.flag.NAME fields are on each of them).
BUTTONS = [
    ("UC flagged", "ciscouc.flags", "Conversations with any ciscouc flag"),
    ("Unexpected port", flag_field("unexpected_port"), "UC protocol where no guide documents it"),
    ("Mismatch", flag_field("protocol_mismatch"), "Documented UC port carrying another protocol"),
    ("Internal only", flag_field("internal_only"), "Localhost-only ports seen between hosts"),
    ("Cleartext", flag_field("insecure"), "Cleartext where a secure counterpart is documented"),
    ("Signalling", "ciscouc.detected in {" + ", ".join(f'"{p}"' for p in ucfacts.call_signalling()) + "}",
     "UC call signalling"),
    ("Undocumented UDP", "udp && !ciscouc.entry && !rtp", "UDP conversations no guide explains"),
]


def preferences() -> str:
    cols = ", ".join(f'"{t}", "{f}"' for t, f in COLUMNS)
    return ("# Cisco UC profile for the ciscouc plugin (tools/install_profile.py).\n"
            f"gui.column.format: {cols}\n"
            "ciscouc.labels: TRUE\n"
            "ciscouc.info_column: FALSE\n"
            "# RTP that ciscouc recognises without SDP or Skinny setup is decoded as RTP\n"
            "# (RTP Streams, VoIP Calls), at Wireshark's cost of ~100 bytes per RTP packet.\n"
            "ciscouc.rtp_decode: TRUE\n")


def width_key(fmt: str) -> str:
    """A column's key in the recent file's column.width list.

    Wireshark 4.0 (ui/recent.c, read_set_recent_pair_static and
    recent_get_column_width) keys a custom column by "%Cus:" and its field list
    only, without the occurrence and display parts of the column format, so
    "%Cus:ciscouc.summary:0:R" in column.width never matched and the column
    opened at the default width."""
    if fmt.startswith("%Cus:"):
        return "%Cus:" + fmt[len("%Cus:"):].split(":")[0]
    return fmt


def recent() -> str:
    """Column widths live in the profile's recent file (ui/recent.c reads
    column.width from the profile's recent, not from recent_common)."""
    pairs = ", ".join(f"{width_key(f)}, {WIDTHS[f]}" for _, f in COLUMNS)
    return ("# Cisco UC profile: packet list column pixel widths, pairs of column format and width\n"
            f"column.width: {pairs}\n")


def colorfilters() -> str:
    def rgb(c):
        return ",".join(str(v * 257) for v in c)
    lines = [f"@{n}@{f}@[{rgb(bg)}][{rgb(fg)}]" for n, f, fg, bg in flag_colors() + OTHER_COLORS]
    return "# Cisco UC coloring rules (ciscouc)\n" + "\n".join(lines) + "\n"


def dfilter_buttons() -> str:
    return "".join(f'"TRUE","{label}","{expr.replace(chr(34), chr(92) + chr(34))}","{comment}"\n'
                   for label, expr, comment in BUTTONS)


def write_profile(folder: str) -> None:
    os.makedirs(folder, exist_ok=True)
    for name, text in (("preferences", preferences()), ("colorfilters", colorfilters()),
                       ("dfilter_buttons", dfilter_buttons()), ("recent", recent())):
        path = os.path.join(folder, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    print(f"install_profile: wrote profile '{PROFILE}' to {folder}")


def global_profiles_dir() -> str | None:
    for d in ("/usr/share/wireshark", "/usr/local/share/wireshark"):
        if os.path.isdir(d):
            return os.path.join(d, "profiles")
    return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dest", help="install into DIR/<profile> only")
    ap.add_argument("--print", action="store_true", help="print the files instead of installing")
    args = ap.parse_args(argv)
    if args.print:
        sys.stdout.write("== preferences\n" + preferences() + "== colorfilters\n" + colorfilters() +
                         "== dfilter_buttons\n" + dfilter_buttons() + "== recent\n" + recent())
        return 0
    if args.dest:
        write_profile(os.path.join(args.dest, PROFILE))
        return 0
    home = os.path.expanduser("~")
    write_profile(os.path.join(home, ".config", "wireshark", "profiles", PROFILE))
    if os.geteuid() == 0:
        g = global_profiles_dir()
        if g:
            write_profile(os.path.join(g, PROFILE))
    return 0


if __name__ == "__main__":
    sys.exit(main())
