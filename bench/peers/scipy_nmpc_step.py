#!/usr/bin/python3
"""Peer for bench/nmpc_bench.cc: the same tracking NMPC (Park-Ramirez model, glucose held at
1 g/L, 20 intervals of 0.25 h, 0 <= u <= 2 L/h, volume <= 12 L) solved with SciPy: single
shooting, SLSQP with finite-difference gradients, solve_ivp BDF (rtol 1e-7), warm started with
the shifted previous solution. Prints JSON: per-step wall-time median / p99 (ms), steps, final
glucose. Usage: scipy_nmpc_step.py [--steps K] (default 3: SciPy is slow)."""
import argparse, json, sys, time
import numpy as np
import scipy
from scipy.integrate import solve_ivp
from scipy.optimize import minimize

C1, C2, C3, C4, C5, C6, C7, C8, SF = 21.87, 0.4, 62.5, 5.0, 0.1, 4.75, 0.12, 7.3, 20.0
N, DT, SET = 20, 0.25, 1.0


def rhs(t, y, u):
    x1, x2, x3, x4, x5, _ = y
    g3 = C1 * x4 / ((x4 + C2) * (x4 + C3))
    g2 = x4 / (C5 + x4) * np.exp(-C4 * x4)
    g1 = C6 * g3 / (C7 + g3)
    d = u / x5
    return [g1 * (x2 - x1) - d * x1, g2 * x3 - d * x2, g3 * x3 - d * x3,
            -C8 * g3 * x3 + d * (SF - x4), u, (x4 - SET) ** 2]


def horizon_cost(x0, u):
    y = list(x0) + [0.0]
    for k in range(N):
        s = solve_ivp(rhs, (0, DT), y, args=(u[k],), method="BDF", rtol=1e-7, atol=1e-9)
        y = s.y[:, -1]
    return y[5]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=3)
    a = ap.parse_args()
    x = np.array([0.0, 0.0, 1.0, 5.0, 1.0])
    u = np.full(N, 0.5)
    times = []
    for _ in range(a.steps):
        # Volume: x5(t_k) = x5(0) + DT * sum(u[:k]) <= 12 (linear in u).
        cons = {"type": "ineq", "fun": lambda v, x5=x[4]: 12.0 - (x5 + DT * np.cumsum(v))}
        t0 = time.perf_counter()
        r = minimize(lambda v: horizon_cost(x, v), u, method="SLSQP", bounds=[(0, 2)] * N,
                     constraints=[cons], options={"ftol": 1e-8, "maxiter": 100})
        times.append(time.perf_counter() - t0)
        u = np.clip(r.x, 0, 2)
        s = solve_ivp(rhs, (0, DT), list(x) + [0.0], args=(u[0],), method="BDF", rtol=1e-9, atol=1e-11)
        x = s.y[:5, -1]
        u = np.append(u[1:], u[-1])
    t = np.sort(np.array(times))
    json.dump({"median_s": float(np.median(t)), "p99_s": float(t[min(len(t) - 1, int(0.99 * (len(t) - 1) + 0.5))]),
               "steps": a.steps, "final_glucose": float(x[3]), "scipy_version": scipy.__version__,
               "numpy_version": np.__version__, "python_version": sys.version.split()[0]}, sys.stdout)


if __name__ == "__main__":
    main()
