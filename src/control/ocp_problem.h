// Optimal-control problem files (`biotwin optimize PROBLEM.yaml`): which model, which inputs are
// controls and how they are parametrised, bounds, path and terminal constraints, fixed or free
// final time, Mayer and Lagrange objective terms, initial-state and parameter overrides, and solver
// options. Format documented in docs/optimize.md. Errors name file:line: field.
#ifndef BIOTWIN_CONTROL_OCP_PROBLEM_H_
#define BIOTWIN_CONTROL_OCP_PROBLEM_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/expr_ast.h"
#include "model/model.h"
#include "model/yaml_util.h"
#include "sim/shooting_sensitivity.h"

namespace biotwin::control {

enum class ControlShape { kPiecewiseConstant, kPiecewiseLinear };

struct OcpControl {
  std::string name;
  int input = -1;                 // model input index
  ControlShape shape = ControlShape::kPiecewiseConstant;
  double lower = 0.0, upper = 0.0;  // input unit
  double initial = 0.0;           // initial guess (input unit)
  int line = 0;
};

// `body` compared with bounds: lower <= body <= upper (in the body's unit; +-inf when open).
struct OcpConstraint {
  std::string text, field;
  int line = 0;
  std::shared_ptr<const model::ExprNode> body, lower_expr, upper_expr;  // bounds may be null
  std::string body_text;
};

struct OcpObjective {
  bool maximize = false;
  std::shared_ptr<const model::ExprNode> mayer;     // at the final time (null: none)
  std::shared_ptr<const model::ExprNode> lagrange;  // integrand over the horizon (null: none)
  std::string mayer_text, lagrange_text;
  // Least squares (`minimize: {least_squares: [r1, r2, ...]}`): dimensionless residuals r_i(t, x,
  // u) evaluated at the grid points; objective = sum_k c_k * sum_i r_i(t_k)^2 with trapezoidal
  // weights c_k (time unit), i.e. the integral of the squared residuals on the control grid.
  // Stands alone (no final or running term): it is what the Gauss-Newton Hessian needs.
  std::vector<std::shared_ptr<const model::ExprNode>> residuals;
  std::vector<std::string> residual_texts;
  int line = 0;
};

// How the solver obtains the Hessian of the Lagrangian.
enum class HessianMethod {
  kExact,          // finite differences of the exact first derivatives (re-integrates intervals)
  kLimitedMemory,  // IPOPT's quasi-Newton (SR1) approximation
  kGaussNewton,    // J^T J of the least-squares residuals plus `regularization` on the controls;
                   // no integrations (constraint curvature ignored)
};

struct OcpSolverOptions {
  double tolerance = 1e-8;         // IPOPT tol
  int max_iterations = 1000;
  double max_seconds = 0.0;        // wall-clock limit per solve (0: none)
  double rtol = 1e-8;              // integrator relative tolerance
  double atol = 1e-10;             // integrator absolute tolerance (scaled by max(1, |x0|))
  int mesh_refinements = 0;        // solve with N, then 2N, ... (each from the previous solution)
  int check_points = 0;            // extra path-constraint checks inside each interval
  int print_level = 0;             // IPOPT print level
  HessianMethod hessian = HessianMethod::kExact;  // solver.hessian
  bool sens_error_control = true;   // solver.sensitivity_error_control
  double regularization = 0.0;     // Gauss-Newton: added to the diagonal for every control value
  long max_steps = 50000;          // integrator steps per shooting interval; more fails the evaluation
  // solver.integrator: bdf (CVODES, error control: rtol/atol) or rk4 (fixed steps, no error
  // control: steps_per_interval RK4 steps per shooting interval; non-stiff internal models).
  sim::ShootingMethod integrator = sim::ShootingMethod::kBdf;
  int steps_per_interval = 10;     // solver.steps_per_interval (rk4)
};

struct OcpProblem {
  std::string file, name, description, text;
  std::string model_file;
  std::shared_ptr<const model::Model> model;
  double t0 = 0.0;
  double tf = 0.0;                 // fixed final time, or initial guess when free
  bool tf_free = false;
  double tf_min = 0.0, tf_max = model::kInf;
  int intervals = 20;
  // Move blocking: how many consecutive intervals share one value of every piecewise-constant
  // control (sums to `intervals`; empty: one value per interval).
  std::vector<int> move_blocks;
  std::vector<OcpControl> controls;
  std::map<int, double> fixed_inputs;   // other inputs held constant (input unit)
  std::map<int, double> initial_state;  // overrides (state unit)
  std::map<int, double> parameters;     // overrides (parameter unit)
  OcpObjective objective;
  std::vector<OcpConstraint> path, terminal;
  OcpSolverOptions solver;
  std::string warm_start;          // path of a previous OPT.json (resolved), "" if none
  int line_intervals = 0, line_time = 0;
};

// Reads and checks a problem file (model loaded relative to the file). Throws model::ModelError
// naming file, line and field for every structural error (unknown controls, inconsistent
// bounds, malformed expressions, ...). Symbol and unit errors in expressions are raised when the
// functions are compiled (OcpFunctions), also as ModelError.
OcpProblem LoadOcpProblem(const std::string& path);
// The problem in a YAML map already parsed by `reader` (lines refer to its file; the caller
// checks the keys). When `model` is given and the map has no `model:` key, that model is used.
OcpProblem ReadOcpProblem(const model::YamlReader& reader, const YAML::Node& root, const std::string& base_dir,
                          std::shared_ptr<const model::Model> model);
OcpProblem LoadOcpProblemText(const std::string& text, const std::string& file_name,
                              const std::string& base_dir);

}  // namespace biotwin::control

#endif  // BIOTWIN_CONTROL_OCP_PROBLEM_H_
