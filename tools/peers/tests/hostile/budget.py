# SPDX-License-Identifier: GPL-2.0-or-later
"""The agent's resource arithmetic and bounds (issue 14, item 3).

A fake manager (vsmwire) sends ADDs to the real agent: a required memory of
2^64-1 must be refused with 129 and leave the free figure right; a required
memory of 0 costs the default (--function-memory), so the budget still ends
it; Functions and sessions per node are bounded.
"""

from harness import FakeManager, Harness, add, operation
import vsmwire as w

MIB = 1 << 20
BUDGET = 1 << 30


def mem(v):
    return w.opt(w.O_FUNCINFO, w.FI_REQ_MEMORY, str(v))


def free_memory(c, fid):
    a = operation(c, w.GET, [w.node_id(c.node), w.function_id(fid), w.opt(w.O_FUNCINFO, w.FI_AVAIL_MEMORY)])
    v = a.find(w.O_FUNCINFO, w.FI_AVAIL_MEMORY)
    return int(v[0]) if v and v[0].isdigit() else None


def memory_overflow(h):
    fm = FakeManager()
    h.start_agent(fm.port, "--memory-budget", str(BUDGET), name="agent", debug=False)
    c = fm.admit()
    h.check(add(c, 1, mem(MIB)).code == w.OK, "ADD of a 1 MiB Function is accepted")
    a = add(c, 2, mem((1 << 64) - 1))
    h.check(a.code == w.INSUFFICIENT, f"ADD with required memory 2^64-1 gets 129 (Code {a.code}, {a.vendor_text()!r})")
    free = free_memory(c, 1)
    h.check(free == BUDGET - MIB, f"the agent reports {free} bytes free, the budget less 1 MiB ({BUDGET - MIB})")
    a = add(c, 3, mem(BUDGET - MIB + 1))
    h.check(a.code == w.INSUFFICIENT, f"ADD of one byte more than is free gets 129 (Code {a.code})")
    a = add(c, 4, mem(BUDGET - MIB))
    h.check(a.code == w.OK, f"ADD of exactly what is free is accepted (Code {a.code})")


def memory_zero(h):
    fm = FakeManager()
    h.start_agent(
        fm.port, "--memory-budget", str(256 * MIB), "--function-memory", str(64 * MIB), name="agent", debug=False
    )
    c = fm.admit()
    codes = [add(c, fid, mem(0)).code for fid in range(1, 11)]
    accepted = codes.count(w.OK)
    h.check(accepted == 4, f"{accepted} Functions of required memory 0 fit a 256 MiB budget at 64 MiB each (4)")
    h.check(w.INSUFFICIENT in codes, f"the next ones get 129 (codes {codes})")


def add_many(c, fids, extra=lambda fid: [mem(1)]):
    """Pipelined ADDs (one batch, then the ACKs); returns {fid: Code}."""
    seqs = {}
    for fid in fids:
        seqs[c.send(w.OPERATION, w.ADD, [w.node_id(c.node), w.function_id(fid), *extra(fid)])] = fid
    codes = {}
    while len(codes) < len(seqs):
        m = c.wait_for(lambda m: m.type == w.ACK and m.seq in seqs, 20.0, node=c.node)
        codes[seqs[m.seq]] = m.code
    return codes


def max_functions(h):
    fm = FakeManager()
    # a bound option, if the agent has one, is set low; else the default bound must come below 12,000
    bound = h.option_like(h.args.agent, r"--max-[a-z-]*functions?\b")
    extra, limit, batch = ([bound, "1000"], 2000, 500) if bound else ([], 12000, 500)
    h.note(f"bound option: {bound or 'none, the default bound'}; trying up to {limit} Functions")
    agent = h.start_agent(fm.port, "--memory-budget", str(BUDGET), *extra, name="agent", debug=False)
    c = fm.admit()
    refused = None
    for first in range(1, limit + 1, batch):
        codes = add_many(c, range(first, first + batch))
        bad = {f: k for f, k in codes.items() if k not in (w.OK, w.INSUFFICIENT)}
        if bad:
            h.fail(f"ADDs got other Codes: {dict(list(bad.items())[:5])}")
            return
        no = [f for f, k in codes.items() if k == w.INSUFFICIENT]
        if no:
            refused = min(no)
            break
    h.check(refused is not None, f"1-byte Functions are bounded: ADD number {refused} got 129 (tried {limit})")
    h.memory_bound(agent, 128)


def max_sessions(h):
    fm = FakeManager()
    bound = h.option_like(h.args.agent, r"--max-[a-z-]*sessions?\b")
    extra = [bound, "20000"] if bound else []
    fbound = h.option_like(h.args.agent, r"--max-[a-z-]*functions?\b")
    extra += [fbound, "1000"] if fbound else []  # the Function bound must not be the one that answers
    h.note(f"bound option: {bound or 'none, the default bound'}; trying up to 300,000 sessions")
    agent = h.start_agent(fm.port, "--memory-budget", str(BUDGET), *extra, name="agent", debug=False)
    c = fm.admit()
    per_add, limit = 2000, 150  # up to 300,000 sessions
    refused = None

    def sessions(fid):
        return [mem(1), *(w.opt(w.O_SESSION, w.SI_URI, f"sip:{fid}-{i}@x") for i in range(per_add))]

    for first in range(1, limit + 1, 10):
        codes = add_many(c, range(first, first + 10), sessions)
        no = [f for f, k in codes.items() if k == w.INSUFFICIENT]
        if no:
            refused = min(no)
            break
    h.check(
        refused is not None,
        f"sessions are bounded: ADD number {refused} of {per_add} sessions each got 129 (tried {limit})",
    )
    h.memory_bound(agent, 160)


if __name__ == "__main__":
    Harness(
        __doc__,
        {
            "memory-overflow": memory_overflow,
            "memory-zero": memory_zero,
            "max-functions": max_functions,
            "max-sessions": max_sessions,
        },
    ).run()
