"""The options every ciscouc command spells the same way (issue 25: one option
vocabulary): -o/--output names the output, given once; --pref NAME:VALUE is a
Wireshark preference, as tshark's own -o takes it (tshark(1), "-o
<preference>:<value>"). Used by tools/report, tools/annotate, tools/plan,
tools/fleet and tools/catalog; tests/test_options.py runs each of them.
"""
from __future__ import annotations

import argparse
import re

# A Wireshark preference as tshark -o takes it (NAME:VALUE, NAME a dotted name:
# MODULE.PREFERENCE, epan/prefs.c prefs_set_pref).
PREF = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_.-]+:")


def pref(value: str) -> str:
    """argparse type of --pref: NAME:VALUE with a dotted NAME, else a usage error naming it."""
    if not PREF.match(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not NAME:VALUE (a Wireshark preference, "
                                         "e.g. ciscouc.edition:cucm-current)")
    return value


def add_pref(parser: argparse.ArgumentParser, help_text: str = "") -> None:
    """--pref NAME:VALUE, repeatable, into args.prefs."""
    parser.add_argument("--pref", dest="prefs", action="append", default=[], type=pref, metavar="NAME:VALUE",
                        help=help_text or "a Wireshark preference, e.g. ciscouc.edition:cucm-current")


class OutputOnce(argparse.Action):
    """-o/--output, given once. A second -o is a usage error; where the command
    takes preferences (takes_prefs), so is a value shaped like one (the old
    `-o PREF:VALUE` of annotate and tshark), naming --pref."""

    def __init__(self, option_strings, dest, takes_prefs: bool = False, **kwargs):
        self.takes_prefs = takes_prefs
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, value, option_string=None):
        if self.takes_prefs and PREF.match(value):
            parser.error(f"{option_string} {value}: -o is the output file; give a Wireshark preference "
                         f"as --pref {value}")
        before = getattr(namespace, self.dest, None)
        if before is not None:
            tail = "; Wireshark preferences are --pref NAME:VALUE" if self.takes_prefs else ""
            parser.error(f"{option_string} given twice ({before}, {value}): -o/--output names the one output{tail}")
        setattr(namespace, self.dest, value)


def add_output(parser: argparse.ArgumentParser, help_text: str, takes_prefs: bool = False,
               metavar: str | None = None) -> None:
    """-o/--output into args.output (None when not given)."""
    parser.add_argument("-o", "--output", action=OutputOnce, takes_prefs=takes_prefs, metavar=metavar,
                        help=help_text)
