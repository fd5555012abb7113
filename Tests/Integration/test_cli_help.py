"""`floe --help` and every subcommand's help, pinned as golden files (Tests/Integration/golden/help).
After an intended change, regenerate with FLOE_UPDATE_GOLDEN=1 and review the diff."""
import os
import re
import subprocess

import pytest

BINARY = os.environ.get("FLOE_BINARY") or os.path.join(os.path.dirname(__file__), "../../.build/debug/floe")
GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "help")


def help_text(path):
    env = dict(os.environ, COLUMNS="100")
    result = subprocess.run([BINARY, *path, "--help"], env=env, capture_output=True, timeout=30)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def subcommands(text):
    section = text.split("SUBCOMMANDS:", 1)
    if len(section) == 1:
        return []
    names = []
    for line in section[1].splitlines():
        match = re.match(r"^  (\S+)\s", line + " ")
        if match and not line.startswith("   ") and match.group(1) != "See":
            names.append(match.group(1))
    return names


def command_tree(path=()):
    text = help_text(list(path))
    yield path, text
    for name in subcommands(text):
        if name == "help":
            continue
        yield from command_tree(path + (name,))


def golden_name(path):
    return ("floe" + "".join("_" + p for p in path)) + ".txt"


def test_help_is_complete_and_pinned():
    seen = set()
    problems = []
    for path, text in command_tree():
        name = golden_name(path)
        seen.add(name)
        assert "OVERVIEW:" in text and "USAGE:" in text, path
        golden = os.path.join(GOLDEN, name)
        if os.environ.get("FLOE_UPDATE_GOLDEN") == "1":
            os.makedirs(GOLDEN, exist_ok=True)
            with open(golden, "w") as f:
                f.write(text)
            continue
        if not os.path.exists(golden):
            problems.append(f"{name}: no golden file (run with FLOE_UPDATE_GOLDEN=1)")
        elif open(golden).read() != text:
            problems.append(f"{name}: help text changed")
    assert not problems, "\n".join(problems)
    stale = set(os.listdir(GOLDEN)) - seen if os.path.isdir(GOLDEN) else set()
    assert not stale, f"golden files for commands that no longer exist: {sorted(stale)}"
    # The whole client surface is there.
    for expected in ["alias set", "cp", "mirror", "undo", "anonymous set", "presign", "admin user add", "admin svcacct add",
                     "catalog table history", "server"]:
        assert golden_name(tuple(expected.split())) in seen, expected


def test_every_option_has_help():
    entry = re.compile(r"^  (?P<name>(-\S+(, -\S+)?( <[^>]+>)?)|(<[^>]+>( \.\.\.)?))(?P<help>\s+\S.*)?$")
    missing = []
    for path, text in command_tree():
        lines = text.splitlines()
        for i, line in enumerate(lines):
            match = entry.match(line)
            if not match:
                continue
            # The help follows on the same line, or (for long names) on the next, indented further.
            following = lines[i + 1] if i + 1 < len(lines) else ""
            if not match.group("help") and not re.match(r"^ {6,}\S", following):
                missing.append(f"{' '.join(path)}: {line.strip()}")
    assert not missing, "\n".join(missing)
