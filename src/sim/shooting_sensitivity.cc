// CVODES driver for one shooting interval with forward sensitivities (see shooting_sensitivity.h).
#include "sim/shooting_sensitivity.h"

#include <cvodes/cvodes.h>
#include <nvector/nvector_serial.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_dense.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "model/file_model.h"
#include "model/format.h"
#include "model/tape.h"
#include "sim/fast_nvector.h"

namespace biotwin::sim {

struct ShootingIntegrator::Impl {
  std::shared_ptr<const model::Model> model;
  ShootingSetup setup;
  std::shared_ptr<StateExtension> ext;
  std::unique_ptr<model::ModelWorkspace> ws;
  const model::FileModel* file_model = nullptr;  // for exact d(rates)/dt
  model::TapeWorkspace time_ws;
  std::vector<double> tape_vars, tape_grad;
  bool time_dependent = false;
  int n = 0, m = 0, ne = 0, nx = 0, nd = 0, ns = 0;
  int col_length = -1, col_start = -1;

  // Interval data for the callbacks.
  double t0 = 0.0, h = 1.0;
  std::vector<double> ua, ub, u;
  // Scratch (sized once).
  std::vector<double> f, ft, jx, ju, r, rt, drdx, drdu, f2;
  // Fixed-step RK4: state and sensitivities (nx x ns, column-major), stage slopes and points.
  std::vector<double> rk_y, rk_s, rk_ky, rk_ks, rk_yt, rk_st;
  std::vector<const double*> s_cols;
  std::vector<double*> d_cols;
  SUNContext ctx = nullptr;
  void* cvode = nullptr;
  N_Vector y = nullptr, abstol = nullptr;
  N_Vector* yS = nullptr;
  SUNMatrix J = nullptr;
  SUNLinearSolver LS = nullptr;
  std::string last_error;
  long steps = 0;

  ~Impl() {
    if (yS) N_VDestroyVectorArray(yS, ns);
    if (cvode) CVodeFree(&cvode);
    if (LS) SUNLinSolFree(LS);
    if (J) SUNMatDestroy(J);
    if (y) N_VDestroy(y);
    if (abstol) N_VDestroy(abstol);
    if (ctx) SUNContext_Free(&ctx);
  }

  void InputsAt(double tau) {
    for (int l = 0; l < m; ++l) u[l] = ua[l] + (ub[l] - ua[l]) * tau;
  }

  model::EvalPoint Point(double tau, const double* x) {
    model::EvalPoint at;
    at.t = t0 + h * tau;
    at.x = x;
    at.u = u.data();
    at.p = setup.parameters.data();
    return at;
  }

  // Writes the point into the rate tape's variable vector (file models) and returns it.
  double* LoadTapeVariables(const model::EvalPoint& at) {
    double* v = tape_vars.data();
    std::copy(at.x, at.x + n, v);
    std::copy(at.u, at.u + m, v + file_model->input_offset());
    std::copy(at.p, at.p + setup.parameters.size(), v + file_model->parameter_offset());
    v[file_model->time_index()] = at.t;
    v[file_model->phase_index()] = at.phase;
    return v;
  }

  // d f / d t at `at` (n entries) into ft; exact through the tape for file models.
  void TimeDerivative(const model::EvalPoint& at) {
    if (!time_dependent) {
      std::fill(ft.begin(), ft.end(), 0.0);
      return;
    }
    if (file_model) {
      double* v = LoadTapeVariables(at);
      const auto& tape = file_model->tapes().rhs;
      model::TapeForward(tape, v, time_ws);
      for (int i = 0; i < n; ++i) {
        model::TapeGradient(tape, time_ws, i, tape_grad.data());
        ft[i] = tape_grad[file_model->time_index()];
      }
      return;
    }
    // Hand-written models: central difference in time.
    const double dt = 1e-6 * std::max(1.0, std::fabs(at.t));
    model::EvalPoint a = at, b = at;
    a.t -= dt;
    b.t += dt;
    model->Rhs(b, ft.data(), *ws);
    model->Rhs(a, f2.data(), *ws);
    for (int i = 0; i < n; ++i) ft[i] = (ft[i] - f2[i]) / (2 * dt);
  }

