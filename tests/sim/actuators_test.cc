// Actuator models: limits, rate limits, override and stuck faults in sample and time windows.
#include <gtest/gtest.h>

#include <vector>

#include "sim/actuators.h"

namespace biotwin::sim {
namespace {

TEST(Actuators, OverrideWindowsInSampleIndexReplaceTheCommand) {
  ActuatorSpec a;
  a.input = "Fs";
  a.index = 1;
  ActuatorFault low{"Fs_low", ActuatorFault::Kind::kOverride, {true, 100, 150}, 2.0};
  ActuatorFault high{"Fs_high", ActuatorFault::Kind::kOverride, {true, 380, 460}, 20.0};
  a.faults = {low, high};
  ActuatorBank bank({a}, 0.2, 1);  // MATLAB counting: inclusive windows in k + 1
  double u[2] = {7, 0};
  bank.Begin(u);
  for (long k = 0; k < 500; ++k) {
    u[0] = 7;
    u[1] = 80;
    bank.Apply(k, 0.2 * k, u);
    const long ku = k + 1;
    const double want = ku >= 100 && ku <= 150 ? 2.0 : ku >= 380 && ku <= 460 ? 20.0 : 80.0;
    ASSERT_EQ(u[1], want) << "sample " << ku;
    EXPECT_EQ(u[0], 7);  // other inputs untouched
    unsigned char active[2];
    bank.ActiveFaults(k, 0.2 * k, active);
    EXPECT_EQ(active[0], ku >= 100 && ku <= 150);
    EXPECT_EQ(active[1], ku >= 380 && ku <= 460);
  }
}

TEST(Actuators, LimitsRateLimitAndAStuckValveInATimeWindow) {
  ActuatorSpec a;
  a.input = "F";
  a.index = 0;
  a.min = 0;
  a.max = 10;
  a.rate_limit = 5;  // per time unit: 0.5 per sample of 0.1
  a.faults = {{"stuck", ActuatorFault::Kind::kStuck, {false, 1.0, 1.5}, 0.0}};
  ActuatorBank bank({a}, 0.1, 0);
  double u[1] = {0};
  bank.Begin(u);
  std::vector<double> applied;
  for (long k = 0; k < 30; ++k) {
    u[0] = k < 25 ? 20.0 : -3.0;  // beyond the limits both ways
    bank.Apply(k, 0.1 * k, u);
    applied.push_back(u[0]);
  }
  for (long k = 0; k < 10; ++k) EXPECT_NEAR(applied[k], 0.5 * (k + 1), 1e-12) << k;
  // Stuck on [1.0, 1.5): samples 10..14 keep the position reached at sample 9 (5.0).
  for (long k = 10; k < 15; ++k) EXPECT_NEAR(applied[k], 5.0, 1e-12) << k;
  // Free again: rate-limited from 5.0 up to the upper limit 10.
  EXPECT_NEAR(applied[15], 5.5, 1e-12);
  EXPECT_NEAR(applied[24], 10.0, 1e-12);
  EXPECT_NEAR(applied[25], 9.5, 1e-12);  // and down, towards the lower limit
}

}  // namespace
}  // namespace biotwin::sim
