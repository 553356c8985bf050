#!/usr/bin/python3
"""SciPy peer of bench/fit_bench.cc (`make bench`): fit the same 6 parameters of the E. coli
overflow model (Anane et al. 2017) to the same 10 noisy fed-batches, from the same start, with
scipy.optimize.least_squares (trust region reflective, bounds, finite-difference Jacobian) over
scipy.integrate.solve_ivp (BDF) at the same tolerances as biotwin.

The model is written independently from the published equations (as in
bench/peers/scipy_ecoli_fedbatch.py); the batches (initial X and S, feed concentration Si,
exponential feed from 9 h, 10 mL samples every 4 h to 36 h) are read from DATA_DIR/batches.json
and the measurements from the CSV files fit_bench wrote there. Parameters are optimised in
log space within the model's bounds, like biotwin. State order: V, X, S, A, DOT, DOTm.

  usage: /usr/bin/python3 bench/peers/scipy_fit.py DATA_DIR [--runs N]

Prints one JSON object: median wall and CPU seconds per fit, the optimum, its objective
J = sum ((model - measured)/sigma)^2, evaluation counts and versions.
"""
import argparse
import csv
import json
import math
import os
import platform
import statistics
import sys
import time

import numpy as np
import scipy
from scipy.integrate import solve_ivp
from scipy.optimize import least_squares

FIXED = {"Kia": 1.2399, "Kap": 0.5052, "Yas": 0.9097, "Ko": 0.0001, "qm": 0.0129, "Cx": 0.488,
         "Cs": 0.391, "Kis": 2.1231, "Ksa": 0.0134, "Yxa": 0.5718, "Yxsof": 0.2268, "Yoa": 0.544,
         "H": 14000.0, "kLa": 220.0, "tau_h": 35.0 / 3600.0, "DOTstar": 99.0}
BOUNDS = {"qSmax": (0.1, 3), "Ks": (1e-4, 1), "pAmax": (0, 2), "Yem": (0.1, 1), "qAmax": (0, 1),
          "Yos": (0.5, 3)}
STATES = ["V", "X", "S", "A", "DOT", "DOTm"]
FEED_START, FEED_INITIAL, FEED_RATE, FEED_MAX = 9.0, 0.002, 0.05, 0.05
SAMPLES = [4.0 * k for k in range(1, 10)]  # 10 mL withdrawn at broth composition
T_END, RTOL, ATOL = 40.0, 1e-6, 1e-8


def rhs_factory(p, Si, fed):
    qSmax, Ks, pAmax, Yem, qAmax, Yos = p
    f = FIXED

    def rhs(t, y):
        V, X, S, A, DOT, DOTm = y
        F = min(FEED_INITIAL * math.exp(FEED_RATE * (t - FEED_START)), FEED_MAX) if fed else 0.0
        D = F / V
        qS = qSmax / (1.0 + A / f["Kia"]) * S / (S + Ks)
        qSof = pAmax * qS / (qS + f["Kap"])
        qSox = (qS - qSof) * DOT / (DOT + f["Ko"])
        qSan = (qSox - f["qm"]) * Yem * f["Cx"] / f["Cs"]
        qsA = qAmax / (1.0 + qS / f["Kis"]) * A / (A + f["Ksa"])
        mu = (qSox - f["qm"]) * Yem + qsA * f["Yxa"] + qSof * f["Yxsof"]
        qO = Yos * (qSox - qSan) + qsA * f["Yoa"]
        return [F, X * (mu - D), D * (Si - S) - qS * X, (qSof * f["Yas"] - qsA) * X - D * A,
                f["kLa"] * (f["DOTstar"] - DOT) - qO * X * f["H"], (DOT - DOTm) / f["tau_h"]]
    return rhs


