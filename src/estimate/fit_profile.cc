// Profile likelihood: for a parameter, step away from the optimum on a grid (in the parameter's
// solver scale) and re-optimise every other free parameter at each point. The 95 % interval is
// where the profile crosses J* + chi2_{1,0.95} (sigma known) or J* exp(chi2_{1,0.95} / N)
// (sigma estimated: the likelihood ratio with the variance profiled out).
#include <algorithm>
#include <cmath>

#include <boost/math/distributions/chi_squared.hpp>

#include "estimate/fit.h"

namespace biotwin::estimate {
namespace {

std::string WhyProfile(const FitResult& result, int k, const std::vector<std::string>& request) {
  const auto& pe = result.parameters[k];
  const bool all = std::find(request.begin(), request.end(), "all") != request.end();
  const bool named = std::find(request.begin(), request.end(), pe.name) != request.end();
  if (all || named) return "requested";
  if (std::find(request.begin(), request.end(), "auto") == request.end()) return "";
  if (!std::isfinite(pe.se)) return "no finite standard error (singular Fisher information)";
  if (pe.se > 0.5 * std::fabs(pe.value)) return "relative standard error above 50 %";
  for (size_t j = 0; j < result.correlation.size(); ++j) {
    if (static_cast<int>(j) != k && std::fabs(result.correlation[k][j]) > 0.95) {
      return "|correlation| with " + result.parameters[j].name + " above 0.95";
    }
  }
  return "";
}

}  // namespace

void ProfileParameters(const FitResiduals& residuals, const FitOptions& options, FitResult* result) {
  const auto& params = residuals.problem().parameters;
  const int np = static_cast<int>(params.size());
  const double chi = boost::math::quantile(boost::math::chi_squared(1.0), 0.95);
  const double jstar = result->objective;
  const double threshold = result->sigma_known ? jstar + chi : jstar * std::exp(chi / result->num_data);
  // Each profile point only needs its objective to a few digits of the threshold.
  FitOptions point_options = options;
  point_options.function_tolerance = std::max(options.function_tolerance, 1e-8);
  point_options.parameter_tolerance = std::max(options.parameter_tolerance, 1e-8);
  point_options.gradient_tolerance = std::max(options.gradient_tolerance, 1e-8);
  std::vector<double> best(np);
  for (int k = 0; k < np; ++k) best[k] = result->parameters[k].value;
  for (int k = 0; k < np; ++k) {
    const std::string why = WhyProfile(*result, k, options.profile);
    if (why.empty()) continue;
    const auto& f = params[k];
    ProfileResult prof;
    prof.name = f.name;
    prof.unit = f.unit;
    prof.reason = why;
    prof.threshold = threshold;
    const double v = best[k];
    const double theta_hat = f.log ? std::log(v) : v;
    const double se = result->parameters[k].se;
    double h;
    if (f.log) {
      h = std::isfinite(se) && se > 0 ? 0.4 * se / v : 0.25;
      h = std::clamp(h, 1e-4, 0.5);
    } else {
      const double width = std::isfinite(f.upper - f.lower) ? (f.upper - f.lower) / 20 : std::max(std::fabs(v), 1.0) * 0.1;
      h = std::isfinite(se) && se > 0 ? std::min(0.4 * se, width) : width;
    }
    const double lo = f.log ? (f.lower > 0 ? std::log(f.lower) : -model::kInf) : f.lower;
    const double hi = f.log ? std::log(f.upper) : f.upper;
    prof.points.push_back({v, jstar, true});
    double ends[2] = {model::kNaN, model::kNaN};
    for (int side = -1; side <= 1; side += 2) {
      std::vector<double> start = best;
      double prev_theta = theta_hat, prev_j = jstar;
      for (int step = 1; step <= options.profile_max_steps; ++step) {
        double theta = theta_hat + side * step * h;
        const bool clipped = theta <= lo || theta >= hi;
        theta = std::clamp(theta, lo, hi);
        if (theta == prev_theta) break;
        start[k] = f.log ? std::exp(theta) : theta;
        StartOutcome o = SolveFrom(residuals, start, {k}, point_options, &result->simulations);
        ProfilePoint pt{start[k], o.objective, o.status == "converged" && std::isfinite(o.objective)};
        prof.points.push_back(pt);
        if (!pt.ok) break;
        start = o.end;
        if (o.objective > threshold) {
          const double frac = (threshold - prev_j) / (o.objective - prev_j);
          const double tc = prev_theta + frac * (theta - prev_theta);
          ends[side < 0 ? 0 : 1] = f.log ? std::exp(tc) : tc;
          break;
        }
        prev_theta = theta;
        prev_j = o.objective;
        if (clipped) break;
      }
    }
    std::sort(prof.points.begin(), prof.points.end(),
              [](const ProfilePoint& a, const ProfilePoint& b) { return a.value < b.value; });
    prof.ci_low = ends[0];
    prof.ci_high = ends[1];
    prof.identifiable = std::isfinite(ends[0]) && std::isfinite(ends[1]);
    result->profiles.push_back(std::move(prof));
  }
}

}  // namespace biotwin::estimate
