#include "model/file_model.h"

#include <algorithm>
#include <utility>

#include "model/codegen.h"

namespace biotwin::model {
namespace {

struct FileModelWorkspace : ModelWorkspace {
  TapeWorkspace rhs, outputs, roots, actions;
  std::vector<double> vars, grad;
};

}  // namespace

FileModel::FileModel(ModelInfo info, Tapes tapes) : info_(std::move(info)), tapes_(std::move(tapes)) {
  for (Tape* t : {&tapes_.rhs, &tapes_.outputs, &tapes_.roots, &tapes_.actions}) {
    t->set_num_vars(num_vars());
    t->Finalize();
  }
  rhs_uses_time_ = false;
  for (int i = 0; i < tapes_.rhs.num_outputs(); ++i) {
    const auto& vars = tapes_.rhs.OutputVars(i);
    if (std::binary_search(vars.begin(), vars.end(), time_index())) rhs_uses_time_ = true;
  }
  std::vector<char> varying(num_vars(), 0);
  std::fill(varying.begin(), varying.begin() + num_states(), 1);
  varying[time_index()] = 1;
  const std::vector<char> state_dependent = NodesDependingOn(tapes_.rhs, varying);
  state_cones_.resize(tapes_.rhs.num_outputs());
  for (int i = 0; i < tapes_.rhs.num_outputs(); ++i) {
    for (int node : tapes_.rhs.OutputNodes(i)) {
      if (state_dependent[node]) state_cones_[i].push_back(node);
    }
  }
  if (tapes_.rhs.num_outputs() > 0) {
    const std::string fingerprint = TapeFingerprint(tapes_.rhs);
    rhs_fn_ = FindCompiledTape(fingerprint);
    jacobian_fn_ = FindCompiledJacobian(JacobianKey(fingerprint, num_states(), parameter_offset(), num_parameters()));
  }
  if (tapes_.outputs.num_outputs() > 0) outputs_fn_ = FindCompiledTape(TapeFingerprint(tapes_.outputs));
}

// From the balances' dependency cones: balance i depends on state j only if j is in its cone.
std::vector<std::pair<int, int>> FileModel::JacobianPattern() const {
  std::vector<std::pair<int, int>> pattern;
  for (int i = 0; i < tapes_.rhs.num_outputs(); ++i) {
    for (int v : tapes_.rhs.OutputVars(i)) {
      if (v < num_states()) pattern.emplace_back(i, v);
    }
  }
  return pattern;
}

std::unique_ptr<ModelWorkspace> FileModel::NewWorkspace() const {
  auto ws = std::make_unique<FileModelWorkspace>();
  ws->rhs.Resize(tapes_.rhs);
  ws->outputs.Resize(tapes_.outputs);
  ws->roots.Resize(tapes_.roots);
  ws->actions.Resize(tapes_.actions);
  ws->vars.assign(num_vars(), 0.0);
  ws->grad.assign(num_vars(), 0.0);
  return ws;
}

void FileModel::Pack(const EvalPoint& at, double* vars) const {
  const int n = num_states(), m = num_inputs(), np = num_parameters();
  std::copy(at.x, at.x + n, vars);
  if (m > 0) std::copy(at.u, at.u + m, vars + n);
  if (np > 0) std::copy(at.p, at.p + np, vars + n + m);
  vars[time_index()] = at.t;
  vars[phase_index()] = at.phase;
}

void FileModel::Rhs(const EvalPoint& at, double* xdot, ModelWorkspace& base) const {
  auto& ws = static_cast<FileModelWorkspace&>(base);
  Pack(at, ws.vars.data());
  if (rhs_fn_ != nullptr) {
    rhs_fn_(ws.vars.data(), xdot);
    return;
  }
  TapeForwardValues(tapes_.rhs, ws.vars.data(), ws.rhs);
  for (int i = 0; i < num_states(); ++i) xdot[i] = TapeOutput(tapes_.rhs, ws.rhs, i);
}

// The balances' derivatives with the compiled code's contract: jx (needed by the compiled code),
// jp, f and jt each filled when not null.
void FileModel::BalanceDerivatives(const EvalPoint& at, double* jx, double* jp, double* f, double* jt,
                                   ModelWorkspace& base) const {
  auto& ws = static_cast<FileModelWorkspace&>(base);
  const int n = num_states(), np = num_parameters(), po = parameter_offset();
  Pack(at, ws.vars.data());
  if (jacobian_fn_ != nullptr && jx != nullptr) {
    jacobian_fn_(ws.vars.data(), jx, jp, f, jt);
    return;
  }
  TapeForward(tapes_.rhs, ws.vars.data(), ws.rhs);
  double* grad = ws.grad.data();
  for (int i = 0; i < n; ++i) {
    if (f != nullptr) f[i] = TapeOutput(tapes_.rhs, ws.rhs, i);
    if (jp != nullptr) {
      TapeGradient(tapes_.rhs, ws.rhs, i, grad);
    } else {  // only the states' and time's entries are read: sweep only what reaches them
      std::fill(grad, grad + n, 0.0);
      grad[time_index()] = 0.0;
      TapeGradientOver(tapes_.rhs, ws.rhs, i, state_cones_[i], grad);
    }
    if (jx != nullptr) {
      for (int j = 0; j < n; ++j) jx[i + j * n] = ws.grad[j];
    }
    if (jp != nullptr) {
      for (int k = 0; k < np; ++k) jp[i + k * n] = ws.grad[po + k];
    }
    if (jt != nullptr) jt[i] = ws.grad[time_index()];
  }
}

void FileModel::Jacobians(const EvalPoint& at, double* jx, double* jp, ModelWorkspace& ws) const {
  BalanceDerivatives(at, jx, jp, nullptr, nullptr, ws);
}

bool FileModel::RhsAndJacobian(const EvalPoint& at, double* xdot, double* jx, double* jt,
                               ModelWorkspace& ws) const {
  BalanceDerivatives(at, jx, nullptr, xdot, jt, ws);
  return true;
}

void FileModel::Outputs(const EvalPoint& at, double* y, ModelWorkspace& base) const {
  auto& ws = static_cast<FileModelWorkspace&>(base);
  Pack(at, ws.vars.data());
  if (outputs_fn_ != nullptr) {
    outputs_fn_(ws.vars.data(), y);
    return;
  }
  TapeForwardValues(tapes_.outputs, ws.vars.data(), ws.outputs);
  for (int i = 0; i < tapes_.outputs.num_outputs(); ++i) {
    y[i] = TapeOutput(tapes_.outputs, ws.outputs, i);
  }
}

void FileModel::Roots(const EvalPoint& at, double* g, ModelWorkspace& base) const {
  auto& ws = static_cast<FileModelWorkspace&>(base);
  Pack(at, ws.vars.data());
  TapeForwardValues(tapes_.roots, ws.vars.data(), ws.roots);
  for (int i = 0; i < tapes_.roots.num_outputs(); ++i) g[i] = TapeOutput(tapes_.roots, ws.roots, i);
}

bool FileModel::RootGradients(const EvalPoint& at, double* gx, double* gp, double* gt,
                              ModelWorkspace& base) const {
  auto& ws = static_cast<FileModelWorkspace&>(base);
  const int nr = tapes_.roots.num_outputs(), n = num_states(), np = num_parameters();
  const int po = parameter_offset();
  Pack(at, ws.vars.data());
  TapeForward(tapes_.roots, ws.vars.data(), ws.roots);
  for (int r = 0; r < nr; ++r) {
    TapeGradient(tapes_.roots, ws.roots, r, ws.grad.data());
    for (int j = 0; j < n; ++j) gx[r + j * nr] = ws.grad[j];
    for (int k = 0; k < np; ++k) gp[r + k * nr] = ws.grad[po + k];
    gt[r] = ws.grad[time_index()];
  }
  return true;
}

bool FileModel::InputJacobian(const EvalPoint& at, double* ju, ModelWorkspace& base) const {
  auto& ws = static_cast<FileModelWorkspace&>(base);
  const int n = num_states(), m = num_inputs(), uo = input_offset();
  Pack(at, ws.vars.data());
  TapeForward(tapes_.rhs, ws.vars.data(), ws.rhs);
  for (int i = 0; i < n; ++i) {
    TapeGradient(tapes_.rhs, ws.rhs, i, ws.grad.data());
    for (int l = 0; l < m; ++l) ju[i + l * n] = ws.grad[uo + l];
  }
  return true;
}

bool FileModel::ActionGradient(const EvalPoint& at, int index, double* dx, double* dp,
                               ModelWorkspace& base) const {
  auto& ws = static_cast<FileModelWorkspace&>(base);
  Pack(at, ws.vars.data());
  TapeForward(tapes_.actions, ws.vars.data(), ws.actions);
  TapeGradient(tapes_.actions, ws.actions, index, ws.grad.data());
  for (int j = 0; j < num_states(); ++j) dx[j] = ws.grad[j];
  for (int k = 0; k < num_parameters(); ++k) dp[k] = ws.grad[parameter_offset() + k];
  return true;
}

void FileModel::ActionValues(const EvalPoint& at, double* values, ModelWorkspace& base) const {
  auto& ws = static_cast<FileModelWorkspace&>(base);
  Pack(at, ws.vars.data());
  TapeForwardValues(tapes_.actions, ws.vars.data(), ws.actions);
  for (int i = 0; i < tapes_.actions.num_outputs(); ++i) {
    values[i] = TapeOutput(tapes_.actions, ws.actions, i);
  }
}

}  // namespace biotwin::model
