#!/usr/bin/env python3
"""Where a firmware image's flash goes, by the runtime's layer.

    scripts/flash-breakdown.py IMAGE [BASELINE]

Each instruction of `.text` is attributed to the innermost inlined frame that is the
runtime's own code (crates/barewasm/src/LAYER/...), else to the crate or library it comes
from (compiler_builtins, libm, core, the firmware's board support); `.rodata` and the vector
table are listed whole. With BASELINE (the `baseline` image: the same board support and no
wasm), its figures are subtracted, so what is left is what the runtime adds. With LTO one
function holds code of several layers, which is why the attribution goes by source line,
not by symbol.

Needs llvm-objdump and llvm-addr2line (Debian's `llvm`; scripts/qemu.sh installs it).
"""

import collections
import re
import subprocess
import sys

RUNTIME = "crates/barewasm/src/"


def run(*cmd, stdin=None):
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, check=True).stdout


def layer_of(frames, symbol):
    """The bucket of one instruction, from its inline chain (innermost first)."""
    for _, path in frames:
        i = path.find(RUNTIME)
        if i >= 0:
            part = path[i + len(RUNTIME):].split(":")[0].split("/")[0]
            return "runtime: " + (part[:-3] if part.endswith(".rs") else part)
    # No line of the runtime's: by the function, the outermost frame's name if known.
    name = frames[-1][0] if frames and frames[-1][0] != "??" else symbol
    if name.startswith("OUTLINED_FUNCTION"):
        return "machine outliner (sequences shared by several functions)"
    if "compiler_builtins" in name or name.startswith("__"):
        # Most firmware links the mem* routines anyway; the baseline image does not.
        if re.search(r"mem(cpy|move|set|clr|cmp)", name):
            return "compiler-builtins: memcpy, memmove, memset"
        if re.search(r"float|fix|[df]2|2[df]|[ds]f[0-9]|[df]cmp|d(add|sub|mul|div)|(add|sub|mul|div)[ds]f", name):
            return "compiler-builtins: soft float (f64, conversions)"
        return "compiler-builtins: integer (64-bit division, shifts)"
    if "libm" in name:
        return "libm"
    if name.startswith(("minimal", "firmware", "programs", "baseline", "cortex_m")):
        return "firmware (board support, host functions)"
    if "barewasm" in name:
        return "runtime: other (inlined library code)"
    if "core::" in name or name.startswith(("<", "_$LT$")):
        return "core (formatting, slices)"
    return "other"


def breakdown(elf):
    sizes = collections.Counter()
    sections = {}
    for line in run("llvm-objdump", "-h", elf).splitlines():
        p = line.split()
        if len(p) >= 3 and p[0].isdigit():
            sections[p[1]] = int(p[2], 16)
    for name in (".vector_table", ".rodata", ".data"):
        if sections.get(name):
            sizes["section " + name] += sections[name]
    # Instruction addresses and the symbol each belongs to.
    addrs, syms = [], []
    symbol = ""
    for line in run("llvm-objdump", "-d", "--no-show-raw-insn", "-C", "-j", ".text", elf).splitlines():
        m = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
        if m:
            symbol = m.group(1)
            continue
        m = re.match(r"^\s*([0-9a-f]+):\s", line)
        if m:
            addrs.append(int(m.group(1), 16))
            syms.append(symbol)
    if not addrs:
        return sizes
    text_end = addrs[-1] + 4
    out = run("llvm-addr2line", "-e", elf, "-a", "-i", "-f", "-C",
              stdin="\n".join(hex(a) for a in addrs)).split("\n")
    chains, cur = [], None
    for line in out:
        if re.match(r"^0x[0-9a-f]+$", line):
            cur = []
            chains.append(cur)
        elif line and cur is not None:
            cur.append(line)
    for i, a in enumerate(addrs):
        size = (addrs[i + 1] if i + 1 < len(addrs) else text_end) - a
        g = chains[i] if i < len(chains) else []
        frames = [(g[j], g[j + 1]) for j in range(0, len(g) - 1, 2)]
        sizes[layer_of(frames, syms[i])] += size
    return sizes


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    image = breakdown(sys.argv[1])
    base = breakdown(sys.argv[2]) if len(sys.argv) == 3 else collections.Counter()
    rows = sorted(set(image) | set(base), key=lambda k: -(image[k] - base[k]))
    total = 0
    print(f"{'bytes':>8}  part")
    for k in rows:
        n = image[k] - base[k]
        if n:
            total += n
            print(f"{n:8d}  {k}")
    print(f"{total:8d}  total" + (" (image - baseline)" if base else ""))


if __name__ == "__main__":
    main()
