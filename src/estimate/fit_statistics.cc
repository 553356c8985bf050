// Uncertainty at the optimum: covariance from the Fisher information J^T J of the weighted
// residuals (scaled by the residual variance J/(N-p) when sigma is not known), standard errors,
// 95 % intervals (Student t with N-p degrees of freedom for an estimated sigma, normal otherwise),
// correlations, the chi-square goodness of fit and per-signal residual diagnostics.
#include <algorithm>
#include <cmath>
#include <map>

#include <Eigen/Dense>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <boost/math/special_functions/gamma.hpp>

#include "estimate/fit.h"
#include "model/format.h"

namespace biotwin::estimate {
namespace {

void Diagnose(const std::vector<double>& weighted, const std::vector<double>& raw, SignalDiagnostics* d) {
  const size_t n = weighted.size();
  d->n = static_cast<int>(n);
  if (n == 0) return;
  double s_raw = 0, s_w = 0, mean = 0;
  for (size_t i = 0; i < n; ++i) {
    s_raw += raw[i] * raw[i];
    s_w += weighted[i] * weighted[i];
    mean += weighted[i];
  }
  d->rms = std::sqrt(s_raw / n);
  d->weighted_rms = std::sqrt(s_w / n);
  mean /= n;
  double num = 0, den = 0;
  for (size_t i = 0; i < n; ++i) {
    den += (weighted[i] - mean) * (weighted[i] - mean);
    if (i + 1 < n) num += (weighted[i] - mean) * (weighted[i + 1] - mean);
  }
  if (n >= 3 && den > 0) d->lag1_autocorrelation = num / den;
  // Wald-Wolfowitz runs test on the signs (exact zeros are skipped).
  int prev = 0;
  for (double r : weighted) {
    const int sign = r > 0 ? 1 : (r < 0 ? -1 : 0);
    if (sign == 0) continue;
    (sign > 0 ? d->positive : d->negative)++;
    if (sign != prev) d->runs++;
    prev = sign;
  }
  const double n1 = d->positive, n2 = d->negative, nn = n1 + n2;
  if (nn >= 2 && (n1 == 0 || n2 == 0)) {
    // Every residual has the same sign: the chance of that with random signs is 2^(1-n).
    d->runs_p = std::pow(2.0, 1.0 - nn);
  } else if (n1 > 0 && n2 > 0 && nn > 2) {
    d->runs_expected = 2 * n1 * n2 / nn + 1;
    const double var = 2 * n1 * n2 * (2 * n1 * n2 - nn) / (nn * nn * (nn - 1));
    if (var > 0) {
      d->runs_z = (d->runs - d->runs_expected) / std::sqrt(var);
      d->runs_p = std::erfc(std::fabs(d->runs_z) / std::sqrt(2.0));
    }
  }
}

}  // namespace

void AnalyseOptimum(const FitResiduals& residuals, const std::vector<double>& r,
                    const std::vector<double>& jac, FitResult* result) {
  const auto& problem = residuals.problem();
  const int n = residuals.num_residuals(), np = residuals.num_parameters();
  result->num_data = n;
  result->num_parameters = np;
  result->dof = n - np;
  result->sigma_known = problem.SigmaKnown();
  double j = 0;
  for (double v : r) j += v * v;
  result->objective = j;
  if (result->dof > 0) {
    result->residual_variance = j / result->dof;
    result->chi2_p_value = boost::math::gamma_q(0.5 * result->dof, 0.5 * j);
  }
  Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> jm(jac.data(), n, np);
  const Eigen::MatrixXd fim = jm.transpose() * jm;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(fim);
  const double lmax = eig.eigenvalues().maxCoeff(), lmin = eig.eigenvalues().minCoeff();
  result->fisher_condition_number = lmin > 0 ? lmax / lmin : model::kInf;
  const bool singular = !(lmin > 1e-13 * lmax) || !(lmax > 0);
  result->fisher_condition = singular ? "singular Fisher information: the data do not determine every free parameter "
                                        "(a parameter has no effect or a combination is unidentifiable); see the profiles"
                                      : "ok";
  {  // weakest direction in relative changes: D F D with D = diag(|p|)
    Eigen::VectorXd d(np);
    for (int k = 0; k < np; ++k) d(k) = std::max(std::fabs(result->parameters[k].value), 1e-300);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> rel(d.asDiagonal() * fim * d.asDiagonal());
    Eigen::Index weakest = 0;
    rel.eigenvalues().minCoeff(&weakest);
    const Eigen::VectorXd v = rel.eigenvectors().col(weakest);
    result->fisher_weakest_direction.assign(v.data(), v.data() + np);
  }
  const double scale = result->sigma_known ? 1.0 : result->residual_variance;
  double q = model::kNaN;
  if (result->sigma_known) {
    q = boost::math::quantile(boost::math::normal(), 0.975);
  } else if (result->dof > 0) {
    q = boost::math::quantile(boost::math::students_t(result->dof), 0.975);
  }
  result->covariance.assign(np, std::vector<double>(np, model::kNaN));
  result->correlation.assign(np, std::vector<double>(np, model::kNaN));
  if (!singular && std::isfinite(scale)) {
    const Eigen::MatrixXd cov = fim.inverse() * scale;
    for (int a = 0; a < np; ++a) {
      for (int b = 0; b < np; ++b) {
        result->covariance[a][b] = cov(a, b);
        result->correlation[a][b] = cov(a, b) / std::sqrt(cov(a, a) * cov(b, b));
      }
    }
  }
  for (int k = 0; k < np; ++k) {
    auto& pe = result->parameters[k];
    const double var = result->covariance[k][k];
    pe.se = std::isfinite(var) && var >= 0 ? std::sqrt(var) : model::kNaN;
    pe.ci_low = pe.value - q * pe.se;
    pe.ci_high = pe.value + q * pe.se;
    auto near = [](double v, double b) {
      return std::isfinite(b) && std::fabs(v - b) <= 1e-6 * std::max(std::fabs(b), std::fabs(v));
    };
    pe.at_bound = near(pe.value, pe.lower) || near(pe.value, pe.upper);
  }
  // Residual diagnostics by signal name, over all experiments.
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> by_signal;
  std::vector<std::string> order;
  const auto& pts = residuals.points();
  for (int i = 0; i < n; ++i) {
    const auto& sig = problem.experiments[pts[i].experiment].data.signals[pts[i].signal];
    if (!by_signal.count(sig.name)) order.push_back(sig.name);
    auto& [w, raw] = by_signal[sig.name];
    w.push_back(r[i]);
    raw.push_back(r[i] * pts[i].sigma);
  }
  result->diagnostics.clear();
  for (const auto& name : order) {
    SignalDiagnostics d;
    d.name = name;
    for (const auto& e : problem.experiments) {
      for (const auto& s : e.data.signals) {
        if (s.name == name) d.unit = s.unit;
      }
    }
    Diagnose(by_signal[name].first, by_signal[name].second, &d);
    result->diagnostics.push_back(d);
  }
}

}  // namespace biotwin::estimate
