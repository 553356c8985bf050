#!/usr/bin/python3
"""Peer for the IndPenSim benchmark: one closed-loop 230 h batch in NumPy/SciPy.

The same process as models/indpensim.yaml + examples/indpensim/recipe.yaml (IndPenSim V2.01
equations as described in ../shared/reference/indpensim/MODEL.md), written the way a Python
port does it: solve_ivp (BDF) restarted at every 0.2 h control interval with the inputs frozen,
the recipe and the pH/temperature PID loops evaluated between intervals, and the simulator's
clamps applied to the stored state. Prints a JSON object with the wall time and the final titre.

  usage: scipy_indpensim.py X0_PARAMS.csv [--hours T] [--rtol R] [--atol A]
"""
import argparse
import csv
import json
import math
import time

import numpy as np
from scipy.integrate import solve_ivp

# ---- constants of the process (values of the simulator's parameter list) ----------------------
K = dict(
    ratio_mu_e_mu_b=0.4, P_std_dev=0.0015, mean_P=0.002, mu_v=1.71e-4, mu_a=3.5e-3,
    mu_diff=5.36e-3, beta_1=0.006, K_b=0.05, K_diff=0.75, K_diff_L=0.09, K_e=0.009, K_v=0.05,
    delta_r=0.75e-4, k_v=3.22e-5, D=2.66e-11, rho_a0=0.35, rho_d=0.18, r_0=1.5e-4,
    delta_0=1e-4, Y_sX=1.85, Y_sP=0.9, m_s=0.029, c_oil=1000.0, c_s=600.0, Y_O2_X=650.0,
    Y_O2_P=160.0, m_O2_X=17.5, Henrys_c=0.0251, n_imp=3, r=2.1, r_imp=0.85, Po=5.0,
    epsilon=0.1, R=8.314, X_crit_DO2=0.1, P_crit_DO2=0.3, A_inhib=1.0, Tf=288.0, Tw=288.0,
    Tcin=285.0, Th=333.0, Tair=290.0, C_ps=5.9, C_pw=4.18, dH_evap=2430.7, U_jacket=36.0,
    A_c=105.0, Eg=14880.0, Ed=173250.0, k_g=450.0, k_d=2.5e29, Y_QX=25.0, abc=0.033,
    gamma1=0.0325e-5, gamma2=2.5e-11, m_ph=0.0025, K1=1e-5, K2=2.5e-8, N_conc_oil=20000.0,
    N_conc_shot=400000.0, Y_NX=10.0, Y_NP=80.0, m_N=0.03, X_crit_N=150.0, Y_PAA_P=187.5,
    Y_PAA_X=45.0, m_PAA=1.05, X_crit_PAA=2400.0, P_crit_PAA=200.0, B_1=-64.29, B_2=-1.825,
    B_3=0.3649, B_4=0.1280, B_5=-4.9496e-4, delta_c_0=0.89, k3=0.005, k1=0.001, k2=0.0001,
    t1=1.0, t2=250.0, q_co2=0.1353, X_crit_CO2=7570.0, alpha_evp=5.24e-4, beta_T=2.88,
    pho_g=1540.0, pho_oil=900.0, pho_w=1000.0, pho_paa=1000.0, O_2_in=0.21, N2_in=0.79,
    C_CO2_in=0.033, Tv=373.0, T0=273.0, alpha_1=2451.8)
H_ODE = 0.01  # h: the original ODE step, part of the acid/base addition term