  static int RhsFn(double tau, N_Vector yv, N_Vector ydot, void* data) {
    auto* s = static_cast<Impl*>(data);
    // Not finite: recoverable, CVODES retries with a smaller step.
    return s->Rates(tau, N_VGetArrayPointer(yv), N_VGetArrayPointer(ydot)) ? 0 : 1;
  }

  static int JacFn(double tau, N_Vector yv, N_Vector, SUNMatrix Jm, void* data, N_Vector, N_Vector,
                   N_Vector) {
    auto* s = static_cast<Impl*>(data);
    const double* x = N_VGetArrayPointer(yv);
    s->InputsAt(tau);
    const model::EvalPoint at = s->Point(tau, x);
    s->model->Jacobians(at, s->jx.data(), nullptr, *s->ws);
    SUNMatZero(Jm);
    for (int j = 0; j < s->n; ++j) {
      double* col = SUNDenseMatrix_Column(Jm, j);
      for (int i = 0; i < s->n; ++i) col[i] = s->h * s->jx[i + j * s->n];
    }
    if (s->ne > 0) {
      s->ext->Eval(at.t, x, s->u.data(), at.p, s->r.data(), s->drdx.data(), s->drdu.data(),
                   s->rt.data());
      for (int j = 0; j < s->n; ++j) {
        double* col = SUNDenseMatrix_Column(Jm, j);
        for (int i = 0; i < s->ne; ++i) col[s->n + i] = s->h * s->drdx[i + j * s->ne];
      }
    }
    return 0;
  }

  // Rates at (tau, x) into d (nx entries, scaled by h). False when a rate is not finite.
  bool Rates(double tau, const double* x, double* d) {
    InputsAt(tau);
    const model::EvalPoint at = Point(tau, x);
    model->Rhs(at, d, *ws);
    for (int i = 0; i < n; ++i) d[i] *= h;
    if (ne > 0) {
      ext->Eval(at.t, x, u.data(), at.p, d + n, nullptr, nullptr, nullptr);
      for (int i = 0; i < ne; ++i) d[n + i] *= h;
    }
    for (int i = 0; i < nx; ++i) {
      if (!std::isfinite(d[i])) return false;
    }
    return true;
  }

  // Evaluates at (tau, x) what the sensitivity equations need: jx, ju (input directions), f
  // (length direction, or want_f), ft (explicit time dependence) and the extension's rates and
  // gradients. File models: one forward and n reverse sweeps of the rate tape give all of them
  // (the model's Jacobians and InputJacobian would sweep twice).
  void Linearize(double tau, const double* x, bool want_f) {
    InputsAt(tau);
    const model::EvalPoint at = Point(tau, x);
    const bool need_ju = m > 0 && nd > 0;
    const bool need_f = want_f || col_length >= 0;
    const bool need_t = time_dependent && (col_length >= 0 || col_start >= 0);
    if (file_model) {
      double* v = LoadTapeVariables(at);
      const auto& tape = file_model->tapes().rhs;
      const int uo = file_model->input_offset(), ti = file_model->time_index();
      model::TapeForward(tape, v, time_ws);
      for (int i = 0; i < n; ++i) {
        if (need_f) f[i] = model::TapeOutput(tape, time_ws, i);
        model::TapeGradient(tape, time_ws, i, tape_grad.data());
        for (int j = 0; j < n; ++j) jx[i + j * n] = tape_grad[j];
        if (need_ju) {
          for (int l = 0; l < m; ++l) ju[i + l * n] = tape_grad[uo + l];
        }
        ft[i] = need_t ? tape_grad[ti] : 0.0;
      }
    } else {
      model->Jacobians(at, jx.data(), nullptr, *ws);
      if (need_ju) model->InputJacobian(at, ju.data(), *ws);
      if (need_f) model->Rhs(at, f.data(), *ws);
      if (need_t) TimeDerivative(at);
    }
    if (ne > 0) ext->Eval(at.t, x, u.data(), at.p, r.data(), drdx.data(), drdu.data(), rt.data());
  }

