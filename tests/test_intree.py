"""The in-tree route of plugins/ciscouc/CMakeLists.txt, configured (not built).

The plugin folder builds two ways (INSTALL.md): out of tree from the ciscouc
top level, and inside a Wireshark source tree as plugins/epan/ciscouc. Both
are configured here with CMake's file API (codemodel-v2), the in-tree one
inside tests/intree_standin/, a stand-in for Wireshark's top level. The
tests check that the in-tree branch finds the checkout through a symlinked
folder, stops with a clear message for a copied one until it is told
CISCOUC_SOURCE_DIR, and compiles exactly the sources, version and language
standard the out-of-tree build does. The real build in a Wireshark source
tree is qa/intree-build.sh (by hand: it builds libwireshark).
"""
from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess

import pytest

from conftest import ROOT

# Version-independent (the in-tree CMake route): the chroots (--tier versions) leave it out.
pytestmark = pytest.mark.native

STANDIN = os.path.join(ROOT, "tests", "intree_standin")
PLUGIN = os.path.join(ROOT, "plugins", "ciscouc")
PYTHON = "/usr/bin/python3"


def configure(src: str, build: str, *defs: str) -> subprocess.CompletedProcess:
    """cmake configure with a codemodel query; the result's `message` is its
    stderr with CMake's line wrapping undone."""
    query = os.path.join(build, ".cmake", "api", "v1", "query")
    os.makedirs(query, exist_ok=True)
    open(os.path.join(query, "codemodel-v2"), "w").close()
    p = subprocess.run(["cmake", "-S", src, "-B", build, f"-DPython3_EXECUTABLE={PYTHON}", *defs],
                       capture_output=True, text=True, timeout=300)
    p.message = " ".join(p.stderr.split())
    return p


def targets(build: str) -> dict[str, dict]:
    """Target name -> the file API's target object."""
    reply = os.path.join(build, ".cmake", "api", "v1", "reply")
    index = sorted(glob.glob(os.path.join(reply, "index-*.json")))[-1]
    with open(index) as f:
        codemodel = json.load(f)["reply"]["codemodel-v2"]["jsonFile"]
    with open(os.path.join(reply, codemodel)) as f:
        config = json.load(f)["configurations"][0]
    out = {}
    for t in config["targets"]:
        with open(os.path.join(reply, t["jsonFile"])) as f:
            out[t["name"]] = json.load(f)
    return out


def plugin_sources(target: dict, folder: str) -> list[str]:
    """The target's compiled sources, relative to the plugin folder (folder:
    its path as the configured top level sees it) or as generated/<name>."""
    names = []
    for s in target["sources"]:
        if "compileGroupIndex" not in s:
            continue  # headers
        p = s["path"]
        if "/generated/" in p:
            names.append("generated/" + os.path.basename(p))
        elif p.startswith(folder + "/"):
            names.append(p[len(folder) + 1:])
        else:  # the core, core/ of the checkout (an absolute path in both routes)
            core = os.path.join(os.path.realpath(ROOT), "core")
            assert os.path.realpath(p).startswith(core + "/"), p
            names.append("core/" + os.path.relpath(os.path.realpath(p), core))
    return sorted(names)


def defines(target: dict) -> set[str]:
    return {d["define"] for g in target.get("compileGroups", []) for d in g.get("defines", [])}


def standards(target: dict) -> set[str]:
    return {g["languageStandard"]["standard"] for g in target.get("compileGroups", []) if "languageStandard" in g}


def standin_tree(tmp: str, link: bool) -> str:
    """A stand-in Wireshark source tree holding the plugin folder as
    plugins/epan/ciscouc: a symlink to this checkout's folder, or a copy."""
    ws = os.path.join(tmp, "wireshark")
    shutil.copytree(STANDIN, ws)
    os.makedirs(os.path.join(ws, "plugins", "epan"))
    dest = os.path.join(ws, "plugins", "epan", "ciscouc")
    if link:
        os.symlink(PLUGIN, dest)
    else:
        shutil.copytree(PLUGIN, dest)
    return ws


@pytest.fixture(scope="module")
def out_of_tree(tmp_path_factory) -> dict[str, dict]:
    build = str(tmp_path_factory.mktemp("oot"))
    p = configure(ROOT, build, "-DCISCOUC_TESTS=OFF")
    assert p.returncode == 0, p.stderr[-3000:]
    return targets(build)


def test_symlinked_folder_builds_what_the_out_of_tree_build_does(tmp_path, out_of_tree):
    ws = standin_tree(str(tmp_path), link=True)
    build = str(tmp_path / "build")
    p = configure(ws, build, "-DCUSTOM_PLUGIN_SRC_DIR=plugins/epan/ciscouc")
    assert p.returncode == 0, p.stderr[-3000:]
    assert f"catalog and generator from {os.path.realpath(ROOT)}" in p.stdout, p.stdout[-2000:]
    intree = targets(build)
    for name in ("ciscouc", "ciscouc_core"):
        got = plugin_sources(intree[name], "plugins/epan/ciscouc")
        want = plugin_sources(out_of_tree[name], "plugins/ciscouc")
        assert got == want, f"{name}: in-tree {got} != out-of-tree {want}"
        assert standards(intree[name]) == standards(out_of_tree[name]) == {"17"}, name
    version = {d for d in defines(out_of_tree["ciscouc"]) if d.startswith("CISCOUC_VERSION=")}
    assert version and version <= defines(intree["ciscouc"])
    # Into Wireshark's plugin folder (PLUGIN_DIR/epan), not the ciscouc build's.
    artifacts = [a["path"] for a in intree["ciscouc"]["artifacts"]]
    assert any(a.endswith("run/plugins/4.0/epan/ciscouc.so") for a in artifacts), artifacts


def test_copied_folder_needs_the_checkout(tmp_path):
    ws = standin_tree(str(tmp_path), link=False)
    build = str(tmp_path / "build")
    p = configure(ws, build, "-DCUSTOM_PLUGIN_SRC_DIR=plugins/epan/ciscouc")
    assert p.returncode != 0
    missing = os.path.join(os.path.realpath(ws), "plugins", "cmake", "CiscoucVersion.cmake")
    assert f"{missing} not found" in p.message and "-DCISCOUC_SOURCE_DIR=" in p.message, p.stderr[-3000:]
    p = configure(ws, build, f"-DCISCOUC_SOURCE_DIR={ROOT}")
    assert p.returncode == 0, p.stderr[-3000:]
    assert "ciscouc" in targets(build)


def test_folder_alone_says_how_to_build_it(tmp_path):
    p = configure(PLUGIN, str(tmp_path / "build"))
    assert p.returncode != 0
    assert "-DCUSTOM_PLUGIN_SRC_DIR=plugins/epan/ciscouc" in p.message, p.stderr[-3000:]
