#!/usr/bin/python3
"""Independent reference for models/yeast_sonnleitner1986.yaml: the same bottleneck equations
written directly in NumPy and solved with SciPy's Radau at tight tolerances. Prints JSON
{"t": [...], "X": [...], "G": [...], "E": [...]} for a batch from X=0.2, G=20, E=0 g/L."""
import json
import sys

import numpy as np
from scipy.integrate import solve_ivp

qGmax, Ks, qOmax, qEmax, Ke, Ki = 3.5, 0.1, 8.0e-3, 0.238, 0.1, 10.0  # qOmax in mol/g/h
Yxg_ox, Yxg_red, Yxe, Yeg_red = 0.49, 0.05, 0.72, 0.48
Y_OG, Y_OE = 12.4e-3, 34.5e-3  # mol O2 per g


def rhs(t, z):
    X, G, E = z
    qG = qGmax * G / (Ks + G)
    qG_ox = min(qG, qOmax / Y_OG)
    qG_red = qG - qG_ox
    qE = min(qEmax * E / (Ke + E) * Ki / (Ki + G), (qOmax - qG_ox * Y_OG) / Y_OE)
    mu = Yxg_ox * qG_ox + Yxg_red * qG_red + Yxe * qE
    return [mu * X, -qG * X, (Yeg_red * qG_red - qE) * X]


times = [float(a) for a in sys.argv[1:]] or [2.0, 4.0, 6.0, 8.0, 10.0, 12.0]
sol = solve_ivp(rhs, (0.0, max(times)), [0.2, 20.0, 0.0], method="Radau", t_eval=times,
                rtol=1e-11, atol=1e-13, max_step=0.01)
assert sol.success, sol.message
print(json.dumps({"t": times, "X": sol.y[0].tolist(), "G": sol.y[1].tolist(),
                  "E": sol.y[2].tolist()}))
