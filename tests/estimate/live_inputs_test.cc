// StateEstimator::HoldInputs (an estimator inside a closed loop): the held input replaces the
// scenario's profile from the current time on, NaN hands the input back to the scenario, and the
// MHE refuses live inputs. Reference: the closed form of dx/dt = u - k x.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "estimate/state_estimation.h"
#include "model/model.h"
#include "tank_model.h"
#include "sim/scenario.h"

namespace biotwin::estimate {
namespace {

// x(t1) from x(t0) under a constant u.
double Tank(double x0, double u, double dt) { return u / 0.5 + (x0 - u / 0.5) * std::exp(-0.5 * dt); }

TEST(LiveInputs, HeldInputsReplaceTheScenarioUntilHandedBack) {
  auto m = model::LoadModelText(testing::TankModelYaml(), "tank.yaml");
  sim::Scenario sc = sim::DefaultScenario(m->info(), 10.0);  // u = 0 throughout
  for (StateMethod method : {StateMethod::kEkf, StateMethod::kUkf}) {
    SCOPED_TRACE(StateMethodName(method));
    StateEstimationOptions opt;
    opt.method = method;
    opt.signals = {{"x", 0.1}};
    opt.rtol = 1e-10;
    sc.atol = 1e-12;
    auto est = StateEstimator::Create(m, sc, opt);
    est->Reset(0.0, std::vector<double>{0.0}, std::vector<double>{0.1});
    est->HoldInputs(std::vector<double>{2.0});
    ASSERT_TRUE(est->Step(1.0, {}));
    double x = Tank(0.0, 2.0, 1.0);
    EXPECT_NEAR(est->state()[0], x, 1e-7);
    est->HoldInputs(std::vector<double>{0.5});
    ASSERT_TRUE(est->Step(1.5, {}));
    x = Tank(x, 0.5, 0.5);
    EXPECT_NEAR(est->state()[0], x, 1e-7);
    // NaN: the scenario's u = 0 again.
    est->HoldInputs(std::vector<double>{model::kNaN});
    ASSERT_TRUE(est->Step(2.5, {}));
    x = Tank(x, 0.0, 1.0);
    EXPECT_NEAR(est->state()[0], x, 1e-7);
    EXPECT_THROW(est->HoldInputs(std::vector<double>{1.0, 2.0}), std::invalid_argument);
  }
  StateEstimationOptions opt;
  opt.method = StateMethod::kMhe;
  opt.signals = {{"x", 0.1}};
  auto mhe = StateEstimator::Create(m, sc, opt);
  EXPECT_THROW(mhe->HoldInputs(std::vector<double>{1.0}), std::logic_error);
}

}  // namespace
}  // namespace biotwin::estimate