def rhs(t, y, u, p):
    """Right-hand side; u: inputs of this interval, p: batch parameters."""
    c = K
    S, DO2, O2, P, V, _, Hc, T = y[0], y[1], y[2], y[3], y[4], y[5], y[6], y[7]
    visc_state = y[9]
    a0, a1, a3, a4 = y[11], y[12], y[13], y[14]
    n = y[15:25]
    CO2g, CO2d, PAA, NH3 = y[27], y[28], y[29], y[30]
    Fs, Fg, RPM, Fc, Fh, Fb, Fa, Fw, pres, Fdis, Fpaa, Foil = (
        u['Fs'], u['Fg'] / 60.0, u['RPM'], u['Fc'], u['Fh'], u['Fb'], u['Fa'], max(u['Fw'], 0.0),
        u['pressure'], u['Fdischarge'], u['Fpaa'], u['Foil'])
    mu_p, mux = p['mu_p'], p['mux_max']
    c_s, c_oil, abc, PAA_c, Tcin, O2_in = c['c_s'], c['c_oil'], c['abc'], p['PAA_c'], c['Tcin'], c['O_2_in']
    Xt = a0 + a1 + a3 + a4
    rho_b = 1100.0 + P + Xt
    hb = (V / 1000.0) / (math.pi * c['r'] ** 2) * (1.0 - c['epsilon'])
    p_top = 1.0 + pres
    p_bot = p_top + rho_b * hb * 9.81e-5
    p_lm = (p_bot - p_top) / math.log(p_bot / p_top)
    DOstar = p_lm * O2_in / c['Henrys_c']
    pH = -math.log10(Hc)
    f_pH = 1.0 / (1.0 + Hc / c['K1'] + c['K2'] / Hc)
    f_N = 0.5 * (1.0 - math.tanh(c['A_inhib'] * (c['X_crit_N'] - NH3)))
    f_T = c['k_g'] * math.exp(-c['Eg'] / (c['R'] * T)) - c['k_d'] * math.exp(-c['Ed'] / (c['R'] * T))
    f_CO2 = 0.5 * (1.0 + math.tanh(c['A_inhib'] * (c['X_crit_CO2'] - CO2d * 1000.0)))
    f_DOX = 0.5 * (1.0 - math.tanh(c['A_inhib'] * (c['X_crit_DO2'] * DOstar - DO2)))
    f_DOP = 0.5 * (1.0 - math.tanh(c['A_inhib'] * (c['P_crit_DO2'] * DOstar - DO2)))
    f_PAAX = 0.5 * (1.0 + math.tanh(c['X_crit_PAA'] - PAA))
    f_PAAP = 0.5 * (1.0 + math.tanh(PAA - c['P_crit_PAA']))
    mu_h = math.exp(c['B_1'] + c['B_2'] * pH + c['B_3'] * T + c['B_4'] * pH ** 2 + c['B_5'] * T ** 2)
    window = 2.5 * math.exp(-0.5 * ((S - c['mean_P']) / c['P_std_dev']) ** 2) / math.sqrt(2 * math.pi)
    common = f_pH * f_N * f_T * f_DOX * f_CO2 * f_PAAX
    mu_e = mux * common
    mu_a0 = c['ratio_mu_e_mu_b'] * mux * common
    Kd = max(0.75 - y[10] / Xt * c['beta_1'], c['K_diff_L'])
    r_b0 = mu_a0 * a1 * S / (c['K_b'] + S)
    r_e1 = mu_e * a0 * S / (c['K_e'] + S)
    r_d1 = c['mu_diff'] * a0 / (Kd + S)
    r_m0 = c['m_s'] * a0 / (Kd + S)
    dr, r0 = c['delta_r'], c['r_0']
    vac = y[26] + sum(4.0 / 3.0 * math.pi * (r0 + j * dr) ** 3 * n[j + 1] * dr for j in range(9))
    rho_a1 = a1 / (a1 / c['rho_a0'] + vac)
    v_a1 = a1 / (2.0 * rho_a1) - vac
    prod = mu_p * c['rho_a0'] * v_a1 * window * f_DOP * f_PAAP
    r_p = prod - mu_h * P
    r_m1 = c['m_s'] * c['rho_a0'] * v_a1 * S / (c['K_v'] + S)
    r_d4 = c['mu_a'] * a3
    dn = np.empty(10)
    dn[0] = c['mu_v'] * v_a1 / (c['K_v'] + S) * (6.0 / math.pi) * (r0 + c['delta_0']) ** -3 - c['k_v'] * n[0]
    for j in range(1, 10):
        up = n[j + 1] if j < 9 else y[25]
        dn[j] = -c['k_v'] * (up - n[j - 1]) / (2 * dr) + c['D'] * (up - 2 * n[j] + n[j - 1]) / dr ** 2
    r_k, r_m = r0 + 8 * dr, r0 + 10 * dr
    dnm = c['k_v'] * dn[9] / (r_m - r_k) - c['mu_a'] * y[25]
    degen = math.pi * (r_k + r_m) ** 3 / 6.0 * c['rho_d'] * c['k_v'] * n[9]
    dphi0 = c['mu_v'] * v_a1 / (c['K_v'] + S) - c['k_v'] * n[0] * math.pi * (r0 + c['delta_0']) ** 3 / 6.0
    F_evp = V * c['alpha_evp'] * (math.exp(2.5 * (T - c['T0']) / (c['Tv'] - c['T0'])) - 1.0)
    rho_feed = c_s / 1000.0 * c['pho_g'] + (1.0 - c_s / 1000.0) * c['pho_w']
    Din = Fs + Fb + Fa + Fw - F_evp + Fpaa
    D = Din / V
    da0 = r_b0 - r_d1 - a0 * D
    da1 = r_e1 - r_b0 + r_d1 - degen - a1 * D
    da3 = degen - r_d4 - a3 * D
    da4 = r_d4 - a4 * D
    dP = r_p - P * D
    Xnet = da0 + da1 + da3 + da4
    Qrxn = max((Xnet * c['Y_O2_X'] + dP * c['Y_O2_P']) * c['Y_QX'] * V / 1000.0, 0.0)
    N = RPM / 60.0
    Dimp = 2 * c['r_imp']
    P_ungassed = c['n_imp'] * c['Po'] * rho_b * N ** 3 * Dimp ** 5
    P_g = 0.706 * ((P_ungassed ** 2 * N * Dimp ** 3) / Fg ** 0.56) ** 0.45
    P_agit = P_ungassed * (P_g / P_ungassed) / 1000.0
    Vs = Fg / (math.pi * c['r'] ** 2)
    Vm = V / 1000.0
    P_air = Vs * c['R'] * T * Vm / (22.4 * hb) * math.log(1 + rho_b * 9.81 * hb / (p_top * 1e5))
    P_tot = P_agit + P_air
    visc = 1.0 if visc_state <= 4.0 else visc_state
    kla = p['alpha_kla'] * Vs ** 0.38 * (P_tot / Vm) ** 0.34 * (visc / 100.0) ** -0.38 * (1.0 - (Foil / V) ** 0.25)
    OTR = kla * (DOstar - DO2)
    dy = np.empty(33)
    dy[0] = (-c['Y_sX'] * (r_e1 + r_b0) - r_m0 - r_m1 - c['Y_sP'] * prod + Fs * c_s / V
             + Foil * c_oil / V - S * D)
    dy[1] = -Xnet * c['Y_O2_X'] - c['m_O2_X'] * Xt - dP * c['Y_O2_P'] + OTR - DO2 * D
    Vg = c['epsilon'] * Vm
    Qin = 85714.28571428572 * Fg
    Qout = Qin * c['N2_in'] / (1.0 - O2 - CO2g / 100.0)
    dy[2] = (Qin * O2_in - Qout * O2 - 0.06 * OTR * Vm) / (Vg * 1293.3035714285716)
    dy[3] = dP
    dy[4] = Fs + Fb + Fa + Fw + Fdis / (rho_b / 1000.0) - F_evp + Fpaa
    dy[5] = (Fs * rho_feed / 1000.0 + c['pho_oil'] / 1000.0 * Foil + Fb + Fa + Fw + Fdis - F_evp
             + Fpaa * c['pho_paa'] / 1000.0)
    inflow = Fs + Foil + Fb + Fa + Fdis + Fw
    growth_h = c['gamma1'] * (r_b0 + r_e1 + r_d4 + r_d1 + c['m_ph'] * Xt) + c['gamma1'] * r_p + c['gamma2'] * inflow
    if pH < 7.0:
        B = -(Hc * V + abc * Fa * H_ODE - abc * Fb * H_ODE) / (V + (Fa + Fb) * H_ODE)
        dy[6] = growth_h + (-B + math.sqrt(B * B + 4e-14)) / 2.0 - Hc
    else:
        OH = 1e-14 / Hc - Hc
        B = -(OH * V - abc * Fa * H_ODE + abc * Fb * H_ODE) / (V + (Fa + Fb) * H_ODE)
        dy[6] = -growth_h + (-B - math.sqrt(B * B + 4e-14)) / 2.0 - OH
    cool = c['alpha_1'] / 1000.0 * Fc ** (c['beta_T'] + 1) * (T - Tcin) / (
        Fc / 1000.0 + c['alpha_1'] * (Fc / 1000.0) ** c['beta_T'] / 2.0 * rho_b * c['C_ps'])
    heat = c['alpha_1'] / 1000.0 * Fh ** (c['beta_T'] + 1) * (T - c['Th']) / (
        Fh / 1000.0 + c['alpha_1'] * (Fh / 1000.0) ** c['beta_T'] / 2.0 * rho_b * c['C_ps'])
    dQ = (Fs * rho_feed * c['C_ps'] * (c['Tf'] - T) / 1000.0 + Fw * c['pho_w'] * c['C_pw'] * (c['Tw'] - T) / 1000.0
          - F_evp * rho_b * c['C_pw'] / 1000.0 - c['dH_evap'] * F_evp * c['pho_w'] / 1000.0 + Qrxn + P_tot
          - cool - heat - c['U_jacket'] * c['A_c'] * (T - c['Tair']))
    dy[7] = dQ / (Vm * c['C_pw'] * rho_b)
    dy[8] = dQ
    dy[9] = (3.0 * a0 ** (1.0 / 3.0) / (1.0 + math.exp(-c['k1'] * (t - c['t1'])))
             / (1.0 + math.exp(-c['k2'] * (t - c['t2']))) - c['k3'] * Fw)
    dy[10] = Xt
    dy[11:15] = (da0, da1, da3, da4)
    dy[15:25] = dn
    dy[25] = dnm
    dy[26] = dphi0
    CER = (a0 + a1) * c['q_co2'] * V
    dy[27] = (117857.14285714287 * Fg * c['C_CO2_in'] + CER - 117857.14285714287 * Fg * CO2g) / (Vg * 1293.3035714285716)
    Hco2 = math.exp(11.25 - 395.9 / (T - 175.9)) / 4400.0
    dy[28] = kla * c['delta_c_0'] * (p_lm * CO2g / Hco2 - CO2d) - CO2d * D
    dy[29] = Fpaa * PAA_c / V - c['Y_PAA_P'] * dP - c['Y_PAA_X'] * Xnet - c['m_PAA'] * P - PAA * D
    dy[30] = (-(r_b0 + r_e1 + r_d1 + r_d4) * c['Y_NX'] - dP * c['Y_NP'] - c['m_N'] * Xt
              + p['N_conc_paa'] * Fpaa / V + c['N_conc_oil'] * Foil / V - NH3 * D)
    dy[31] = mu_p
    dy[32] = mu_e
    return dy


