// The one-state tank the control, runtime and estimation tests share: dx/dt = u - k x with
// k = 0.5 1/h and a manipulated inflow u in [-10, 10] g/h, so x(t) is known in closed form.
#ifndef BIOTWIN_TESTS_TANK_MODEL_H_
#define BIOTWIN_TESTS_TANK_MODEL_H_

#include <string>

namespace biotwin::testing {

// The model file's text with the initial content x0 (g).
inline std::string TankModelYaml(const std::string& x0 = "0") {
  return R"yaml(
biotwin: 1
model: {name: tank}
time_unit: h
states:
  x: {unit: g, initial: )yaml" +
         x0 + R"yaml(}
parameters:
  k: {value: 0.5, unit: 1/h, source: "test"}
inputs:
  u: {unit: g/h, default: 0, limits: [-10, 10]}
balances:
  x: "u - k*x"
)yaml";
}

}  // namespace biotwin::testing

#endif  // BIOTWIN_TESTS_TANK_MODEL_H_
