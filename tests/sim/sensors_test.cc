// Sensor models: exact transport delay, sample-and-hold, noise statistics, bias windows, drift
// ramps (IndPenSim's fault 7 shape), and off-line lab samples reported after their delay.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "sim/sensors.h"

namespace biotwin::sim {
namespace {

SensorSpec Spec(const std::string& name) {
  SensorSpec s;
  s.name = name;
  s.signal = "x";
  s.kind = SignalKind::kState;
  s.index = 0;
  return s;
}

// Runs n samples of the signal x_k = f(k); returns (held, recorded) per sample.
template <typename F>
std::pair<std::vector<double>, std::vector<double>> Feed(SensorBank& bank, int n, double h, F f) {
  std::vector<double> held, rec;
  for (int k = 0; k < n; ++k) {
    double x = f(k), a, b;
    bank.Measure(k, k * h, &x, nullptr, nullptr, &a, &b);
    held.push_back(a);
    rec.push_back(b);
  }
  return {held, rec};
}

TEST(Sensors, TransportDelayIsExactAndPadsWithTheFirstValue) {
  SensorSpec s = Spec("d");
  s.delay = 0.6;  // 3 samples of 0.2
  SensorBank bank({s}, 0.2, 0);
  auto [held, rec] = Feed(bank, 20, 0.2, [](int k) { return 10.0 + k * k; });
  for (int k = 0; k < 20; ++k) {
    const int j = std::max(k - 3, 0);
    EXPECT_EQ(held[k], 10.0 + j * j) << k;
    EXPECT_EQ(rec[k], held[k]);
  }
  SensorSpec bad = Spec("b");
  bad.delay = 0.3;
  EXPECT_THROW(SensorBank({bad}, 0.2, 0), std::invalid_argument);
}

TEST(Sensors, SampleTimeHoldsBetweenAcquisitions) {
  SensorSpec s = Spec("slow");
  s.sample_time = 1.0;  // every 5 samples of 0.2
  SensorBank bank({s}, 0.2, 0);
  auto [held, rec] = Feed(bank, 21, 0.2, [](int k) { return 1.0 * k; });
  for (int k = 0; k < 21; ++k) EXPECT_EQ(held[k], 5.0 * (k / 5)) << k;
}

TEST(Sensors, NoiseHasTheRequestedStandardDeviationAndIsReproducible) {
  SensorSpec s = Spec("noisy");
  s.noise_sd = 0.3;
  s.seed = 42;
  SensorBank a({s}, 1.0, 0), b({s}, 1.0, 0);
  const int n = 20000;
  auto ra = Feed(a, n, 1.0, [](int) { return 5.0; }).first;
  auto rb = Feed(b, n, 1.0, [](int) { return 5.0; }).first;
  EXPECT_EQ(ra, rb);  // same seed, same sequence
  double mean = 0, var = 0;
  for (double v : ra) mean += v / n;
  for (double v : ra) var += (v - mean) * (v - mean) / (n - 1);
  // Standard errors: mean σ/√n = 0.0021, σ about σ/√(2n) = 0.0015; bounds at ~5 standard errors.
  EXPECT_NEAR(mean, 5.0, 0.011);
  EXPECT_NEAR(std::sqrt(var), 0.3, 0.0075);
  // Lag-1 autocorrelation of white noise: within 5/√n.
  double c = 0;
  for (int k = 1; k < n; ++k) c += (ra[k] - mean) * (ra[k - 1] - mean);
  EXPECT_LT(std::fabs(c / ((n - 1) * var)), 5.0 / std::sqrt(n));
  s.seed = 43;
  SensorBank other({s}, 1.0, 0);
  EXPECT_NE(Feed(other, 10, 1.0, [](int) { return 5.0; }).first, std::vector<double>(ra.begin(), ra.begin() + 10));
}

TEST(Sensors, BiasWindowAndDriftRampInSampleIndex) {
  SensorSpec s = Spec("T");
  SensorFault drift;
  drift.name = "T_drift";
  drift.kind = SensorFault::Kind::kDrift;
  drift.window = {true, 200, 800};
  drift.value = -0.4;
  SensorFault bias;
  bias.name = "T_bias";
  bias.window = {true, 50, 60};
  bias.value = 1.0;
  s.faults = {drift, bias};
  SensorBank bank({s}, 0.2, 1);  // MATLAB-style sample counting: k_user = k + 1
  auto [held, rec] = Feed(bank, 1000, 0.2, [](int) { return 298.0; });
  for (int k = 0; k < 1000; ++k) {
    const int ku = k + 1;
    const double ramp = ku <= 200 ? 0.0 : ku >= 800 ? -0.4 : -0.4 * (ku - 200) / 600.0;
    const double b = ku >= 50 && ku <= 60 ? 1.0 : 0.0;
    EXPECT_NEAR(held[k], 298.0 + ramp + b, 1e-12) << "sample " << ku;
  }
  unsigned char active[2];
  bank.ActiveFaults(198, 0, active);  // k_user 199
  EXPECT_EQ(active[0], 0);
  bank.ActiveFaults(899, 0, active);  // drift persists after its ramp
  EXPECT_EQ(active[0], 1);
  bank.ActiveFaults(49, 0, active);   // k_user 50
  EXPECT_EQ(active[1], 1);
  bank.ActiveFaults(60, 0, active);   // k_user 61
  EXPECT_EQ(active[1], 0);
  EXPECT_EQ(bank.fault_names(), (std::vector<std::string>{"T_drift", "T_bias"}));
}

TEST(Sensors, LabSamplesAreReportedAfterTheirDelayWithTheValueAtTheDraw) {
  SensorSpec s = Spec("P_lab");
  s.lab = true;
  s.lab_spec.draw_times = {0.2, 11.2, 23.2};
  s.lab_spec.delay = 0.8;
  SensorBank bank({s}, 0.2, 0);
  auto [held, rec] = Feed(bank, 130, 0.2, [](int k) { return 100.0 + k; });
  for (int k = 0; k < 130; ++k) {
    const double t = 0.2 * k;
    double want_rec = std::nan(""), want_held = std::nan("");
    if (std::fabs(t - 1.0) < 1e-9) want_rec = 101;    // drawn at 0.2 h (sample 1)
    if (std::fabs(t - 12.0) < 1e-9) want_rec = 156;   // drawn at 11.2 h (sample 56)
    if (std::fabs(t - 24.0) < 1e-9) want_rec = 216;   // drawn at 23.2 h (sample 116)
    if (t >= 1.0 - 1e-9) want_held = 101;
    if (t >= 12.0 - 1e-9) want_held = 156;
    if (t >= 24.0 - 1e-9) want_held = 216;
    if (std::isnan(want_rec)) {
      EXPECT_TRUE(std::isnan(rec[k])) << "t = " << t;
    } else {
      EXPECT_EQ(rec[k], want_rec) << "t = " << t;
    }
    if (std::isnan(want_held)) {
      EXPECT_TRUE(std::isnan(held[k])) << "t = " << t;
    } else {
      EXPECT_EQ(held[k], want_held) << "t = " << t;
    }
  }
}

}  // namespace
}  // namespace biotwin::sim
