// The simulator's integrator behind one call: CVODES BDF (default) or a Rosenbrock method
// (`solver: {method: rodas3 | rodas4 | ros34pw2}`, runs without sensitivities), with the same stop-time,
// root and failure semantics for the main loop and the stepping API.
#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/simulator_impl.h"

namespace biotwin::sim {

// The model's balances through the simulator's input handling, as the Rosenbrock method sees them.
struct Simulator::Impl::RosenbrockAdapter : public RosenbrockSystem {
  explicit RosenbrockAdapter(Simulator::Impl& s) : s_(s) {}
  bool Rhs(double t, const double* x, double* f) override {
    s_.ComputeInputs(t);
    s_.model->Rhs(s_.At(t, x), f, *s_.ws);
    for (int i = 0; i < s_.n; ++i) {
      if (!std::isfinite(f[i])) return false;
    }
    return true;
  }
  bool RhsAndJacobian(double t, const double* x, double* f, double* jac, double* jt, bool* have_jt) override {
    s_.ComputeInputs(t);
    // The model's df/dt covers its own use of t, not inputs that vary within the piece.
    const bool model_jt = s_.model->RhsAndJacobian(s_.At(t, x), f, jac, jt, *s_.ws);
    *have_jt = jt != nullptr && model_jt && !InputsVary();
    for (int i = 0; i < s_.n; ++i) {
      if (!std::isfinite(f[i])) return false;
    }
    return true;
  }
  bool TimeDependent() override { return s_.rhs_uses_time || InputsVary(); }
  bool InputsVary() const {
    for (int i : s_.time_varying_inputs) {
      if (!s_.u_override[i]) return true;
    }
    return false;
  }

