# SPDX-License-Identifier: GPL-2.0-only
"""Instructions on a function's hit paths, counted from its disassembly.

kmem_cache_alloc and kmem_cache_free hold four hit paths: the sheaves' and
the cpu slab's, each in rseq mode and in atomic mode.  Callgrind can only
run atomic mode (valgrind has no rseq), so the rseq paths are counted
here.  A hit is a straight run of instructions to a `ret` (misses are
tail calls out of line), so a path's length is the fewest instructions
from the entry to a `ret` that pass an instruction marking that path, over
every choice of conditional jumps, never through an unconditional jump or
a call.  A static count: what the CPU executes on a hit, not what it
costs.
"""

import collections
import re
import subprocess

# "    4dc0:\ttest   %rdi,%rdi" (objdump -d --no-show-raw-insn)
INSN = re.compile(r"^\s*([0-9a-f]+):\s+([a-z][a-z0-9.]*)\s*(.*)$")
TARGET = re.compile(r"^([0-9a-f]+)\b")

# What marks each hit path: the sheaves' rseq trylock commits a store of 1
# to the lock word, the cpu slab's rseq sequence an unlocked cmpxchg16b;
# in atomic mode the sheaves' trylock is a `lock bts` and the cpu slab's
# commit a `lock cmpxchg16b`.
PATHS = {
    "rseq sheaf": lambda op, args: (op == "movl" and
                                    args.startswith("$0x1,(")),
    "atomic sheaf": lambda op, args: op == "lock" and args.startswith("bts"),
    "rseq cpu slab": lambda op, args: op == "cmpxchg16b",
    "atomic cpu slab": lambda op, args: (op == "lock" and
                                         args.startswith("cmpxchg16b")),
}
# the paths a cache with sheaves hits, and one without (the cpu slab)
SHEAF_PATHS = ("rseq sheaf", "atomic sheaf")
CPU_SLAB_PATHS = ("rseq cpu slab", "atomic cpu slab")


def parse(disassembly):
    """[(address, op, operands)] of the instructions, in order."""
    out = []
    for line in disassembly.splitlines():
        m = INSN.match(line)
        if m:
            out.append((int(m.group(1), 16), m.group(2), m.group(3)))
    return out


def _successors(insns, at, i):
    """Indexes execution may go to after insns[i]; None: a ret."""
    op, args = insns[i][1], insns[i][2]
    if op in ("ret", "retq"):
        return None
    if op in ("jmp", "jmpq", "call", "callq"):
        return []
    nxt = [i + 1] if i + 1 < len(insns) else []
    if op.startswith("j"):
        m = TARGET.match(args)
        if m and int(m.group(1), 16) in at:
            nxt.append(at[int(m.group(1), 16)])
    return nxt


def hit_path_length(disassembly, through=None):
    """Fewest instructions from the entry to a ret; with through (a
    predicate on op and operands), only paths that pass an instruction it
    accepts.  None if no such path."""
    insns = parse(disassembly)
    if not insns:
        return None
    at = {a: i for i, (a, _, _) in enumerate(insns)}
    start = (0, through is None or through(*insns[0][1:]))
    seen = {start}
    queue = collections.deque([(start, 1)])
    while queue:
        (i, passed), n = queue.popleft()
        nxt = _successors(insns, at, i)
        if nxt is None:
            if passed:
                return n
            continue
        for j in nxt:
            state = (j, passed or through is None or
                     through(*insns[j][1:]))
            if state not in seen:
                seen.add(state)
                queue.append((state, n + 1))
    return None


def function_disassembly(binary, func):
    """objdump's disassembly of one function of binary ('' if absent)."""
    p = subprocess.run(["objdump", "-d", "--no-show-raw-insn",
                        "--disassemble=" + func, binary],
                       capture_output=True, text=True, check=True)
    return p.stdout


def hit_paths(binary, path="rseq sheaf",
              funcs=("kmem_cache_alloc", "kmem_cache_free")):
    """{func: instructions on its `path` hit path (see PATHS), or None}."""
    return {f: hit_path_length(function_disassembly(binary, f), PATHS[path])
            for f in funcs}