  // Right-hand side of the sensitivity equations at tau (after Linearize there): dk = h*J*sk
  // plus the direction's explicit forcing, for every column k < count.
  void SensRhs(double tau, int count, const double* const* sv, double* const* dv) const {
    const bool need_t = time_dependent && (col_length >= 0 || col_start >= 0);
    for (int k = 0; k < count; ++k) {
      const double* sk = sv[k];
      double* dk = dv[k];
      // h * J * s_k (extension columns of J are zero).
      for (int i = 0; i < n; ++i) {
        double acc = 0.0;
        for (int j = 0; j < n; ++j) acc += jx[i + j * n] * sk[j];
        dk[i] = h * acc;
      }
      for (int i = 0; i < ne; ++i) {
        double acc = 0.0;
        for (int j = 0; j < n; ++j) acc += drdx[i + j * ne] * sk[j];
        dk[n + i] = h * acc;
      }
      if (k < nx) continue;  // initial-state directions have no forcing term
      const int d = k - nx;
      if (d < nd) {
        const InputDirection& dir = setup.input_directions[d];
        const double w = dir.kind == InputDirection::Kind::kConstant ? 1.0
                         : dir.kind == InputDirection::Kind::kStart  ? 1.0 - tau
                                                                     : tau;
        const int l = dir.input;
        for (int i = 0; i < n; ++i) dk[i] += h * w * ju[i + l * n];
        for (int i = 0; i < ne; ++i) dk[n + i] += h * w * drdu[i + l * ne];
      } else if (k == col_length) {
        for (int i = 0; i < n; ++i) dk[i] += f[i] + (need_t ? h * tau * ft[i] : 0.0);
        for (int i = 0; i < ne; ++i) dk[n + i] += r[i] + h * tau * rt[i];
      } else if (k == col_start) {
        for (int i = 0; i < n; ++i) dk[i] += need_t ? h * ft[i] : 0.0;
        for (int i = 0; i < ne; ++i) dk[n + i] += h * rt[i];
      }
    }
  }

  static int SensFn(int ns, double tau, N_Vector yv, N_Vector, N_Vector* ySv, N_Vector* ySdot,
                    void* data, N_Vector, N_Vector) {
    auto* s = static_cast<Impl*>(data);
    s->Linearize(tau, N_VGetArrayPointer(yv), false);
    for (int k = 0; k < ns; ++k) {
      s->s_cols[k] = N_VGetArrayPointer(ySv[k]);
      s->d_cols[k] = N_VGetArrayPointer(ySdot[k]);
    }
    s->SensRhs(tau, ns, s->s_cols.data(), s->d_cols.data());
    return 0;
  }

  // One stage of RK4 at (tau, x[, sens]): slopes dy (nx) and, with sens, ds (nx x ns).
  bool Rk4Stage(double tau, const double* x, const double* sens, double* dy, double* ds, bool with_sens) {
    if (!with_sens) return Rates(tau, x, dy);
    Linearize(tau, x, true);
    for (int i = 0; i < n; ++i) dy[i] = h * f[i];
    for (int i = 0; i < ne; ++i) dy[n + i] = h * r[i];
    for (int i = 0; i < nx; ++i) {
      if (!std::isfinite(dy[i])) return false;
    }
    for (int k = 0; k < ns; ++k) {
      s_cols[k] = sens + static_cast<size_t>(k) * nx;
      d_cols[k] = ds + static_cast<size_t>(k) * nx;
    }
    SensRhs(tau, ns, s_cols.data(), d_cols.data());
    return true;
  }

