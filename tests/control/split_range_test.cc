// Split-range loops against a line-by-line transcription of IndPenSim's pH and temperature
// logic (fctrl_indpensim.m: branch rules, decays, floors and both of its quirks), dead-band
// hysteresis, and a cascade through the ControlSystem.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "control/control.h"

namespace biotwin::control {
namespace {

double PidSimple3(double uk1, double ek, double ek1, double yk, double yk1, double yk2, double umin,
                  double umax, double kp, double ti, double td, double h) {
  const double p = ek - ek1;
  const double i = ti < 1e-7 ? 0.0 : ek * h / ti;
  const double d = td < 0.001 ? 0.0 : -td / h * (yk - 2 * yk1 + yk2);
  return std::clamp(uk1 + kp * (p + i + d), umin, umax);
}

PidSettings Velocity(double kp, double ti, double td, double lo, double hi, bool quirk = false) {
  PidSettings s;
  s.kp = kp;
  s.ti = ti;
  s.td = td;
  s.h = 0.2;
  s.out_min = lo;
  s.out_max = hi;
  s.form = PidForm::kVelocity;
  s.previous_error_without_setpoint = quirk;
  return s;
}

// MATLAB history y(1..N) as seen at sample k (y(k−1), y(1) for k ≤ 2).
struct History {
  std::vector<double> y;
  double At(int i) const { return y[std::max(i, 1) - 1]; }
};

TEST(SplitRange, ReproducesIndPenSimPhLoopIncludingItsPreviousErrorQuirk) {
  SplitRangeSettings s;
  s.switch_error = -0.05;
  s.above.pid = Velocity(0.08, 4e-5, 8, 0, 225, true);   // base
  s.below.pid = Velocity(0.08, 12.5, 0.125, 0, 225, true);  // acid
  s.above.inactive_decay = 0.5;
  s.below.inactive_decay = 0.0;
  SplitRange loop(s);
  loop.Reset(0.0, 0.0);
  History hist;
  // pH wanders around 6.5 and crosses the switching value (6.55) both ways.
  for (int j = 0; j < 400; ++j) hist.y.push_back(6.5 + 0.08 * std::sin(0.05 * j) + 0.004 * std::sin(1.3 * j));
  const double sp = 6.5;
  double fa = 0, fb = 0;
  int acid_samples = 0, base_between = 0;
  for (int k = 1; k < 400; ++k) {
    const double ph = hist.At(k - 1), ph1 = hist.At(k - 2), ph2 = hist.At(k - 3);
    const double err = sp - ph;
    const double err1 = k <= 2 ? sp - hist.At(1) : -hist.At(k - 2);  // the quirk
    if (err >= -0.05) {
      fb = PidSimple3(fb, err, err1, ph, ph1, ph2, 0, 225, 0.08, 4e-5, 8, 0.2);
      fa = 0;
    } else {
      fa = PidSimple3(fa, err, err1, ph, ph1, ph2, 0, 225, 0.08, 12.5, 0.125, 0.2);
      fb = k == 1 ? 0 : fb * 0.5;
      ++acid_samples;
    }
    double base = 0, acid = 0;
    loop.Step(sp, ph, &base, &acid);
    loop.Applied(base, acid);
    ASSERT_NEAR(base, fb, 1e-9) << "MATLAB sample " << k;
    ASSERT_NEAR(acid, fa, 1e-9) << "MATLAB sample " << k;
    if (base > 1e-3 && base < 224) ++base_between;
  }
  EXPECT_GT(base_between, 20);  // the comparison covers unsaturated base flows
  EXPECT_GT(acid_samples, 20);
  EXPECT_LT(acid_samples, 380);
}

TEST(SplitRange, ReproducesIndPenSimTemperatureLoopWithDecaysFloorsAndSharedHistory) {
  SplitRangeSettings s;
  s.switch_error = 0.05;
  s.above.pid = Velocity(50, 0.05, 1, 0, 1500);      // heating Fh
  s.above.previous_from_other = true;                // starts from Fc's history (quirk)
  s.above.inactive_decay = 0.1;
  s.above.floor = 1e-4;
  s.below.pid = Velocity(-300, 1.6, 0.005, 0, 1500);  // cooling Fc
  s.below.inactive_decay = 0.3;
  s.below.floor = 1e-4;
  SplitRange loop(s);
  loop.Reset(1e-4, 1e-4);
  History hist;
  for (int j = 0; j < 400; ++j) hist.y.push_back(298 + 0.2 * std::sin(0.04 * j) + 0.01 * std::cos(0.9 * j));
  const double sp = 298;
  double fc = 1e-4, fh = 1e-4;
  int heating = 0;
  for (int k = 1; k < 400; ++k) {
    const double t0 = hist.At(k - 1), t1 = hist.At(k - 2), t2 = hist.At(k - 3);
    const double err = sp - t0, err1 = k <= 2 ? sp - hist.At(1) : sp - hist.At(k - 2);
    if (err <= 0.05) {
      const double fc_new = PidSimple3(fc, err, err1, t0, t1, t2, 0, 1500, -300, 1.6, 0.005, 0.2);
      fh = k == 1 ? 0 : fh * 0.1;
      fc = fc_new;
    } else {
      const double fh_new = PidSimple3(fc, err, err1, t0, t1, t2, 0, 1500, 50, 0.05, 1, 0.2);
      fc = k == 1 ? 0 : fc * 0.3;
      fh = fh_new;
      ++heating;
    }
    fc = std::max(fc, 1e-4);
    fh = std::max(fh, 1e-4);
    double h_out = 0, c_out = 0;
    loop.Step(sp, t0, &h_out, &c_out);
    loop.Applied(h_out, c_out);
    ASSERT_NEAR(c_out, fc, 1e-9 * std::max(1.0, fc)) << "MATLAB sample " << k;
    ASSERT_NEAR(h_out, fh, 1e-9 * std::max(1.0, fh)) << "MATLAB sample " << k;
  }
  EXPECT_GT(heating, 20);
}

TEST(SplitRange, DeadBandAddsHysteresisToTheSwitch) {
  SplitRangeSettings s;
  s.switch_error = 0.0;
  s.dead_band = 0.2;
  s.above.pid = Velocity(1, 0, 0, 0, 10);
  s.below.pid = Velocity(1, 0, 0, 0, 10);
  SplitRange loop(s);
  loop.Reset(0, 0);
  double a, b;
  loop.Step(0.0, -0.05, &a, &b);  // e = 0.05 ≥ 0: starts above
  EXPECT_TRUE(loop.above_active());
  loop.Step(0.0, 0.05, &a, &b);   // e = −0.05: inside the band, stays above
  EXPECT_TRUE(loop.above_active());
  loop.Step(0.0, 0.15, &a, &b);   // e = −0.15 < −0.1: switches below
  EXPECT_FALSE(loop.above_active());
  loop.Step(0.0, -0.05, &a, &b);  // e = 0.05 < 0.1: stays below
  EXPECT_FALSE(loop.above_active());
  loop.Step(0.0, -0.15, &a, &b);  // e = 0.15 ≥ 0.1: back above
  EXPECT_TRUE(loop.above_active());
}

// Cascade: the outer loop sets the inner loop's set-point; two integrators in series
// (x1' = u, x2' = x1) are held at the outer set-point without offset.
TEST(Cascade, OuterLoopDrivesTheInnerSetPointThroughTheControlSystem) {
  ControlSpec spec;
  spec.sample_time = 0.05;
  LoopSpec outer;
  outer.name = "outer";
  outer.measurement = 1;
  outer.setpoint = Schedule::Steps(false, {0.0, 2.0}, {0.0, 1.0});
  outer.pid.kp = 0.8;
  outer.pid.ti = 4.0;
  outer.pid.h = 0.05;
  outer.pid.out_min = -1;
  outer.pid.out_max = 1;
  LoopSpec inner;
  inner.name = "inner";
  inner.measurement = 0;
  inner.setpoint_loop = 0;
  inner.output = 0;
  inner.pid.kp = 5.0;
  inner.pid.h = 0.05;
  spec.loops = {outer, inner};
  ControlSystem cs(spec);
  ASSERT_EQ(cs.ManipulatedInputs(), std::vector<int>{0});
  double u[1] = {0.0};
  cs.Begin(0.0, u);
  double x1 = 0, x2 = 0;
  const double h = 0.05;
  for (int k = 0; k < 1200; ++k) {
    const double meas[2] = {x1, x2};
    cs.Step(k, k * h, meas, u);
    cs.Applied(u);
    EXPECT_LE(std::fabs(cs.setpoints()[1]), 1.0);  // the inner set-point stays within the outer's limits
    x2 += h * x1 + 0.5 * h * h * u[0];  // exact for piecewise-constant u
    x1 += h * u[0];
  }
  EXPECT_NEAR(x2, 1.0, 1e-3);
  EXPECT_NEAR(x1, 0.0, 1e-3);
}

}  // namespace
}  // namespace biotwin::control
