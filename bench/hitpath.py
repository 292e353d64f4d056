# SPDX-License-Identifier: GPL-2.0-only
"""Instructions on a function's hit paths, counted from its disassembly.

kmem_cache_alloc and kmem_cache_free hold four hit paths: the sheaves' and
the cpu slab's, each in rseq mode and in atomic mode.  Callgrind can only
run atomic mode (valgrind has no rseq), so the rseq paths are counted
here.  A hit is a run of instructions to a `ret` (misses are tail calls
out of line), so a path's length is the fewest instructions from the
entry to a `ret` that pass an instruction marking that path, over every
choice of conditional jumps, following jumps inside the function but
never a call or a jump out of it.

The mode is one flag (slab_use_rseq) that the compiler may test more
than once, e.g. once for the CPU id and once for the lock; a path that
takes the rseq branch at one test and the atomic branch at the next is
shorter than either real one and never runs.  So a search for a path of
a known mode follows each test of that flag (a register loaded from it,
or the flag in memory compared with 0) the way the mode decides.  A
static count: what the CPU executes on a hit, not what it costs.
"""

import collections
import re
import subprocess

# "    4dc0:\ttest   %rdi,%rdi" (objdump -d --no-show-raw-insn)
INSN = re.compile(r"^\s*([0-9a-f]+):\s+([a-z][a-z0-9.]*)\s*(.*)$")
TARGET = re.compile(r"^([0-9a-f]+)\b")
REG = re.compile(r"^%([a-z0-9]+)$")
MODE_FLAG = "<slab_use_rseq>"

# What marks each hit path, and the mode it runs in (slab_use_rseq): the
# sheaves' rseq trylock commits a store of 1 to the lock word, the cpu
# slab's rseq sequence an unlocked cmpxchg16b; in atomic mode the
# sheaves' trylock is a `lock bts` and the cpu slab's commit a `lock
# cmpxchg16b`.
MARKERS = {
    "rseq sheaf": (lambda op, args: (op == "movl" and
                                     args.startswith("$0x1,(")), True),
    "atomic sheaf": (lambda op, args: (op == "lock" and
                                       args.startswith("bts")), False),
    "rseq cpu slab": (lambda op, args: op == "cmpxchg16b", True),
    "atomic cpu slab": (lambda op, args: (op == "lock" and
                                          args.startswith("cmpxchg16b")),
                        False),
}
PATHS = {name: marker for name, (marker, _) in MARKERS.items()}
MODES = {name: rseq for name, (_, rseq) in MARKERS.items()}
# the paths a cache with sheaves hits, and one without (the cpu slab)
SHEAF_PATHS = ("rseq sheaf", "atomic sheaf")
CPU_SLAB_PATHS = ("rseq cpu slab", "atomic cpu slab")


def parse(disassembly):
    """[(address, op, operands)] of the instructions, in order (operands
    keep objdump's trailing comment, e.g. '# 2c302 <slab_use_rseq>')."""
    out = []
    for line in disassembly.splitlines():
        m = INSN.match(line)
        if m:
            out.append((int(m.group(1), 16), m.group(2), m.group(3)))
    return out


def _reg(operand):
    """Canonical name of a general register operand (%dl, %edx, %rdx ->
    'dx'; %r10d -> 'r10'), or None."""
    m = REG.match(operand.strip())
    if not m:
        return None
    r = m.group(1)
    if re.match(r"^r(8|9|1[0-5])[dwb]?$", r):
        return re.sub(r"[dwb]$", "", r)
    r = re.sub(r"^[re]", "", r) if len(r) == 3 else r
    return {"al": "ax", "bl": "bx", "cl": "cx", "dl": "dx",
            "sil": "si", "dil": "di"}.get(r, r)


def _operands(args):
    return [a.strip() for a in args.split("#")[0].split(",")] if args else []


def _flag_step(insn, held, tested):
    """(registers holding the mode flag after insn, whether the condition
    codes after it say 'the flag is zero'); a jump keeps them."""
    op, args = insn[1], insn[2]
    if op.startswith("j"):
        return held, tested
    ops = _operands(args)
    if op.startswith("mov") and MODE_FLAG in args and _reg(ops[-1]):
        return held | {_reg(ops[-1])}, False
    if op.startswith("test") and len(ops) == 2 and \
            _reg(ops[0]) in held and _reg(ops[0]) == _reg(ops[1]):
        return held, True
    if op.startswith("cmp") and MODE_FLAG in args and ops[0] == "$0x0":
        return held, True
    dest = _reg(ops[-1]) if ops else None
    if dest in held and not op.startswith(("test", "cmp")):
        held = held - {dest}
    return held, False


def _successors(insns, at, i, decided=None):
    """Indexes execution may go to after insns[i]; None: a ret.  decided:
    True/False if this conditional jump tests whether the mode flag is
    zero and it is (False) or is not (True)."""
    op, args = insns[i][1], insns[i][2]
    if op in ("ret", "retq"):
        return None
    if op in ("call", "callq"):
        return []
    m = TARGET.match(args)
    target = at.get(int(m.group(1), 16)) if m else None
    if op in ("jmp", "jmpq"):
        return [target] if target is not None else []
    nxt = [i + 1] if i + 1 < len(insns) else []
    if op.startswith("j") and target is not None:
        if decided is not None and op in ("je", "jz", "jne", "jnz"):
            zero_taken = op in ("je", "jz")
            return [target] if zero_taken == (not decided) else nxt
        nxt.append(target)
    return nxt


def hit_path_length(disassembly, through=None, rseq=None):
    """Fewest instructions from the entry to a ret; with through (a
    predicate on op and operands), only paths that pass an instruction it
    accepts; with rseq (True/False), only paths that test the mode flag
    as that mode does.  None if no such path."""
    insns = parse(disassembly)
    if not insns:
        return None
    at = {a: i for i, (a, _, _) in enumerate(insns)}

    def enter(i, passed, held, tested):
        # the state on reaching insns[i], its own effect applied
        passed = passed or through is None or through(*insns[i][1:])
        if rseq is None:
            return (i, passed, frozenset(), False)
        held, tested = _flag_step(insns[i], held, tested)
        return (i, passed, frozenset(held), tested)

    start = enter(0, False, frozenset(), False)
    seen = {start}
    queue = collections.deque([(start, 1)])
    while queue:
        (i, passed, held, tested), n = queue.popleft()
        nxt = _successors(insns, at, i, rseq if tested else None)
        if nxt is None:
            if passed:
                return n
            continue
        for j in nxt:
            state = enter(j, passed, held, tested)
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
    return {f: hit_path_length(function_disassembly(binary, f), PATHS[path],
                               MODES[path])
            for f in funcs}
