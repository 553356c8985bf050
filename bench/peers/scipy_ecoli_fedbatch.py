#!/usr/bin/python3
"""SciPy peer of bench/sim_bench.cc (`make bench`): the E. coli overflow model of Anane et al.
(2017) through the 40 h fed-batch of bench/ecoli_fedbatch.yaml, solved with
scipy.integrate.solve_ivp (BDF) at the same tolerances as biotwin.

This is an independent implementation written from the published equations
(/work/shared/reference/benchmarks/ecoli_overflow_anane2017.json, "rates"/"odes"/"params"),
not generated from the biotwin model file. State order: V, X, S, A, DOT, DOTm.

  usage: /usr/bin/python3 bench/peers/scipy_ecoli_fedbatch.py [--runs N]

Prints one JSON object on stdout: median seconds per run (wall and CPU), the runs, the final state, the solver
statistics and the SciPy version. Run it with /usr/bin/python3 (Debian's python3-scipy).
"""
import argparse
import json
import math
import platform
import statistics
import sys
import time

import numpy as np
import scipy
from scipy.integrate import solve_ivp

# Parameters: Anane et al. 2017, main fit.
qSmax, Ks, Kia = 0.6356, 0.037, 1.2399
pAmax, Kap, Yas = 0.2268, 0.5052, 0.9097
Ko, qm, Yem = 0.0001, 0.0129, 0.5333
Cx, Cs = 0.488, 0.391
qAmax, Kis, Ksa = 0.1148, 2.1231, 0.0134
Yxa, Yxsof, Yos, Yoa = 0.5718, 0.2268, 1.562, 0.544
H = 14000.0          # % * L / g
Kla = 220.0          # 1/h
tau = 35.0           # s  -> the probe equation uses 3600/tau in 1/h
Si = 300.0           # g/L
DOTstar = 99.0       # %

STATE_NAMES = ["V", "X", "S", "A", "DOT", "DOTm"]
X0 = [2.0, 0.17, 4.94, 0.0129, 98.0, 98.0]

# Feed: 0 before 9 h, then 0.002*exp(0.05 (t - 9)) L/h, capped at 0.05 L/h.
FEED_START, FEED_INITIAL, FEED_RATE, FEED_MAX = 9.0, 0.002, 0.05, 0.05
T_END = 40.0

RTOL, ATOL = 1e-6, 1e-8
# Absolute tolerance per state, biotwin's rule (src/sim/simulator_run.cc, Setup): a state's own
# abs_tol if the model sets one (S and A: 1e-9 in models/ecoli_anane2017.yaml), otherwise
# ATOL * max(1, |x0_i|).
_ABS_TOL_OVERRIDE = {"S": 1e-9, "A": 1e-9}
ATOL_VEC = np.array([_ABS_TOL_OVERRIDE.get(n, ATOL * max(1.0, abs(x)))
                     for n, x in zip(STATE_NAMES, X0)])


def feed(t):
    if t < FEED_START:
        return 0.0
    return min(FEED_INITIAL * math.exp(FEED_RATE * (t - FEED_START)), FEED_MAX)


def make_rhs(fed):
    """Right-hand side for one piece of the feed profile (fed=False: batch, F = 0)."""
    def rhs(t, y):
        V, X, S, A, DOT, DOTm = y
        F = feed(t) if fed else 0.0
        D = F / V
        qS = qSmax / (1.0 + A / Kia) * S / (S + Ks)
        qSof = pAmax * qS / (qS + Kap)
        pA = qSof * Yas
        qSox = (qS - qSof) * DOT / (DOT + Ko)
        qSan = (qSox - qm) * Yem * Cx / Cs
        qsA = qAmax / (1.0 + qS / Kis) * A / (A + Ksa)
        qA = pA - qsA
        mu = (qSox - qm) * Yem + qsA * Yxa + qSof * Yxsof
        qO = Yos * (qSox - qSan) + qsA * Yoa
        return np.array([
            F,
            X * (mu - D),
            D * (Si - S) - qS * X,
            qA * X - D * A,
            Kla * (DOTstar - DOT) - qO * X * H,
            (3600.0 / tau) * (DOT - DOTm),
        ])
    return rhs


RHS_BATCH = make_rhs(False)
RHS_FED = make_rhs(True)


def run_once():
    """One full 40 h run, restarting the integrator at the feed start (a discontinuity)."""
    stats = {"nfev": 0, "njev": 0, "nlu": 0}
    times, states = [], []
    y0 = np.array(X0)
    for (t0, t1, rhs) in ((0.0, FEED_START, RHS_BATCH), (FEED_START, T_END, RHS_FED)):
        t_eval = np.arange(math.ceil(t0), math.floor(t1) + 1, 1.0)
        sol = solve_ivp(rhs, (t0, t1), y0, method="BDF", rtol=RTOL, atol=ATOL_VEC, t_eval=t_eval)
        if not sol.success:
            raise RuntimeError("solve_ivp failed on [%g, %g]: %s" % (t0, t1, sol.message))
        for k in stats:
            stats[k] += int(getattr(sol, k))
        start = 1 if times and sol.t[0] == times[-1] else 0
        times.extend(sol.t[start:].tolist())
        states.extend(sol.y[:, start:].T.tolist())
        y0 = sol.y[:, -1].copy()
    return times, states, stats


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=20, help="timed runs (default 20)")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be at least 1")

    times, states, stats = run_once()  # warm-up (imports, caches), not timed
    seconds, cpu_seconds = [], []
    for _ in range(args.runs):
        t0, c0 = time.perf_counter(), time.process_time()
        times, states, stats = run_once()
        seconds.append(time.perf_counter() - t0)
        cpu_seconds.append(time.process_time() - c0)

    out = {
        "name": "E. coli 40 h fed-batch, SciPy solve_ivp BDF",
        "median_s": statistics.median(seconds),          # wall time per run
        "median_cpu_s": statistics.median(cpu_seconds),  # process CPU time per run
        "min_s": min(seconds),
        "max_s": max(seconds),
        "runs": args.runs,
        "seconds": seconds,
        "method": "BDF",
        "jacobian": "finite differences (solve_ivp default)",
        "rtol": RTOL,
        "atol": dict(zip(STATE_NAMES, ATOL_VEC.tolist())),
        "state_names": STATE_NAMES,
        "final_time": times[-1],
        "final_state": dict(zip(STATE_NAMES, states[-1])),
        "outputs": len(times),
        "nfev": stats["nfev"],
        "njev": stats["njev"],
        "nlu": stats["nlu"],
        "scipy_version": scipy.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
