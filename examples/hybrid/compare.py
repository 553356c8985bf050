#!/usr/bin/env python3
"""Hybrid model vs neural ODE with the biotwin CLI (README.md).

1. simulates the five training batches with the mechanistic E. coli model and writes noisy
   biomass and glucose data (seeded) to OUT/train_N.csv;
2. fits both models with `biotwin fit` (fit_hybrid.yaml, fit_blackbox.yaml);
3. simulates the new feed profile (extrapolate.yaml) with the truth and with both fitted models
   and prints the RMSE of X and S against the truth.

usage: compare.py BIOTWIN [OUT_DIR]
"""
import csv
import json
import math
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TRUTH = os.path.join(HERE, "..", "..", "models", "ecoli_anane2017.yaml")


def read_run(path):
    with open(path) as f:
        rows = list(csv.reader(line for line in f if not line.startswith("#")))
    head = [h.split(" [")[0] for h in rows[0]]
    return {name: np.array([float(r[i]) for r in rows[1:]]) for i, name in enumerate(head)}


def simulate(biotwin, model, scenario, out):
    subprocess.run([biotwin, "simulate", model, "--scenario", scenario, "--out", out, "--no-record", "--quiet"],
                   check=True)
    return read_run(out)


def main():
    biotwin = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else "hybrid_out"
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20261122)
    for b in range(1, 6):
        run = simulate(biotwin, TRUTH, os.path.join(HERE, f"train_{b}.yaml"), os.path.join(out, f"truth_{b}.csv"))
        with open(os.path.join(out, f"train_{b}.csv"), "w") as f:
            f.write("t [h],X [g/L],S [g/L]\n")
            for t, x, s in zip(run["t"], run["X"], run["S"]):
                if t < 0.999 or abs(t - round(t)) > 1e-9:
                    continue  # hourly samples from 1 h
                xm = x + math.hypot(0.05, 0.04 * x) * rng.standard_normal()
                sm = max(0.0, s + math.hypot(0.02, 0.04 * s) * rng.standard_normal())
                f.write(f"{t:g},{xm:.5g},{sm:.5g}\n")
    results = {}
    for name in ("hybrid", "blackbox"):
        spec = os.path.join(HERE, f"fit_{name}.yaml")
        fit_json = os.path.join(out, f"FIT_{name}.json")
        data = ",".join(os.path.join(out, f"train_{b}.csv") for b in range(1, 6))
        scenarios = ",".join(os.path.join(HERE, f"train_{b}.yaml") for b in range(1, 6))
        subprocess.run([biotwin, "fit", os.path.join(HERE, f"ecoli_{name}.yaml"), "--spec", spec, "--data", data,
                        "--scenario", scenarios, "--out", fit_json, "--quiet"], check=False)
        with open(fit_json) as f:
            fit = json.load(f)
        best = fit["starts"][fit["best_start"]]
        values = best.get("end", best.get("last_iterate"))  # name -> value (a network may stop
        # at the iteration limit: its last iterate is used, as in the validation test)
        # A scenario for the new feed with the fitted parameters.
        with open(os.path.join(HERE, "extrapolate.yaml")) as f:
            scenario = f.read()
        scenario += "parameters:\n" + "".join(f"  {n}: {v!r}\n" for n, v in values.items())
        scen_path = os.path.join(out, f"extrapolate_{name}.yaml")
        with open(scen_path, "w") as f:
            f.write(scenario)
        results[name] = (fit["status"], simulate(biotwin, os.path.join(HERE, f"ecoli_{name}.yaml"), scen_path,
                                                 os.path.join(out, f"new_feed_{name}.csv")))
    truth = simulate(biotwin, TRUTH, os.path.join(HERE, "extrapolate.yaml"), os.path.join(out, "new_feed_truth.csv"))
    for name, (status, run) in results.items():
        rx = math.sqrt(np.mean((run["X"] - truth["X"]) ** 2))
        rs = math.sqrt(np.mean((run["S"] - truth["S"]) ** 2))
        print(f"{name:9s} ({status}): new feed profile RMSE X {rx:.3f} g/L, S {rs:.3f} g/L")


if __name__ == "__main__":
    main()
