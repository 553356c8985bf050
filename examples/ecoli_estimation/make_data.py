#!/usr/bin/python3
"""Makes the measurement files of the state-estimation example (docs/estimate.md) from a
simulated truth: `biotwin simulate models/ecoli_anane2017.yaml --scenario
examples/ecoli_fedbatch/scenario.yaml --out truth.csv`, then `make_data.py truth.csv`.

online.csv: the DO probe (DOTm, sigma 1 %), OUR and CER from off-gas analysis (3 % of reading,
at least 0.5 mmol/(L*h)) and the base (NH3) addition rate of the pH loop from the pump
totaliser (5 % of reading, at least 0.3 mmol/(L*h)) every 0.5 h; OUR in mol/(m^3*h) to show
unit conversion. CER and base draw from their own seeded generator so that the DO and OUR
columns are the same as before those signals were added.
lab.csv: dry cell weight X (sigma 0.15 g/L) and glucose S in mg/L (sigma 50 mg/L), drawn every
4 h with the scenario's samples and reported 1 h later. Seeded: the files are reproducible."""
import csv
import sys

import numpy as np

rng = np.random.default_rng(2026)
rng_new = np.random.default_rng(2027)  # CER and base_rate (added later)
with open(sys.argv[1]) as f:
    rows = list(csv.reader(f))
head = [h.split(" [")[0] for h in rows[0]]
data = {h: np.array([float(r[i]) for r in rows[1:]]) for i, h in enumerate(head)}
t = data["t"]
with open("online.csv", "w") as f:
    f.write("# E. coli fed-batch: DO probe, off-gas OUR and CER, base addition (simulated, seeded noise; make_data.py)\n")
    f.write("t [h],DOTm [%],OUR [mol/(m^3*h)],CER [mmol/(L*h)],base_rate [mmol/(L*h)]\n")
    for k in range(5, len(t), 5):  # every 0.5 h
        our, cer, base = data["OUR"][k], data["CER"][k], data["base_rate"][k]
        dot = data["DOTm"][k] + rng.normal(0, 1.0)
        our_m = our + rng.normal(0, max(0.03 * our, 0.5))
        cer_m = cer + rng_new.normal(0, max(0.03 * abs(cer), 0.5))
        base_m = base + rng_new.normal(0, max(0.05 * abs(base), 0.3))
        f.write("%.2f,%.3f,%.4f,%.3f,%.3f\n" % (t[k], dot, our_m, cer_m, base_m))
with open("lab.csv", "w") as f:
    f.write("# Lab results: drawn every 4 h, reported 1 h later (simulated, seeded noise)\n")
    f.write("sample_time [h],report_time [h],X [g/L],S [mg/L]\n")
    for ts in range(4, 40, 4):
        k = int(round(ts / 0.1))
        x = data["X"][k] + rng.normal(0, 0.15)
        s = max(0.0, data["S"][k] + rng.normal(0, 0.05))
        f.write("%d,%d,%.3f,%.1f\n" % (ts, ts + 1, x, 1000 * s))
