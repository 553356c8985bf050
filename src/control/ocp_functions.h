// The compiled functions of an optimal-control problem: objective terms and constraints as AD
// tapes over (states, model outputs, inputs, parameters, t), with exact gradients w.r.t. states,
// inputs and time (model outputs are chained through the model's output tape).
#ifndef BIOTWIN_CONTROL_OCP_FUNCTIONS_H_
#define BIOTWIN_CONTROL_OCP_FUNCTIONS_H_

#include <memory>
#include <string>
#include <vector>

#include "control/ocp_problem.h"
#include "model/tape.h"
#include "sim/shooting_sensitivity.h"

namespace biotwin::control {

// One scalar constraint row: lower <= value <= upper, in `unit`.
struct ConstraintRow {
  std::string text, field, unit;
  int line = 0;
  double lower = -model::kInf, upper = model::kInf;
  bool uses_inputs = false, uses_time = false;
};

class OcpFunctions {
 public:
  enum Group { kMayer = 0, kLagrange = 1, kPath = 2, kTerminal = 3, kResiduals = 4 };

  // Compiles every expression of `problem` for its model with parameter values `p`. Throws
  // model::ModelError (file:line: field) for unknown symbols and unit mismatches.
  OcpFunctions(const OcpProblem& problem, std::vector<double> p);
  ~OcpFunctions();

  int n() const { return n_; }
  int m() const { return m_; }
  int size(Group g) const;
  const std::vector<ConstraintRow>& rows(Group g) const { return groups_[g].rows; }
  bool has(Group g) const { return size(g) > 0; }
  const std::string& objective_unit() const { return objective_unit_; }

  // Values of group `g` at (t, x, u) into `values`; when `dx` is non-null also the gradients:
  // dx (size x n, row-major: dx[r*n + i]), du (size x m, row-major), dt (size).
  void Eval(Group g, double t, const double* x, const double* u, double* values, double* dx,
            double* du, double* dt);

  // The running cost as a quadrature state for the shooting integrator (null if none).
  std::shared_ptr<sim::StateExtension> LagrangeExtension();

 private:
  struct GroupData {
    model::Tape tape;
    model::TapeWorkspace ws;
    std::vector<ConstraintRow> rows;
    bool uses_outputs = false;
  };
  void Compile(const OcpProblem& problem);
  void CompileConstraint(const OcpProblem& problem, const OcpConstraint& c, GroupData& g);

  std::shared_ptr<const model::Model> model_;
  int n_ = 0, m_ = 0, np_ = 0, ny_ = 0;
  std::vector<double> p_;
  GroupData groups_[5];
  std::string objective_unit_;
  // Variable vector [x, y, u, p, t] and gradient scratch.
  std::vector<double> vars_, grad_, y_, dy_;  // dy_: ny x (n + m + 1), row-major
  model::TapeWorkspace out_ws_;
  std::vector<double> out_vars_, out_grad_;
};

}  // namespace biotwin::control

#endif  // BIOTWIN_CONTROL_OCP_FUNCTIONS_H_