def simulate(p, batch, times):
    """States at `times` (sorted), integrating piece by piece between feed start and samples."""
    y0 = np.array([2.0, batch["X0"], batch["S0"], 0.0129, 98.0, 98.0])
    atol = np.array([ATOL * max(1.0, abs(v)) for v in y0])
    atol[2] = atol[3] = 1e-9  # abs_tol of S and A in the model file
    breaks = sorted(set([0.0, FEED_START, T_END] + SAMPLES))
    out = np.empty((len(times), 6))
    idx = 0
    nfev = 0
    y = y0
    for t0, t1 in zip(breaks[:-1], breaks[1:]):
        rhs = rhs_factory(p, batch["Si"], t0 >= FEED_START)
        sel = [i for i in range(idx, len(times)) if times[i] <= t1 + 1e-12]
        t_eval = [times[i] for i in sel]
        sol = solve_ivp(rhs, (t0, t1), y, method="BDF", rtol=RTOL, atol=atol,
                        t_eval=t_eval if t_eval else None)
        nfev += sol.nfev
        if not sol.success:
            raise RuntimeError(sol.message)
        for k, i in enumerate(sel):
            out[i] = sol.y[:, k]
        idx += len(sel)
        y = sol.y[:, -1].copy()
        if any(abs(t1 - s) < 1e-12 for s in SAMPLES):
            y[0] -= 0.010  # the sample (concentrations unchanged)
    return out, nfev


def load(data_dir):
    spec = json.load(open(os.path.join(data_dir, "batches.json")))
    batches = []
    for b in spec["batches"]:
        with open(os.path.join(data_dir, b["data"])) as f:
            rows = list(csv.reader(f))
        names = [h.split(" [")[0] for h in rows[0]]
        times = [float(r[0]) for r in rows[1:]]
        obs = []  # (time index, state index, measured, sigma)
        for c, name in enumerate(names[1:], start=1):
            a, rel = spec["noise"][name]
            for ti, r in enumerate(rows[1:]):
                if r[c] != "":
                    v = float(r[c])
                    obs.append((ti, STATES.index(name), v, math.sqrt(a * a + (rel * v) ** 2)))
        batches.append(dict(b, times=times, obs=obs))
    return spec, batches


def fit(spec, batches):
    names = spec["estimate"]
    counts = {"simulations": 0, "rhs_evals": 0}

    def residuals(theta):
        p = np.exp(theta)
        res = []
        for b in batches:
            states, nfev = simulate(p, b, b["times"])
            counts["simulations"] += 1
            counts["rhs_evals"] += nfev
            res.extend((states[ti, si] - v) / s for ti, si, v, s in b["obs"])
        return np.array(res)

    x0 = np.log([spec["start"][n] for n in names])
    lo = [math.log(BOUNDS[n][0]) if BOUNDS[n][0] > 0 else -np.inf for n in names]
    hi = [math.log(BOUNDS[n][1]) for n in names]
    sol = least_squares(residuals, x0, bounds=(lo, hi), method="trf", jac="2-point",
                        ftol=1e-10, xtol=1e-10, gtol=1e-10)
    return sol, counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data_dir")
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    spec, batches = load(args.data_dir)
    wall, cpu = [], []
    for _ in range(max(1, args.runs)):
        t0, c0 = time.perf_counter(), time.process_time()
        sol, counts = fit(spec, batches)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    out = {
        "name": "E. coli 10 batches x 6 parameters, SciPy least_squares (trf, 2-point) + solve_ivp BDF",
        "median_s": statistics.median(wall), "median_cpu_s": statistics.median(cpu), "runs": len(wall),
        "success": bool(sol.success), "status": int(sol.status), "message": sol.message,
        "objective": float(2.0 * sol.cost),
        "optimum": dict(zip(spec["estimate"], np.exp(sol.x).tolist())),
        "nfev": int(sol.nfev), "njev": int(sol.njev), "simulations": counts["simulations"],
        "rhs_evals": counts["rhs_evals"], "data_points": int(sol.fun.size),
        "scipy_version": scipy.__version__, "numpy_version": np.__version__,
        "python_version": platform.python_version(),
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