  Simulator::Impl& s_;
};

// The Rosenbrock methods' LU is sparse or dense depending on the model's Jacobian pattern
// (Rosenbrock::UseSparsity), so their descriptions say which rule applies, not which one ran.
std::string IntegratorDescription(const std::string& method) {
  constexpr const char* kLu = "sparse LU in a fixed order where the Jacobian's pattern makes it 3x cheaper, else dense";
  if (method == "rodas3") return std::string("RODAS3 Rosenbrock, order 3, exact (AD) Jacobian every step, ") + kLu;
  if (method == "rodas4") return std::string("RODAS4 Rosenbrock, order 4, exact (AD) Jacobian every step, ") + kLu;
  if (method == "ros34pw2") {
    return std::string("ROS34PW2 Rosenbrock-W, order 3, exact (AD) Jacobian kept up to 20 steps, ") + kLu;
  }
  return "CVODES BDF, Newton with exact (AD) Jacobian, dense LU";
}

void Simulator::Impl::SetupRosenbrock() {
  std::vector<double> atol(N_VGetArrayPointer(abstol), N_VGetArrayPointer(abstol) + n);
  const auto method = sc.method == "rodas3"     ? Rosenbrock::Method::kRodas3
                      : sc.method == "ros34pw2" ? Rosenbrock::Method::kRos34pw2
                                                : Rosenbrock::Method::kRodas4;
  ros = std::make_unique<Rosenbrock>(method, n, sc.rtol, std::move(atol));
  ros->UseSparsity(model->JacobianPattern());
  ros_system = std::make_unique<RosenbrockAdapter>(*this);
  rhs_uses_time = model->RhsDependsOnTime();
  root_dirs.assign(n_roots, 0);
  for (const auto& e : events) {
    if (!e.timed && e.root >= 0) root_dirs[e.root] = e.direction;
  }
  if (vmax_root >= 0) root_dirs[vmax_root] = 1;
  if (vmin_root >= 0) root_dirs[vmin_root] = -1;
  g_start.assign(n_roots, 0.0);
  g_end.assign(n_roots, 0.0);
  g_mid.assign(n_roots, 0.0);
  x_mid.assign(n, 0.0);
  ros->Restart(sc.t_begin, N_VGetArrayPointer(y));
}

void Simulator::Impl::EvalRoots(double t, const double* x, double* g) {
  ComputeInputs(t);
  if (n_model_roots > 0) model->Roots(At(t, x), g, *ws);
  // Offsets of 1e-10 (relative) keep the limit roots active when a vessel sits exactly at a
  // limit after an event (a root that is exactly zero at a restart is ignored).
  const double v = x[info.volume_state];
  if (vmax_root >= 0) g[vmax_root] = v - info.volume_max * (1 + 1e-10);
  if (vmin_root >= 0) g[vmin_root] = v - info.volume_min * (1 - 1e-10);
}

int Simulator::Impl::Integrate(double t_target, double t_stop, double* tret) {
  if (ros == nullptr) {
    CVodeSetStopTime(cvode, t_stop);
    return CVode(cvode, t_target, y, tret, CV_NORMAL);
  }
  return IntegrateRosenbrock(std::min(t_target, t_stop), tret);
}

// Steps to t_target exactly. After every step the root functions are compared with their values
// at the step's start; a sign change in the wanted direction (a root that starts at exactly 0 is
// inactive until it leaves 0, as in CVODES) is located on the step's interpolant by the Illinois
// method, and the integration stops just past the earliest root.
int Simulator::Impl::IntegrateRosenbrock(double t_target, double* tret) {
  double* x = N_VGetArrayPointer(y);
  if (n_roots > 0) EvalRoots(ros->t(), x, g_start.data());
  long steps = 0;
  while (ros->t() < t_target) {
    if (++steps > sc.max_steps) {
      *tret = ros->t();
      return CV_TOO_MUCH_WORK;
    }
    const Rosenbrock::Status st = ros->Step(*ros_system, t_target);
    if (st != Rosenbrock::Status::kOk) {
      *tret = ros->t();
      return st == Rosenbrock::Status::kRhsFailed ? CV_RHSFUNC_FAIL : CV_ERR_FAILURE;
    }
    if (n_roots == 0) continue;
    EvalRoots(ros->t(), x, g_end.data());
    bool any = false;
    for (int r = 0; r < n_roots; ++r) any = any || RootCrossed(r, g_start[r], g_end[r]);
    if (!any) {
      g_start.swap(g_end);
      continue;
    }
    // Bracket [ta, tb] with the earliest crossing; shrink it until it is a few ulps wide.
    double ta = ros->previous_time(), tb = ros->t();
    std::vector<double> ga = g_start, gb = g_end;
    const double ttol = 100 * std::numeric_limits<double>::epsilon() * (std::fabs(tb) + std::fabs(tb - ta));
    // Illinois: an end kept twice in a row has its weight halved, so both ends move.
    double wa_scale = 1.0, wb_scale = 1.0;
    int last_moved = 0;  // -1: tb, +1: ta
    for (int it = 0; it < 200 && tb - ta > ttol; ++it) {
      double tm = tb;
      for (int r = 0; r < n_roots; ++r) {
        if (!RootCrossed(r, ga[r], gb[r])) continue;
        const double wa = std::fabs(ga[r]) * wa_scale, wb = std::fabs(gb[r]) * wb_scale;
        tm = std::min(tm, ta + (tb - ta) * wa / (wa + wb));
      }
      if (it % 8 == 7) tm = 0.5 * (ta + tb);  // a bisection now and then bounds the count
      tm = std::clamp(tm, ta + 0.1 * ttol, tb - 0.1 * ttol);
      if (!ros->Interpolate(*ros_system, tm, x_mid.data())) break;
      EvalRoots(tm, x_mid.data(), g_mid.data());
      bool crossed = false;
      for (int r = 0; r < n_roots; ++r) crossed = crossed || RootCrossed(r, ga[r], g_mid[r]);
      if (crossed) {
        tb = tm;
        gb = g_mid;
        wb_scale = 1.0;
        if (last_moved == -1) wa_scale *= 0.5;
        last_moved = -1;
      } else {
        ta = tm;
        ga = g_mid;
        wa_scale = 1.0;
        if (last_moved == 1) wb_scale *= 0.5;
        last_moved = 1;
      }
    }
    roots_found.assign(n_roots, 0);
    for (int r = 0; r < n_roots; ++r) {
      if (RootCrossed(r, ga[r], gb[r])) roots_found[r] = gb[r] > ga[r] ? 1 : -1;
    }
    if (tb < ros->t()) {
      if (!ros->Interpolate(*ros_system, tb, x_mid.data())) {
        *tret = ros->t();
        return CV_RHSFUNC_FAIL;
      }
      std::copy(x_mid.begin(), x_mid.end(), x);
    }
    ros->Restart(tb, x);
    *tret = tb;
    return CV_ROOT_RETURN;
  }
  *tret = ros->t();
  return CV_TSTOP_RETURN;
}

bool Simulator::Impl::RootCrossed(int r, double g0, double g1) const {
  if (g0 == 0.0) return false;  // inactive until it leaves zero
  const bool rising = g0 < 0 && g1 >= 0, falling = g0 > 0 && g1 <= 0;
  if (root_dirs[r] > 0) return rising;
  if (root_dirs[r] < 0) return falling;
  return rising || falling;
}

}  // namespace biotwin::sim
