// PID behaviour against independent references: the exact discrete-time closed loop of a PI
// controller on a first-order plant (through the whole sampled runner and CVODES), velocity vs
// positional form, anti-windup recovery, bumpless transfer, rate limits and a line-by-line
// transcription of IndPenSim's PIDSimple3.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "control/control.h"
#include "model/model.h"
#include "sim/scenario.h"

namespace biotwin::control {
namespace {

// Discrete first-order plant y_{k+1} = a·y_k + b·u_k (exact ZOH of tau·y' = −y + K·u).
struct Plant {
  double a, b, y = 0.0;
  Plant(double tau, double gain, double h) : a(std::exp(-h / tau)), b(gain * (1 - std::exp(-h / tau))) {}
  void Step(double u) { y = a * y + b * u; }
};

constexpr const char* kFirstOrder = R"yaml(biotwin: 1
model: {name: first_order}
time_unit: h
states:
  y: {unit: "1", initial: 0}
parameters:
  tau: {value: 2, unit: h}
  K: {value: 1.5, unit: "1"}
inputs:
  u: {unit: "1", default: 0}
balances:
  y: "(K*u - y)/tau"
)yaml";

TEST(Pid, PiOnFirstOrderPlantMatchesTheExactDiscreteClosedLoop) {
  auto m = model::LoadModelText(kFirstOrder, "first_order.yaml");
  const char* scenario = R"(until: 20 h
solver: {rtol: 1e-10, atol: 1e-12}
control:
  sample_time: 0.25 h
  loops:
    - name: y
      measurement: y
      setpoint: 1
      output: u
      pid: {kp: 0.8, ti: 1.5 h}
)";
  sim::Scenario sc = sim::LoadScenarioText(scenario, "pi.yaml", m->info());
  ControlSetup setup = LoadScenarioControl(sc, m->info());
  sim::SampledRunResult r = RunClosedLoop(m, sc, setup);
  ASSERT_TRUE(r.ok) << r.message;
  ASSERT_EQ(r.rows(), 81u);
  // Reference: u_k = Kp·e_k + I_k, I_k = I_{k−1} + Kp·h/Ti·e_k, exact plant update.
  const double h = 0.25, kp = 0.8, ti = 1.5;
  Plant plant(2.0, 1.5, h);
  double integral = 0.0;
  for (size_t k = 0; k < r.rows(); ++k) {
    EXPECT_NEAR(r.states[k], plant.y, 1e-8) << "sample " << k;
    const double e = 1.0 - plant.y;
    integral += kp * h / ti * e;
    const double u = kp * e + integral;
    if (k + 1 < r.rows()) {
      EXPECT_NEAR(r.inputs[k], u, 1e-8) << "sample " << k;
    }
    plant.Step(u);
  }
  // Integral action: no offset at the end.
  EXPECT_NEAR(r.states.back(), 1.0, 1e-3);
}

TEST(Pid, VelocityAndPositionalFormsAgreeWhenUnsaturated) {
  PidSettings s;
  s.kp = 1.3;
  s.ti = 0.9;
  s.td = 0.2;
  s.filter_n = 8;
  s.h = 0.1;
  PidSettings v = s;
  v.form = PidForm::kVelocity;
  Pid pos(s), vel(v);
  pos.Reset(0.0);
  vel.Reset(0.0);
  Plant p1(1.0, 2.0, s.h), p2(1.0, 2.0, s.h);
  for (int k = 0; k < 300; ++k) {
    const double sp = k < 10 ? 0.0 : k < 150 ? 1.0 : 0.4;  // starts at rest on the set-point
    const double u1 = pos.Step(sp, p1.y), u2 = vel.Step(sp, p2.y);
    EXPECT_NEAR(u1, u2, 1e-10) << "sample " << k;
    pos.Applied(u1);
    vel.Applied(u2);
    p1.Step(u1);
    p2.Step(u2);
  }
}

// Samples until |y − sp| stays below tol after the set-point returns to a reachable value.
int RecoverySamples(AntiWindup aw, PidForm form) {
  PidSettings s;
  s.kp = 0.5;
  s.ti = 1.0;
  s.h = 0.1;
  s.out_min = 0.0;
  s.out_max = 1.0;
  s.anti_windup = aw;
  s.form = form;
  Pid pid(s);
  pid.Reset(0.0);
  Plant plant(1.0, 1.0, s.h);
  int settled = -1;
  for (int k = 0; k < 2000; ++k) {
    const double sp = k < 300 ? 2.0 : 0.5;  // 2.0 is out of reach (gain 1, u ≤ 1)
    const double u = pid.Step(sp, plant.y);
    pid.Applied(u);
    plant.Step(u);
    if (k >= 300) {
      if (std::fabs(plant.y - sp) > 0.02) settled = -1;
      else if (settled < 0) settled = k - 300;
    }
  }
  return settled;
}

