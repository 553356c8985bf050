// Dynamic optimisation: Options -> Solve -> Solution. Direct multiple shooting (shooting_nlp.h)
// solved by IPOPT (ipopt_adapter.h), optionally on a sequence of refined meshes (N, 2N, ...), each
// initialised from the previous solution, and optionally warm-started from an earlier solution.
#ifndef BIOTWIN_CONTROL_DYNOPT_SOLVER_H_
#define BIOTWIN_CONTROL_DYNOPT_SOLVER_H_

#include <functional>
#include <string>
#include <vector>

#include "control/ipopt_adapter.h"
#include "control/ocp_problem.h"
#include "control/shooting_nlp.h"

namespace biotwin::control {

// A control profile on its own grid (from a previous solution): grid times, and per control its
// shape and values (one per interval or per grid point).
struct ControlProfile {
  std::vector<double> grid;  // t_0..t_N (model time unit)
  std::vector<std::string> names;
  std::vector<ControlShape> shapes;
  std::vector<std::vector<double>> values;
  double Evaluate(int control, double t) const;  // value at time t (held outside the grid)
};

struct DynoptOptions {
  int intervals = 0;         // 0: the problem's
  int mesh_refinements = -1; // -1: the problem's
  std::string warm_start;    // OPT.json to start from ("" : the problem's warm_start, if any)
  int print_level = -1;      // -1: the problem's
  std::function<void(const std::string&)> log;  // progress lines (may be empty)
};

struct DynoptStage {
  int intervals = 0;
  NlpStatus status = NlpStatus::kFailed;
  std::string ipopt_status;
  int iterations = 0;
  double objective = 0.0;
  double tf = 0.0;
  double seconds = 0.0;
};

struct DynoptSolution {
  NlpStatus status = NlpStatus::kFailed;
  std::string ipopt_status, explanation;
  int iterations = 0;                 // summed over the stages
  double objective = 0.0;             // in the problem's sense (the maximised value if maximising)
  std::string objective_unit;
  double constraint_violation = 0.0;  // IPOPT's unscaled max violation at the final point
  double continuity_defect = 0.0;     // max relative mismatch between shooting intervals
  double wall_seconds = 0.0;
  long integrator_steps = 0;
  int intervals = 0;
  double tf = 0.0;
  bool tf_free = false;
  std::vector<double> grid;                   // t_0..t_N
  ControlProfile controls;                    // on `grid`
  std::vector<std::vector<double>> states;    // [k][state] at the grid points
  std::vector<Violation> violations;          // listed when not solved
  std::vector<DynoptStage> stages;
  std::string warm_start_from;
  std::vector<std::string> warnings;          // e.g. the model's validity domain left (set by the caller)
};

// Checks what can be checked before solving: path constraints that no control can influence
// must hold at the initial state. Throws model::ModelError naming file:line: field.
void PrecheckProblem(const OcpProblem& problem);

// Solves `problem`. Never throws for solver failures (status says what happened); throws
// model::ModelError for problems in the problem file or the warm-start file.
DynoptSolution SolveOcp(const OcpProblem& problem, const DynoptOptions& options = {});

// Reads the control profile of a previous OPT.json for `problem`'s controls; throws
// model::ModelError naming the file and field.
ControlProfile ReadWarmStart(const std::string& path, const OcpProblem& problem, double* tf);

// Writes OPT.json (atomic). Returns false with *error on I/O failure.
bool WriteSolutionJson(const std::string& path, const OcpProblem& problem, const DynoptSolution& s,
                       std::string* error);

}  // namespace biotwin::control

#endif  // BIOTWIN_CONTROL_DYNOPT_SOLVER_H_
