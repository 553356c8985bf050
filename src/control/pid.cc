#include "control/pid.h"

#include <algorithm>
#include <cmath>

namespace biotwin::control {

Pid::Pid(const PidSettings& settings) : s_(settings) {
  sign_ = s_.direct_action ? -1.0 : 1.0;
  has_i_ = s_.ti > 0 && std::isfinite(s_.ti);
  has_d_ = s_.td > 0 && std::isfinite(s_.td);
  const double tf = has_d_ && std::isfinite(s_.filter_n) && s_.filter_n > 0 ? s_.td / s_.filter_n : 0.0;
  a_ = tf / (tf + s_.h);
  b_ = has_d_ ? s_.kp * s_.td / (tf + s_.h) : 0.0;
  tt_ = !std::isnan(s_.tracking_time) ? s_.tracking_time
        : has_d_ && has_i_            ? std::sqrt(s_.ti * s_.td)
        : has_i_                      ? s_.ti
                                      : s_.h;
  Reset(0.0);
}

void Pid::Reset(double u0) {
  n_ = 0;
  e_ = e_prev_ = y_prev_ = e_before_ = 0.0;
  d_ = d_prev_ = 0.0;
  i_ = 0.0;
  v_ = u_prev_ = u0;
  last_auto_ = align_pending_ = false;
}

void Pid::Update(double sp, double y) {
  if (n_ == 0) {
    y_prev_ = y;
    e_prev_ = sign_ * (sp - y);
    d_ = 0.0;
  }
  // The previous error as used by the increment (IndPenSim's quirk drops its set-point).
  const double e_before = s_.previous_error_without_setpoint && n_ >= 2 ? sign_ * (-y_prev_) : e_prev_;
  e_ = sign_ * (sp - y);
  d_prev_ = d_;
  d_ = a_ * d_prev_ - sign_ * b_ * (y - y_prev_);
  // Stored for the velocity increment below.
  e_before_ = e_before;
  e_prev_ = e_;
  y_prev_ = y;
  ++n_;
}

double Pid::Step(double sp, double y) {
  Update(sp, y);
  const double e_before = e_before_;
  const double gi = has_i_ ? s_.kp * s_.h / s_.ti : 0.0;
  double v;
  double i_new = i_;
  if (align_pending_ && s_.form == PidForm::kPositional) {
    i_ = u_prev_ - s_.bias - s_.kp * e_ - gi * e_ - (has_d_ ? d_ : 0.0);
  }
  align_pending_ = false;
  if (s_.form == PidForm::kVelocity) {
    v = u_prev_ + s_.kp * (e_ - e_before) + gi * e_ + (has_d_ ? d_ - d_prev_ : 0.0);
  } else {
    i_new = i_ + gi * e_;
    v = s_.bias + s_.kp * e_ + i_new + (has_d_ ? d_ : 0.0);
  }
  double u = std::clamp(v, s_.out_min, s_.out_max);
  if (std::isfinite(s_.rate_limit)) {
    const double step = s_.rate_limit * s_.h;
    u = std::clamp(u, u_prev_ - step, u_prev_ + step);
  }
  if (s_.form == PidForm::kPositional) {
    // Clamping: no integration while the output is limited and the error drives it further.
    const bool winding = u != v && (v - u) * gi * e_ > 0;
    i_ = s_.anti_windup == AntiWindup::kClamp && winding ? i_ : i_new;
  }
  v_ = v;
  last_auto_ = true;
  return u;
}

void Pid::Observe(double sp, double y) {
  Update(sp, y);
  last_auto_ = false;
}

void Pid::Applied(double u) {
  if (s_.form == PidForm::kPositional) {
    if (!last_auto_) {
      i_ = u - s_.bias - s_.kp * e_ - (has_d_ ? d_ : 0.0);  // tracking: bumpless transfer
    } else if (s_.anti_windup == AntiWindup::kBackCalculation && has_i_) {
      i_ += s_.h / tt_ * (u - v_);
    }
  }
  u_prev_ = u;
}

}  // namespace biotwin::control
