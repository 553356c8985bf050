#!/usr/bin/python3
"""SciPy peer of bench/closed_loop_bench.cc (`make bench`): the E. coli model under the DO-stat
of bench/ecoli_do_stat.yaml, run as the same sampled loop — every 0.05 h a velocity-form PI
computes the held glucose feed from the probe state DOTm, then solve_ivp (BDF, same tolerances)
integrates the interval with the feed frozen. The model equations and tolerances come from
scipy_ecoli_fedbatch.py (an independent implementation from the published equations).

  usage: /usr/bin/python3 bench/peers/scipy_ecoli_do_stat.py [--runs N]

Prints one JSON object: median seconds per run (wall and CPU), the final state, solver counts.
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import scipy
from scipy.integrate import solve_ivp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scipy_ecoli_fedbatch as ec  # noqa: E402

H_SAMPLE, T_END, SETPOINT = 0.05, 40.0, 30.0
KP, TI, U_MIN, U_MAX, MANUAL_UNTIL = 0.0002, 2.0, 0.0, 0.05, 6.0


def rhs_held(F):
    """The model's right-hand side with the feed held at F (the fed-batch peer's equations)."""
    def rhs(t, y):
        V, X, S, A, DOT, DOTm = y
        D = F / V
        qS = ec.qSmax / (1.0 + A / ec.Kia) * S / (S + ec.Ks)
        qSof = ec.pAmax * qS / (qS + ec.Kap)
        pA = qSof * ec.Yas
        qSox = (qS - qSof) * DOT / (DOT + ec.Ko)
        qSan = (qSox - ec.qm) * ec.Yem * ec.Cx / ec.Cs
        qsA = ec.qAmax / (1.0 + qS / ec.Kis) * A / (A + ec.Ksa)
        mu = (qSox - ec.qm) * ec.Yem + qsA * ec.Yxa + qSof * ec.Yxsof
        qO = ec.Yos * (qSox - qSan) + qsA * ec.Yoa
        return np.array([F, X * (mu - D), D * (ec.Si - S) - qS * X, (pA - qsA) * X - D * A,
                         ec.Kla * (ec.DOTstar - DOT) - qO * X * ec.H,
                         (3600.0 / ec.tau) * (DOT - DOTm)])
    return rhs


def run_once():
    n = int(round(T_END / H_SAMPLE))
    y = np.array(ec.X0)
    u, e_prev = 0.0, None
    stats = {"nfev": 0, "njev": 0, "nlu": 0}
    for k in range(n):
        t = k * H_SAMPLE
        e = y[5] - SETPOINT  # direct action: e = y - sp
        if e_prev is None:
            e_prev = e
        if t < MANUAL_UNTIL - 1e-9:
            u = 0.0  # manual; the PI keeps its error history (bumpless transfer)
        else:
            u = min(max(u + KP * (e - e_prev) + KP * H_SAMPLE / TI * e, U_MIN), U_MAX)
        e_prev = e
        sol = solve_ivp(rhs_held(u), (t, t + H_SAMPLE), y, method="BDF", rtol=ec.RTOL, atol=ec.ATOL_VEC)
        if not sol.success:
            raise RuntimeError("solve_ivp failed on [%g, %g]: %s" % (t, t + H_SAMPLE, sol.message))
        for key in stats:
            stats[key] += int(getattr(sol, key))
        y = sol.y[:, -1].copy()
    return y, stats, n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="timed runs (default 3)")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    y, stats, n = run_once()
    seconds, cpu = [], []
    for _ in range(args.runs):
        t0, c0 = time.perf_counter(), time.process_time()
        y, stats, n = run_once()
        seconds.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    json.dump({
        "name": "E. coli 40 h DO-stat, sampled loop, SciPy solve_ivp BDF per interval",
        "median_s": statistics.median(seconds), "median_cpu_s": statistics.median(cpu),
        "runs": args.runs, "intervals": n, "state_names": ec.STATE_NAMES,
        "final_state": dict(zip(ec.STATE_NAMES, y.tolist())), **stats,
        "scipy_version": scipy.__version__,
    }, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