  // One classical RK4 step from tau over dtau on rk_y (and rk_s).
  bool Rk4Step(double tau, double dtau, bool with_sens) {
    static constexpr double kA[4] = {0.0, 0.5, 0.5, 1.0};
    static constexpr double kB[4] = {1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 6.0};
    const size_t nsz = with_sens ? static_cast<size_t>(nx) * ns : 0;
    for (int st = 0; st < 4; ++st) {
      double* ky = rk_ky.data() + static_cast<size_t>(st) * nx;
      double* ks = rk_ks.data() + st * nsz;
      const double* yin = rk_y.data();
      const double* s_in = rk_s.data();
      if (st > 0) {
        const double a = kA[st] * dtau;
        const double* kyp = rk_ky.data() + static_cast<size_t>(st - 1) * nx;
        const double* ksp = rk_ks.data() + (st - 1) * nsz;
        for (int i = 0; i < nx; ++i) rk_yt[i] = rk_y[i] + a * kyp[i];
        for (size_t i = 0; i < nsz; ++i) rk_st[i] = rk_s[i] + a * ksp[i];
        yin = rk_yt.data();
        s_in = rk_st.data();
      }
      if (!Rk4Stage(tau + kA[st] * dtau, yin, s_in, ky, ks, with_sens)) return false;
    }
    for (int i = 0; i < nx; ++i) {
      double acc = 0.0;
      for (int st = 0; st < 4; ++st) acc += kB[st] * rk_ky[static_cast<size_t>(st) * nx + i];
      rk_y[i] += dtau * acc;
    }
    for (size_t i = 0; i < nsz; ++i) {
      double acc = 0.0;
      for (int st = 0; st < 4; ++st) acc += kB[st] * rk_ks[st * nsz + i];
      rk_s[i] += dtau * acc;
    }
    return true;
  }