TEST(Pid, AntiWindupRecoversMuchFasterThanANaiveIntegrator) {
  const int naive = RecoverySamples(AntiWindup::kNone, PidForm::kPositional);
  const int clamp = RecoverySamples(AntiWindup::kClamp, PidForm::kPositional);
  const int back = RecoverySamples(AntiWindup::kBackCalculation, PidForm::kPositional);
  const int velocity = RecoverySamples(AntiWindup::kNone, PidForm::kVelocity);
  ASSERT_GT(naive, 0);
  ASSERT_GT(clamp, 0);
  ASSERT_GT(back, 0);
  // The naive integrator accumulated 30 h·(error ≈ 1) of windup; it must unwind it first.
  EXPECT_GT(naive, 100);
  EXPECT_LT(clamp, naive / 4);
  EXPECT_LT(back, naive / 4);
  EXPECT_LT(velocity, naive / 4);  // the velocity form increments from the clipped output
}

TEST(Pid, ManualToAutoTransferIsBumpless) {
  for (PidForm form : {PidForm::kPositional, PidForm::kVelocity}) {
    PidSettings s;
    s.kp = 2.0;
    s.ti = 0.5;
    s.td = 0.05;
    s.h = 0.1;
    s.form = form;
    Pid pid(s);
    pid.Reset(0.0);
    Plant plant(1.0, 1.0, s.h);
    const double manual = 0.4, sp = 1.0;  // the plant settles at 0.4: error 0.6 at the switch
    for (int k = 0; k < 200; ++k) {
      pid.Observe(sp, plant.y);
      pid.Applied(manual);
      plant.Step(manual);
    }
    const double u = pid.Step(sp, plant.y);
    // Only the integral increment of one sample: Kp·h/Ti·e = 2·0.2·0.6 = 0.24 (the plant is at
    // rest, so the proportional and derivative terms do not move).
    EXPECT_NEAR(u, manual + 2.0 * 0.1 / 0.5 * (sp - plant.y), 1e-6) << static_cast<int>(form);
    // Without tracking the output would jump: positional by Kp·e plus the integral, velocity
    // from its stale previous output.
    Pid fresh(s);
    fresh.Reset(0.0);
    EXPECT_GT(std::fabs(fresh.Step(sp, plant.y) - u), 0.2);
  }
}

TEST(Pid, RateLimitBoundsEveryChangeAndStillArrives) {
  PidSettings s;
  s.kp = 2.0;
  s.ti = 0.5;
  s.h = 0.1;
  s.rate_limit = 2.0;  // per time unit: at most 0.2 per sample
  s.out_min = -5;
  s.out_max = 5;
  Pid pid(s);
  pid.Reset(0.0);
  Plant plant(0.5, 1.0, s.h);
  double prev = 0.0;
  int limited = 0;
  for (int k = 0; k < 400; ++k) {
    const double u = pid.Step(1.0, plant.y);
    EXPECT_LE(std::fabs(u - prev), 0.2 + 1e-12);
    if (std::fabs(std::fabs(u - prev) - 0.2) < 1e-12) ++limited;
    pid.Applied(u);
    plant.Step(u);
    prev = u;
  }
  EXPECT_GE(limited, 3);  // the demanded jump of 2.4 arrives in steps of 0.2
  EXPECT_NEAR(plant.y, 1.0, 1e-3);
}

// IndPenSim's PIDSimple3.m, transcribed literally.
double PidSimple3(double uk1, double ek, double ek1, double yk, double yk1, double yk2, double umin,
                  double umax, double kp, double ti, double td, double h) {
  const double p = ek - ek1;
  const double i = ti < 1e-7 ? 0.0 : ek * h / ti;
  const double d = td < 0.001 ? 0.0 : -td / h * (yk - 2 * yk1 + yk2);
  return std::clamp(uk1 + kp * (p + i + d), umin, umax);
}

TEST(Pid, VelocityFormReproducesIndPenSimPidSimple3) {
  PidSettings s;
  s.kp = -300;
  s.ti = 1.6;
  s.td = 0.005;
  s.h = 0.2;
  s.out_min = 0;
  s.out_max = 1500;
  s.form = PidForm::kVelocity;
  Pid pid(s);
  pid.Reset(10.0);
  std::vector<double> y;  // y(1), y(2), ...: MATLAB's measurement history
  for (int j = 0; j < 200; ++j) y.push_back(298 + 0.3 * std::sin(0.11 * j) + 0.002 * j);
  double u_ref = 10.0;
  for (int k = 1; k <= 199; ++k) {  // MATLAB sample k uses y(k−1) (y(1) for k ≤ 2)
    auto at = [&](int i) { return y[std::max(i, 1) - 1]; };
    const double sp = 298;
    const double e = sp - at(k - 1), e1 = k <= 2 ? sp - at(1) : sp - at(k - 2);
    u_ref = PidSimple3(u_ref, e, e1, at(k - 1), at(k - 2), at(k - 3), 0, 1500, -300, 1.6, 0.005, 0.2);
    const double u = pid.Step(sp, at(k - 1));
    pid.Applied(u);
    ASSERT_NEAR(u, u_ref, 1e-9) << "MATLAB sample " << k;
  }
}

}  // namespace
}  // namespace biotwin::control