def table(k, steps, default):
    for bound, value in steps:
        if k <= bound:
            return value
    return default


FS = [(15, 8), (60, 15), (80, 30), (100, 75), (120, 150), (140, 30), (160, 37), (180, 43), (200, 47),
      (220, 51), (240, 57), (260, 61), (280, 65), (300, 72), (320, 76), (340, 80), (360, 84), (380, 90),
      (400, 116), (800, 90)]
FOIL = [(20, 22), (80, 30), (280, 35), (300, 34), (320, 33), (340, 32), (360, 31), (380, 30), (400, 29)]
FG = [(40, 30), (100, 42), (200, 55), (450, 60), (1000, 75), (1250, 65)]
PRES = [(62.5, 0.6), (125, 0.7), (150, 0.8), (200, 0.9), (500, 1.1), (750, 1.0), (1000, 0.9)]
FW = [(250, 0), (375, 500), (750, 100), (800, 0), (850, 400), (1000, 150), (1250, 250), (1350, 0)]
FPAA = [(25, 5), (200, 0), (1000, 10), (1500, 4)]


def discharge(k):
    for lo in (500, 650, 750, 850, 950, 1050, 1150, 1250, 1350, 1450, 1550, 1650, 1750):
        if lo < k <= lo + 10:
            return -4000.0
    return 0.0


