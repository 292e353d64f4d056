# SPDX-License-Identifier: GPL-2.0-only
"""Instructions on a function's hit path, counted from its disassembly.

Callgrind cannot count the in-tree allocator's rseq fast path (valgrind
has no rseq, so the allocator runs its atomic fallback there).  Its fast
paths are laid out so that a hit falls through every test to the first
`ret` (misses are tail calls out of line), so the hit path's length is the
number of instructions from the entry to that `ret` with every conditional
jump not taken.  A static count: what the CPU executes on a hit, not what
it costs.
"""

import re
import subprocess

# "    4dc0:\ttest   %rdi,%rdi" (objdump -d --no-show-raw-insn)
INSN = re.compile(r"^\s*[0-9a-f]+:\s+([a-z][a-z0-9.]*)")


def hit_path_length(disassembly):
    """Instructions from the entry to the first ret, falling through
    conditional jumps; None if an unconditional jump or a call comes first
    (the hit path is then not a straight line) or there is no ret."""
    n = 0
    for line in disassembly.splitlines():
        m = INSN.match(line)
        if not m:
            continue
        op = m.group(1)
        n += 1
        if op in ("ret", "retq"):
            return n
        if op in ("jmp", "jmpq", "call", "callq"):
            return None
    return None


def function_disassembly(binary, func):
    """objdump's disassembly of one function of binary ('' if absent)."""
    p = subprocess.run(["objdump", "-d", "--no-show-raw-insn",
                        "--disassemble=" + func, binary],
                       capture_output=True, text=True, check=True)
    return p.stdout


def hit_paths(binary, funcs=("kmem_cache_alloc", "kmem_cache_free")):
    """{func: hit-path instructions or None} for the functions of binary."""
    return {f: hit_path_length(function_disassembly(binary, f))
            for f in funcs}
