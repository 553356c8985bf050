// Small linear models with closed-form transition matrices for the state-estimation tests.
#ifndef BIOTWIN_TESTS_ESTIMATE_STATE_TEST_MODELS_H_
#define BIOTWIN_TESTS_ESTIMATE_STATE_TEST_MODELS_H_

#include <Eigen/Dense>

#include <cmath>

namespace biotwin::estimate::testing {

// dX/dt = -a X (a = 0.3 1/h).
inline constexpr const char* kDecay = R"yaml(biotwin: 1
model: {name: decay}
states:
  X: {unit: g/L, initial: 2}
parameters:
  a: {value: 0.3, unit: 1/h}
balances:
  X: "-a*X"
)yaml";

// dA/dt = -0.5 A + 0.3 B, dB/dt = -0.2 B.
inline constexpr const char* kTwoState = R"yaml(biotwin: 1
model: {name: two_state}
states:
  A: {unit: g/L, initial: 1}
  B: {unit: g/L, initial: 2}
parameters:
  ka: {value: 0.5, unit: 1/h}
  kab: {value: 0.3, unit: 1/h}
  kb: {value: 0.2, unit: 1/h}
balances:
  A: "-ka*A + kab*B"
  B: "-kb*B"
outputs:
  total: {expr: "A + 2*B", unit: g/L}
)yaml";

// Closed-form transition matrix of kTwoState over dt.
inline Eigen::Matrix2d TwoStatePhi(double dt) {
  Eigen::Matrix2d phi;
  phi << std::exp(-0.5 * dt), std::exp(-0.2 * dt) - std::exp(-0.5 * dt), 0.0, std::exp(-0.2 * dt);
  return phi;
}

}  // namespace biotwin::estimate::testing

#endif  // BIOTWIN_TESTS_ESTIMATE_STATE_TEST_MODELS_H_