  static void ErrFn(int code, const char* module, const char* function, char* msg, void* data) {
    static_cast<Impl*>(data)->last_error = msg ? msg : "";
  }
};

ShootingIntegrator::ShootingIntegrator(std::shared_ptr<const model::Model> model,
                                       ShootingSetup setup,
                                       std::shared_ptr<StateExtension> extension)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.model = std::move(model);
  s.setup = std::move(setup);
  s.ext = std::move(extension);
  s.ws = s.model->NewWorkspace();
  s.n = s.model->num_states();
  s.m = s.model->num_inputs();
  s.ne = s.ext ? s.ext->size() : 0;
  s.nx = s.n + s.ne;
  s.nd = static_cast<int>(s.setup.input_directions.size());
  if (static_cast<int>(s.setup.parameters.size()) != s.model->num_parameters()) {
    throw std::invalid_argument("shooting: parameter vector has the wrong length");
  }
  for (const auto& d : s.setup.input_directions) {
    if (d.input < 0 || d.input >= s.m) throw std::invalid_argument("shooting: unknown input index");
  }
  int cols = s.nx + s.nd;
  if (s.setup.sens_length) s.col_length = cols++;
  if (s.setup.sens_start) s.col_start = cols++;
  s.ns = cols;
  s.file_model = dynamic_cast<const model::FileModel*>(s.model.get());
  if (s.file_model) {
    const auto& tape = s.file_model->tapes().rhs;
    for (int i = 0; i < tape.num_outputs() && !s.time_dependent; ++i) {
      for (int v : tape.OutputVars(i)) {
        if (v == s.file_model->time_index()) s.time_dependent = true;
      }
    }
    s.time_ws.Resize(tape);
    s.tape_vars.assign(s.file_model->num_vars(), 0.0);
    s.tape_grad.assign(s.file_model->num_vars(), 0.0);
  } else {
    s.time_dependent = true;
  }
  s.ua.assign(s.m, 0.0);
  s.ub.assign(s.m, 0.0);
  s.u.assign(s.m, 0.0);
  s.f.assign(s.n, 0.0);
  s.f2.assign(s.n, 0.0);
  s.ft.assign(s.n, 0.0);
  s.jx.assign(static_cast<size_t>(s.n) * s.n, 0.0);
  s.ju.assign(static_cast<size_t>(s.n) * std::max(s.m, 1), 0.0);
  s.r.assign(std::max(s.ne, 1), 0.0);
  s.rt.assign(std::max(s.ne, 1), 0.0);
  s.drdx.assign(static_cast<size_t>(std::max(s.ne, 1)) * s.n, 0.0);
  s.drdu.assign(static_cast<size_t>(std::max(s.ne, 1)) * std::max(s.m, 1), 0.0);
  s.s_cols.assign(s.ns, nullptr);
  s.d_cols.assign(s.ns, nullptr);
  if (s.nd > 0 && s.m > 0) {
    model::EvalPoint at;
    std::vector<double> x0 = s.model->info().InitialState();
    at.x = x0.data();
    at.u = s.u.data();
    at.p = s.setup.parameters.data();
    if (!s.model->InputJacobian(at, s.ju.data(), *s.ws)) {
      throw std::invalid_argument("shooting: the model provides no input Jacobian (d rates / d inputs)");
    }
  }
  if (static_cast<int>(s.setup.atol.size()) != s.nx) {
    throw std::invalid_argument("shooting: absolute tolerances must be given for every state");
  }
  if (s.setup.method == ShootingMethod::kRk4) {
    if (s.setup.rk4_steps < 1) throw std::invalid_argument("shooting: rk4 needs at least one step per interval");
    const size_t nsz = static_cast<size_t>(s.nx) * s.ns;
    s.rk_y.assign(s.nx, 0.0);
    s.rk_yt.assign(s.nx, 0.0);
    s.rk_ky.assign(4 * static_cast<size_t>(s.nx), 0.0);
    s.rk_s.assign(nsz, 0.0);
    s.rk_st.assign(nsz, 0.0);
    s.rk_ks.assign(4 * nsz, 0.0);
    return;  // no CVODES memory
  }
  if (SUNContext_Create(nullptr, &s.ctx) != 0) throw std::runtime_error("cannot create SUNDIALS context");
  s.y = N_VNew_Serial(s.nx, s.ctx);
  UseFastVectorOps(s.y);
  N_VConst(0.0, s.y);
  s.abstol = N_VNew_Serial(s.nx, s.ctx);
  UseFastVectorOps(s.abstol);
  for (int i = 0; i < s.nx; ++i) N_VGetArrayPointer(s.abstol)[i] = s.setup.atol[i];
  s.cvode = CVodeCreate(CV_BDF, s.ctx);
  CVodeSetErrHandlerFn(s.cvode, &Impl::ErrFn, &s);
  CVodeInit(s.cvode, &Impl::RhsFn, 0.0, s.y);
  CVodeSVtolerances(s.cvode, s.setup.rtol, s.abstol);
  CVodeSetUserData(s.cvode, &s);
  s.J = SUNDenseMatrix(s.nx, s.nx, s.ctx);
  s.LS = SUNLinSol_Dense(s.y, s.J, s.ctx);
  CVodeSetLinearSolver(s.cvode, s.LS, s.J);
  CVodeSetJacFn(s.cvode, &Impl::JacFn);
  CVodeSetMaxNumSteps(s.cvode, s.setup.max_steps);
  s.yS = N_VCloneVectorArray(s.ns, s.y);
  for (int k = 0; k < s.ns; ++k) N_VConst(0.0, s.yS[k]);
  CVodeSensInit(s.cvode, s.ns, CV_SIMULTANEOUS, &Impl::SensFn, s.yS);
  CVodeSensEEtolerances(s.cvode);
  CVodeSetSensErrCon(s.cvode, s.setup.sens_error_control ? SUNTRUE : SUNFALSE);
}

ShootingIntegrator::~ShootingIntegrator() = default;

int ShootingIntegrator::num_states() const { return impl_->nx; }
int ShootingIntegrator::num_sensitivities() const { return impl_->ns; }
bool ShootingIntegrator::time_dependent() const { return impl_->time_dependent; }
long ShootingIntegrator::total_steps() const { return impl_->steps; }

