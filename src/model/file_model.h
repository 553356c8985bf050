// A model compiled from a file: four AD tapes (balances, outputs, event roots, event action
// values) over one variable vector [x, u, p, t, phase].
#ifndef BIOTWIN_MODEL_FILE_MODEL_H_
#define BIOTWIN_MODEL_FILE_MODEL_H_

#include <memory>
#include <vector>

#include "model/compiled_tapes.h"
#include "model/model.h"
#include "model/tape.h"

namespace biotwin::model {

class FileModel : public Model {
 public:
  struct Tapes {
    Tape rhs, outputs, roots, actions;
  };
  FileModel(ModelInfo info, Tapes tapes);

  const ModelInfo& info() const override { return info_; }
  std::unique_ptr<ModelWorkspace> NewWorkspace() const override;
  void Rhs(const EvalPoint& at, double* xdot, ModelWorkspace& ws) const override;
  void Jacobians(const EvalPoint& at, double* jx, double* jp, ModelWorkspace& ws) const override;
  void Outputs(const EvalPoint& at, double* y, ModelWorkspace& ws) const override;
  bool RhsAndJacobian(const EvalPoint& at, double* xdot, double* jx, double* jt, ModelWorkspace& ws) const override;
  bool RhsDependsOnTime() const override { return rhs_uses_time_; }
  std::vector<std::pair<int, int>> JacobianPattern() const override;
  int num_roots() const override { return tapes_.roots.num_outputs(); }
  void Roots(const EvalPoint& at, double* g, ModelWorkspace& ws) const override;
  bool RootGradients(const EvalPoint& at, double* gx, double* gp, double* gt,
                     ModelWorkspace& ws) const override;
  bool InputJacobian(const EvalPoint& at, double* ju, ModelWorkspace& ws) const override;
  bool ActionGradient(const EvalPoint& at, int index, double* dx, double* dp,
                      ModelWorkspace& ws) const override;
  int num_action_values() const override { return tapes_.actions.num_outputs(); }
  void ActionValues(const EvalPoint& at, double* values, ModelWorkspace& ws) const override;

  const Tapes& tapes() const { return tapes_; }
  // Whether the balances (and outputs) run as built-in compiled code (compiled_tapes.h) rather
  // than through the tape interpreter; the numbers are the same either way.
  bool compiled_rhs() const { return rhs_fn_ != nullptr; }
  bool compiled_outputs() const { return outputs_fn_ != nullptr; }
  bool compiled_jacobian() const { return jacobian_fn_ != nullptr; }
  // Variable vector layout.
  int input_offset() const { return num_states(); }
  int parameter_offset() const { return num_states() + num_inputs(); }
  int time_index() const { return parameter_offset() + num_parameters(); }
  int phase_index() const { return time_index() + 1; }
  int num_vars() const { return phase_index() + 1; }

 private:
  void Pack(const EvalPoint& at, double* vars) const;
  void BalanceDerivatives(const EvalPoint& at, double* jx, double* jp, double* f, double* jt,
                          ModelWorkspace& ws) const;
  ModelInfo info_;
  Tapes tapes_;
  CompiledTapeFn rhs_fn_ = nullptr, outputs_fn_ = nullptr;
  CompiledJacobianFn jacobian_fn_ = nullptr;
  // Per balance, the nodes of its cone that depend on a state or the time (TapeGradientOver): the
  // interpreted Jacobian's sweeps when the parameter Jacobian is not asked for.
  std::vector<std::vector<int>> state_cones_;
  bool rhs_uses_time_ = true;
};

}  // namespace biotwin::model

#endif  // BIOTWIN_MODEL_FILE_MODEL_H_
