#!/usr/bin/env python3
"""Lists the panic call sites in a firmware image that the runtime's own code put there.

    scripts/panic-sites.py IMAGE [--allow N]

A panic site is a call or tail call to one of `core`'s panic entry points (a bounds check,
a failed slice range, `panic!`, ...). Each site is symbolized with its inlining chain
(`llvm-addr2line -i`) and belongs to the first frame outside `core`: the line that holds
the check, or that called the `core` function whose assert it is (a range index, or
`copy_within` inlined). It is the runtime's when that line is in `crates/barewasm/src`.
Asserts inside `core`'s out-of-line functions (such as the length check of
`copy_from_slice`, which the runtime makes before calling it) have no runtime frame and
count with the host's and the board's code.

A runtime site is allowed when its source line ends with the comment `// PANIC-SITE`
(each such line says why it keeps its check as a panic). Exits 1 when the runtime has
more than N other sites (default 0), after listing them. Needs
`llvm-objdump` and `llvm-addr2line` (Debian package `llvm`) and an image with debug info.
"""
import collections
import os
import re
import subprocess
import sys

PANIC = re.compile(r"panic|index_fail|len_mismatch_fail|unwrap_failed|expect_failed|assert_failed")
CALL = re.compile(r"^\s+([0-9a-f]+):\s+(?:bl|b\.w|b)\s+0x[0-9a-f]+ <([^>]+)>")
FUNC = re.compile(r"^[0-9a-f]+ <(.*)>:")


def marked(location):
    """Whether the source line at `location` (path:line) ends with `// PANIC-SITE`."""
    path, _, line = location.rpartition(":")
    line = line.split()[0] if line else ""
    if not os.path.exists(path) or not line.isdigit() or int(line) == 0:
        return False
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    n = int(line)
    return n <= len(lines) and lines[n - 1].rstrip().endswith("// PANIC-SITE")


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    image, allow = args[0], 0
    if len(args) == 3 and args[1] == "--allow":
        allow = int(args[2])
    dis = subprocess.run(
        ["llvm-objdump", "-d", "--no-show-raw-insn", image],
        capture_output=True, text=True, check=True,
    ).stdout
    sites, func = [], ""
    for line in dis.splitlines():
        m = FUNC.match(line)
        if m:
            func = m.group(1)
            continue
        m = CALL.match(line)
        # Calls from one panic function to another are `core`'s plumbing, not sites.
        if m and PANIC.search(m.group(2)) and not PANIC.search(func):
            sites.append(int(m.group(1), 16))
    if not sites:
        print(f"panic sites: none in {image}")
        return
    out = subprocess.run(
        ["llvm-addr2line", "-e", image, "-i", "-f", "-C", "-a"] + [hex(a) for a in sites],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()
    chains = []
    for line in out:
        if line.startswith("0x"):
            chains.append([])
        elif chains:
            chains[-1].append(line)
    runtime, allowed = collections.Counter(), collections.Counter()
    other = 0
    for chain in chains:
        locations = chain[1::2]
        # The check's own line, or for one of `core`'s (a range index, `copy_within`'s
        # assert) the line that called it: the first frame outside `core`.
        caller = next((loc for loc in locations if not loc.startswith("/rustc/")), "")
        if "crates/barewasm/src/" not in caller:
            other += 1
            continue
        where = re.sub(r".*crates/barewasm/", "", caller)
        if locations[0] != caller:
            where += f" ({re.sub(r'.*/library/', '', locations[0])})"
        (allowed if marked(caller) else runtime)[where] += 1
    total = sum(runtime.values())
    print(
        f"panic sites: {total} in the runtime, {sum(allowed.values())} allowed there "
        f"(PANIC-SITE), {other} elsewhere (core, host, board) in {image}"
    )
    for loc, n in sorted(runtime.items()):
        print(f"  {n} at {loc}")
    for loc, n in sorted(allowed.items()):
        print(f"  {n} allowed at {loc}")
    if total > allow:
        print(f"panic sites: the runtime has {total}, more than {allow}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
