# SPDX-License-Identifier: GPL-2.0-only
"""Instructions on a function's hit paths, counted from its disassembly.

kmem_cache_alloc and kmem_cache_free have two fast paths in one function:
atomic mode's (a `lock`ed trylock around the sheaf pop or push), tested
first, and the lockless rseq sequence (it opens by storing the sequence's
descriptor to the thread's rseq area, a store to %fs:).  Callgrind can only
run the first (valgrind has no rseq), so the second is counted here.  A
hit is a straight run of instructions to a `ret` (misses are tail calls
out of line), so a path's length is the fewest instructions from the entry
to a `ret` that pass an instruction of that path, over every choice of
conditional jumps, never through an unconditional jump or a call.  A
static count: what the CPU executes on a hit, not what it costs.
"""

import collections
import re
import subprocess

# "    4dc0:\ttest   %rdi,%rdi" (objdump -d --no-show-raw-insn)
INSN = re.compile(r"^\s*([0-9a-f]+):\s+([a-z][a-z0-9.]*)\s*(.*)$")
TARGET = re.compile(r"^([0-9a-f]+)\b")

# What marks each fast path: the rseq sequence stores its descriptor's
# address to the rseq area (destination %fs:...); atomic mode's trylock is
# the function's `lock`ed instruction.
PATHS = {
    "rseq": lambda op, args: bool(re.search(r",%fs:", args)),
    "atomic": lambda op, args: op == "lock",
}


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


def hit_paths(binary, path="rseq",
              funcs=("kmem_cache_alloc", "kmem_cache_free")):
    """{func: instructions on its `path` hit path (see PATHS), or None}."""
    return {f: hit_path_length(function_disassembly(binary, f), PATHS[path])
            for f in funcs}