bool ShootingIntegrator::Integrate(double t0, double h, const double* x0, const double* u_start,
                                   const double* u_end, const std::vector<double>& taus,
                                   bool with_sensitivities, std::vector<ShootingPoint>* out,
                                   std::string* error) {
  Impl& s = *impl_;
  if (!(h > 0) || !std::isfinite(h)) {
    *error = "interval length must be positive (got " + model::FormatNumber(h) + ")";
    return false;
  }
  s.t0 = t0;
  s.h = h;
  std::copy(u_start, u_start + s.m, s.ua.begin());
  std::copy(u_end, u_end + s.m, s.ub.begin());
  for (int i = 0; i < s.nx; ++i) {
    if (!std::isfinite(x0[i])) {
      *error = "initial state of the interval is not finite";
      return false;
    }
  }
  if (s.setup.method == ShootingMethod::kRk4) return IntegrateRk4(x0, taus, with_sensitivities, out, error);
  double* y = N_VGetArrayPointer(s.y);
  std::copy(x0, x0 + s.nx, y);
  s.last_error.clear();
  CVodeReInit(s.cvode, 0.0, s.y);
  if (with_sensitivities) {
    for (int k = 0; k < s.ns; ++k) {
      N_VConst(0.0, s.yS[k]);
      if (k < s.nx) N_VGetArrayPointer(s.yS[k])[k] = 1.0;
    }
    CVodeSensReInit(s.cvode, CV_SIMULTANEOUS, s.yS);
  } else {
    CVodeSensToggleOff(s.cvode);
  }
  CVodeSetStopTime(s.cvode, taus.empty() ? 1.0 : taus.back());
  out->resize(taus.size());
  for (size_t q = 0; q < taus.size(); ++q) {
    double tret = 0.0;
    const int flag = CVode(s.cvode, taus[q], s.y, &tret, CV_NORMAL);
    long nst = 0;
    CVodeGetNumSteps(s.cvode, &nst);
    if (flag < 0) {
      s.steps += nst;
      *error = "integration failed at t = " + model::FormatNumber(t0 + h * tret) + " (" +
               CVodeGetReturnFlagName(flag) + (s.last_error.empty() ? "" : ": " + s.last_error) + ")";
      return false;
    }
    if (q + 1 == taus.size()) s.steps += nst;
    ShootingPoint& pt = (*out)[q];
    pt.tau = taus[q];
    pt.x.assign(y, y + s.nx);
    if (with_sensitivities) {
      CVodeGetSens(s.cvode, &tret, s.yS);
      pt.sens.resize(static_cast<size_t>(s.nx) * s.ns);
      for (int k = 0; k < s.ns; ++k) {
        const double* sk = N_VGetArrayPointer(s.yS[k]);
        std::copy(sk, sk + s.nx, pt.sens.begin() + static_cast<size_t>(k) * s.nx);
      }
    } else {
      pt.sens.clear();
    }
  }
  return true;
}

bool ShootingIntegrator::IntegrateRk4(const double* x0, const std::vector<double>& taus,
                                      bool with_sensitivities, std::vector<ShootingPoint>* out,
                                      std::string* error) {
  Impl& s = *impl_;
  const size_t nsz = static_cast<size_t>(s.nx) * s.ns;
  std::copy(x0, x0 + s.nx, s.rk_y.begin());
  if (with_sensitivities) {
    std::fill(s.rk_s.begin(), s.rk_s.end(), 0.0);
    for (int k = 0; k < s.nx; ++k) s.rk_s[static_cast<size_t>(k) * s.nx + k] = 1.0;
  }
  out->resize(taus.size());
  double tau = 0.0;
  for (size_t q = 0; q < taus.size(); ++q) {
    // Steps in proportion to the segment's share of the interval (at least one).
    const double seg = taus[q] - tau;
    const int count = std::max(1, static_cast<int>(std::ceil(s.setup.rk4_steps * seg - 1e-9)));
    const double dtau = seg / count;
    for (int i = 0; i < count; ++i) {
      const double at = tau + i * dtau;
      if (!s.Rk4Step(at, dtau, with_sensitivities)) {
        s.steps += i;
        *error = "integration failed at t = " + model::FormatNumber(s.t0 + s.h * at) +
                 " (rk4: the rates are not finite; the step of " + model::FormatNumber(s.h * dtau) +
                 " is probably too long for this model: raise the steps per interval or use bdf)";
        return false;
      }
    }
    s.steps += count;
    tau = taus[q];
    ShootingPoint& pt = (*out)[q];
    pt.tau = taus[q];
    pt.x.assign(s.rk_y.begin(), s.rk_y.end());
    if (with_sensitivities) {
      pt.sens.assign(s.rk_s.begin(), s.rk_s.begin() + nsz);
    } else {
      pt.sens.clear();
    }
  }
  return true;
}

}  // namespace biotwin::sim
