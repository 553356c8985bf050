#include "sim/inputs.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace biotwin::sim {

InputProfile InputProfile::Constant(double value) {
  InputProfile p;
  p.kind_ = Kind::kConstant;
  p.values_ = {value};
  return p;
}

namespace {
void CheckTable(const std::vector<double>& times, const std::vector<double>& values) {
  if (times.empty() || times.size() != values.size()) {
    throw std::invalid_argument("a profile needs as many values as times (and at least one)");
  }
  for (size_t i = 1; i < times.size(); ++i) {
    if (!(times[i] > times[i - 1])) throw std::invalid_argument("profile times must increase");
  }
}
}  // namespace

InputProfile InputProfile::PiecewiseConstant(std::vector<double> times, std::vector<double> values) {
  CheckTable(times, values);
  InputProfile p;
  p.kind_ = Kind::kPiecewiseConstant;
  p.times_ = std::move(times);
  p.values_ = std::move(values);
  return p;
}

InputProfile InputProfile::PiecewiseLinear(std::vector<double> times, std::vector<double> values) {
  CheckTable(times, values);
  InputProfile p;
  p.kind_ = Kind::kPiecewiseLinear;
  p.times_ = std::move(times);
  p.values_ = std::move(values);
  return p;
}

InputProfile InputProfile::Exponential(double start, double initial, double rate, double max) {
  InputProfile p;
  p.kind_ = Kind::kExponential;
  p.start_ = start;
  p.initial_ = initial;
  p.rate_ = rate;
  p.max_ = max;
  p.cap_time_ = std::numeric_limits<double>::infinity();
  if (std::isfinite(max) && initial > 0 && rate > 0 && max > initial) {
    p.cap_time_ = start + std::log(max / initial) / rate;
  } else if (std::isfinite(max) && initial >= max) {
    p.cap_time_ = start;
  }
  return p;
}

namespace {

// The index of the last time <= x (times ascending, times[0] <= x), trying *cursor and the entry
// after it before a binary search.
size_t PieceIndex(const std::vector<double>& times, double x, size_t* cursor) {
  const size_t size = times.size();
  if (cursor != nullptr) {
    for (size_t i = *cursor; i < size && i <= *cursor + 1; ++i) {
      if (times[i] <= x && (i + 1 == size || x < times[i + 1])) return *cursor = i;
    }
  }
  const size_t i = (std::upper_bound(times.begin(), times.end(), x) - times.begin()) - 1;
  if (cursor != nullptr) *cursor = i;
  return i;
}

}  // namespace

double InputProfile::Value(double t, double piece_time, size_t* cursor) const {
  switch (kind_) {
    case Kind::kConstant:
      return values_[0];
    case Kind::kPiecewiseConstant: {
      if (piece_time < times_.front()) return values_[0];
      return values_[PieceIndex(times_, piece_time, cursor)];
    }
    case Kind::kPiecewiseLinear: {
      if (piece_time < times_.front()) return values_.front();
      if (piece_time >= times_.back()) return values_.back();
      const size_t i = PieceIndex(times_, piece_time, cursor);
      double w = (t - times_[i]) / (times_[i + 1] - times_[i]);
      return values_[i] + w * (values_[i + 1] - values_[i]);
    }
    case Kind::kExponential:
      if (piece_time < start_) return 0.0;
      if (piece_time >= cap_time_) return max_;
      return initial_ * std::exp(rate_ * (t - start_));
  }
  return 0.0;
}

std::vector<double> InputProfile::Breakpoints() const {
  switch (kind_) {
    case Kind::kConstant:
      return {};
    case Kind::kPiecewiseConstant:
    case Kind::kPiecewiseLinear:
      return times_;
    case Kind::kExponential: {
      std::vector<double> b = {start_};
      if (std::isfinite(cap_time_) && cap_time_ > start_) b.push_back(cap_time_);
      return b;
    }
  }
  return {};
}

}  // namespace biotwin::sim
