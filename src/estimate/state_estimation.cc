#include "estimate/state_estimation.h"

#include <cmath>
#include <stdexcept>

#include "estimate/ekf.h"
#include "estimate/mhe.h"
#include "estimate/ukf.h"

namespace biotwin::estimate {

std::unique_ptr<StateEstimator> StateEstimator::Create(std::shared_ptr<const model::Model> model,
                                                       const sim::Scenario& scenario,
                                                       StateEstimationOptions options) {
  if (model == nullptr) throw std::invalid_argument("state estimation needs a model");
  if (options.signals.empty()) throw std::invalid_argument("state estimation needs at least one measured signal");
  switch (options.method) {
    case StateMethod::kEkf:
      return std::make_unique<Ekf>(std::move(model), scenario, std::move(options));
    case StateMethod::kUkf:
      return std::make_unique<Ukf>(std::move(model), scenario, std::move(options));
    case StateMethod::kMhe:
      return std::make_unique<Mhe>(std::move(model), scenario, std::move(options));
  }
  throw std::invalid_argument("unknown state estimation method");
}

double StateEstimator::sigma(int i) const {
  const auto p = covariance();
  const size_t n = state().size();
  return std::sqrt(std::max(p[i + i * n], 0.0));
}

StateMethod ParseStateMethod(const std::string& text) {
  if (text == "ekf") return StateMethod::kEkf;
  if (text == "ukf") return StateMethod::kUkf;
  if (text == "mhe") return StateMethod::kMhe;
  throw std::invalid_argument("unknown method '" + text + "' (expected ekf, ukf or mhe)");
}

const char* StateMethodName(StateMethod method) {
  switch (method) {
    case StateMethod::kEkf: return "ekf";
    case StateMethod::kUkf: return "ukf";
    case StateMethod::kMhe: return "mhe";
  }
  return "?";
}

}  // namespace biotwin::estimate