def pid(u_prev, e, e_prev, y, y1, y2, lo, hi, kp, ti, td, h):
    du = e - e_prev
    if ti > 1e-7:
        du += e * h / ti
    if td > 0.001:
        du -= td / h * (y - 2 * y1 + y2)
    return min(max(u_prev + kp * du, lo), hi)


def last3(hist, k):
    """Latest three samples as the original controller sees them (short history at the start)."""
    if k <= 2:
        return hist[-1], hist[-1], hist[-1]
    if k == 3:
        return hist[-1], hist[-2], hist[-2]
    return hist[-1], hist[-2], hist[-3]


def run(x0, hours, rtol, atol):
    h = 0.2
    steps = int(round(hours / h))
    p = dict(mu_p=x0['x0.mup'], mux_max=x0['x0.mux'], alpha_kla=x0['alpha_kla'],
             PAA_c=x0['PAA_c_mg_per_L'], N_conc_paa=x0['N_conc_paa_mg_per_L'])
    y = np.zeros(33)
    y[0], y[1], y[2], y[3] = x0['x0.S'], x0['x0.DO2'], x0['x0.O2'], x0['x0.P']
    y[4], y[5], y[6], y[7] = x0['x0.V'], x0['x0.Wt'], 10 ** -x0['x0.pH'], x0['x0.T']
    y[9] = 4.0
    y[11], y[12], y[13], y[14] = x0['x0.a0'], x0['x0.a1'], x0['x0.a3'], x0['x0.a4']
    y[27], y[29], y[30] = x0['x0.CO2outgas'], x0['x0.PAA'], x0['x0.NH3']
    ph_hist, t_hist = [-math.log10(y[6])], [y[7]]
    Fb = Fa = Fc = Fh = 0.0
    total_rhs = 0
    for k in range(1, steps + 1):
        ph, tt = last3(ph_hist, k), last3(t_hist, k)
        e = 6.5 - ph[0]
        e1 = -ph[1] if k > 2 else e  # the original's previous error lacks the set-point
        if e >= -0.05:
            Fb, Fa = pid(Fb, e, e1, ph[0], ph[1], ph[2], 0, 225, 8e-2, 4e-5, 8, h), 0.0
        else:
            Fa, Fb = pid(Fa, e, e1, ph[0], ph[1], ph[2], 0, 225, 8e-2, 12.5, 0.125, h), Fb * 0.5
        et = 298.0 - tt[0]
        et1 = 298.0 - tt[1]
        if et <= 0.05:
            Fc, Fh = pid(Fc, et, et1, tt[0], tt[1], tt[2], 0, 1500, -300, 1.6, 0.005, h), Fh * 0.1
        else:
            Fh, Fc = pid(Fc, et, et1, tt[0], tt[1], tt[2], 0, 1500, 50, 0.05, 1, h), Fc * 0.3
        Fc, Fh = max(Fc, 1e-4), max(Fh, 1e-4)
        u = dict(Fs=table(k, FS, 80), Foil=table(k, FOIL, 23), Fg=table(k, FG, 60), RPM=100.0,
                 pressure=table(k, PRES, 0.9), Fdischarge=discharge(k), Fw=table(k, FW, 100),
                 Fpaa=table(k, FPAA, 0), Fa=Fa, Fb=Fb, Fc=Fc, Fh=Fh)
        y[31] = y[32] = 0.0
        sol = solve_ivp(rhs, ((k - 1) * h, k * h), y, method='BDF', rtol=rtol, atol=atol, args=(u, p))
        if not sol.success:
            raise RuntimeError(f'solve_ivp failed at t = {(k - 1) * h:.1f} h: {sol.message}')
        total_rhs += sol.nfev
        y = sol.y[:, -1].copy()
        y[:31] = np.where(y[:31] <= 0.0, 0.001, y[:31])
        if y[1] < 2.0:
            y[1] = 1.0
        ph_hist.append(-math.log10(y[6]))
        t_hist.append(y[7])
    return y, total_rhs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('x0')
    ap.add_argument('--hours', type=float, default=230.0)
    ap.add_argument('--rtol', type=float, default=1e-5)
    ap.add_argument('--atol', type=float, default=1e-7)
    a = ap.parse_args()
    with open(a.x0) as f:
        x0 = {row['name']: float(row['value']) for row in csv.DictReader(f)}
    start = time.perf_counter()
    y, nfev = run(x0, a.hours, a.rtol, a.atol)
    seconds = time.perf_counter() - start
    X = y[11] + y[12] + y[13] + y[14]
    print(json.dumps(dict(seconds_per_batch=seconds, hours=a.hours, P_end_g_per_L=y[3],
                          X_end_g_per_L=X, V_end_L=y[4], rhs_evaluations=nfev)))


if __name__ == '__main__':
    main()
