// Shared by the shooting-integrator tests (CVODES: dynopt_shooting_test.cc; fixed-step RK4:
// shooting_rk4_test.cc): their two test models and the check of one shooting interval's
// sensitivities against central differences of the same integrator.
#ifndef BIOTWIN_TESTS_CONTROL_SHOOTING_CASES_H_
#define BIOTWIN_TESTS_CONTROL_SHOOTING_CASES_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "model/model.h"
#include "sim/shooting_sensitivity.h"
#include "test_paths.h"

namespace biotwin::testing {

inline std::shared_ptr<const model::Model> ParkRamirez() {
  return model::LoadModelFile(SourcePath("examples/benchmarks/park_ramirez/park_ramirez.yaml"));
}

// Explicit time dependence and two inputs: exercises d/dt0, d/dh and linear inputs.
inline std::shared_ptr<const model::Model> TimedModel() {
  return model::LoadModelText(R"yaml(
biotwin: 1
model: {name: timed}
time_unit: h
states:
  a: {unit: g/L, initial: 1}
  b: {unit: g/L, initial: 0.5}
parameters:
  k: {value: 0.3, unit: L/(g*h), source: test}
  k2: {value: 0.4, unit: 1/h, source: test}
  w: {value: 0.7, unit: 1/h, source: test}
inputs:
  f: {unit: g/(L*h), default: 0, limits: [-10, 10]}
  g: {unit: 1/h, default: 0, limits: [-10, 10]}
balances:
  a: "-k*a*b + f*(1 + sin(w*t))"
  b: "k2*a - g*b"
)yaml",
                              "timed.yaml");
}

// One shooting interval [t0, t0 + h] from x0 with inputs ua at its start and ub at its end.
struct ShootingCase {
  std::shared_ptr<const model::Model> model;
  std::vector<sim::InputDirection> dirs;
  std::vector<double> x0, ua, ub;
  double t0 = 0.0, h = 0.0;
  int steps = 0;  // RK4 steps per interval (RK4 cases only)
};

// Every sensitivity `integ` reports at the fractions `taus` of the interval (initial state, input
// directions, then interval length and start, as integ's setup asks) against central differences
// of the same integrator with step eps: |exact - difference| <= rel_tol max(1, |difference|).
inline void ExpectSensitivitiesMatchCentralDifferences(sim::ShootingIntegrator& integ, const ShootingCase& c,
                                                       const std::vector<double>& taus, double eps,
                                                       double rel_tol) {
  using Kind = sim::InputDirection::Kind;
  const int nx = integ.num_states(), ns = integ.num_sensitivities();
  const int nd = static_cast<int>(c.dirs.size());
  std::vector<sim::ShootingPoint> pts, plus, minus;
  std::string err;
  ASSERT_TRUE(integ.Integrate(c.t0, c.h, c.x0.data(), c.ua.data(), c.ub.data(), taus, true, &pts, &err)) << err;
  for (int k = 0; k < ns; ++k) {
    for (int sgn : {1, -1}) {
      std::vector<double> x0 = c.x0, ua = c.ua, ub = c.ub;
      double t0 = c.t0, h = c.h;
      const double e = sgn * eps;
      if (k < nx) {
        x0[k] += e;
      } else if (k < nx + nd) {
        const sim::InputDirection& dir = c.dirs[k - nx];
        if (dir.kind != Kind::kEnd) ua[dir.input] += e;
        if (dir.kind != Kind::kStart) ub[dir.input] += e;
      } else if (k == nx + nd) {
        h += e;
      } else {
        t0 += e;
      }
      ASSERT_TRUE(integ.Integrate(t0, h, x0.data(), ua.data(), ub.data(), taus, false, sgn > 0 ? &plus : &minus, &err))
          << err;
    }
    for (size_t q = 0; q < taus.size(); ++q) {
      for (int i = 0; i < nx; ++i) {
        const double d = (plus[q].x[i] - minus[q].x[i]) / (2 * eps);
        EXPECT_NEAR(pts[q].sens[i + k * nx], d, rel_tol * std::max(1.0, std::fabs(d)))
            << "d x" << i << " / d param " << k << " at tau " << taus[q];
      }
    }
  }
}

}  // namespace biotwin::testing

#endif  // BIOTWIN_TESTS_CONTROL_SHOOTING_CASES_H_
