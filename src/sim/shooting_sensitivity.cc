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

  // d f / d t at `at` (n entries) into ft; exact through the tape for file models.
  void TimeDerivative(const model::EvalPoint& at) {
    if (!time_dependent) {
      std::fill(ft.begin(), ft.end(), 0.0);
      return;
    }
    if (file_model) {
      double* v = tape_vars.data();
      std::copy(at.x, at.x + n, v);
      std::copy(at.u, at.u + m, v + file_model->input_offset());
      std::copy(at.p, at.p + setup.parameters.size(), v + file_model->parameter_offset());
      v[file_model->time_index()] = at.t;
      v[file_model->phase_index()] = at.phase;
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
    const double* x = N_VGetArrayPointer(yv);
    double* d = N_VGetArrayPointer(ydot);
    s->InputsAt(tau);
    const model::EvalPoint at = s->Point(tau, x);
    s->model->Rhs(at, d, *s->ws);
    for (int i = 0; i < s->n; ++i) d[i] *= s->h;
    if (s->ne > 0) {
      s->ext->Eval(at.t, x, s->u.data(), at.p, d + s->n, nullptr, nullptr, nullptr);
      for (int i = 0; i < s->ne; ++i) d[s->n + i] *= s->h;
    }
    for (int i = 0; i < s->nx; ++i) {
      if (!std::isfinite(d[i])) return 1;  // recoverable: CVODES retries with a smaller step
    }
    return 0;
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

  static int SensFn(int ns, double tau, N_Vector yv, N_Vector, N_Vector* ySv, N_Vector* ySdot,
                    void* data, N_Vector, N_Vector) {
    auto* s = static_cast<Impl*>(data);
    const int n = s->n, ne = s->ne, nx = s->nx;
    const double* x = N_VGetArrayPointer(yv);
    s->InputsAt(tau);
    const model::EvalPoint at = s->Point(tau, x);
    s->model->Jacobians(at, s->jx.data(), nullptr, *s->ws);
    if (s->m > 0 && s->nd > 0) s->model->InputJacobian(at, s->ju.data(), *s->ws);
    const bool need_f = s->col_length >= 0;
    const bool need_t = s->time_dependent && (s->col_length >= 0 || s->col_start >= 0);
    if (need_f) s->model->Rhs(at, s->f.data(), *s->ws);
    if (need_t) s->TimeDerivative(at);
    if (ne > 0) {
      s->ext->Eval(at.t, x, s->u.data(), at.p, s->r.data(), s->drdx.data(), s->drdu.data(),
                   s->rt.data());
    }
    const double h = s->h;
    for (int k = 0; k < ns; ++k) {
      const double* sk = N_VGetArrayPointer(ySv[k]);
      double* dk = N_VGetArrayPointer(ySdot[k]);
      // h * J * s_k (extension columns of J are zero).
      for (int i = 0; i < n; ++i) {
        double acc = 0.0;
        for (int j = 0; j < n; ++j) acc += s->jx[i + j * n] * sk[j];
        dk[i] = h * acc;
      }
      for (int i = 0; i < ne; ++i) {
        double acc = 0.0;
        for (int j = 0; j < n; ++j) acc += s->drdx[i + j * ne] * sk[j];
        dk[n + i] = h * acc;
      }
      if (k < nx) continue;  // initial-state directions have no forcing term
      const int d = k - nx;
      if (d < s->nd) {
        const InputDirection& dir = s->setup.input_directions[d];
        const double w = dir.kind == InputDirection::Kind::kConstant ? 1.0
                         : dir.kind == InputDirection::Kind::kStart  ? 1.0 - tau
                                                                     : tau;
        const int l = dir.input;
        for (int i = 0; i < n; ++i) dk[i] += h * w * s->ju[i + l * n];
        for (int i = 0; i < ne; ++i) dk[n + i] += h * w * s->drdu[i + l * ne];
      } else if (k == s->col_length) {
        for (int i = 0; i < n; ++i) dk[i] += s->f[i] + (need_t ? h * tau * s->ft[i] : 0.0);
        for (int i = 0; i < ne; ++i) dk[n + i] += s->r[i] + h * tau * s->rt[i];
      } else if (k == s->col_start) {
        for (int i = 0; i < n; ++i) dk[i] += need_t ? h * s->ft[i] : 0.0;
        for (int i = 0; i < ne; ++i) dk[n + i] += h * s->rt[i];
      }
    }
    return 0;
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
  if (SUNContext_Create(nullptr, &s.ctx) != 0) throw std::runtime_error("cannot create SUNDIALS context");
  s.y = N_VNew_Serial(s.nx, s.ctx);
  N_VConst(0.0, s.y);
  s.abstol = N_VNew_Serial(s.nx, s.ctx);
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
  double* y = N_VGetArrayPointer(s.y);
  for (int i = 0; i < s.nx; ++i) {
    if (!std::isfinite(x0[i])) {
      *error = "initial state of the interval is not finite";
      return false;
    }
    y[i] = x0[i];
  }
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

}  // namespace biotwin::sim
