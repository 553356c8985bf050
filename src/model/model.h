// biotwin model layer: the public interface every model implements (file models compiled from
// YAML and hand-written C++ models alike), and the metadata the simulator, estimators and
// controllers need. See docs/model-format.md for the file format.
#ifndef BIOTWIN_MODEL_MODEL_H_
#define BIOTWIN_MODEL_MODEL_H_

#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "model/units.h"

namespace biotwin::model {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline constexpr double kInf = std::numeric_limits<double>::infinity();

struct Provenance {
  std::string name, version, author, source, doi, description, license;
};

struct StateInfo {
  std::string name, description;
  Unit unit;
  double initial = 0.0;       // in `unit`
  bool diluted = true;        // a liquid-phase concentration: feeds/evaporation dilute it
  bool non_negative = false;  // physical lower bound 0 (reported when violated)
  double abs_tol = kNaN;      // absolute integration tolerance in `unit` (NaN: solver default)
  int line = 0;
};

struct ParameterInfo {
  std::string name, description, source;
  Unit unit;
  double value = 0.0;
  double lower = -kInf, upper = kInf;  // bounds for estimation, in `unit`
  double uncertainty = kNaN;           // one standard deviation, in `unit` (NaN: unknown)
  int line = 0;
};

struct InputInfo {
  std::string name, description;
  Unit unit;
  double default_value = 0.0;
  double lower = -kInf, upper = kInf;  // actuator limits; values outside are clipped and logged
  int line = 0;
};

struct OutputInfo {
  std::string name, description;
  Unit unit;
  int line = 0;
};

// One discrete action of an event. Values are evaluated when the event fires (they may depend on
// parameters, states and time) and are in the units of their targets.
struct EventAction {
  enum class Kind { kBolus, kWithdraw, kSetInput, kSetParameter, kSetState, kPhase };
  Kind kind = Kind::kBolus;
  int target = -1;         // input/parameter/state index, or phase number for kPhase
  std::string target_name; // for logs
  int value_expr = -1;     // index into the model's action expressions (volume for bolus/withdraw)
  std::vector<std::pair<int, int>> composition;  // bolus: (state index, action expression index)
  bool withdraw_to_volume = false;  // kWithdraw: value is the volume left, not the volume removed
};

struct EventInfo {
  std::string name, description;
  // Time trigger (model time unit): fires at `at`, then every `every` until `until` (inclusive).
  bool timed = true;
  double at = kNaN, every = kNaN, until = kNaN;
  // State trigger: fires when root function `root` crosses zero in `direction` (-1 falling,
  // +1 rising, 0 either). Fires once unless `repeat`.
  int root = -1;
  int direction = 0;
  bool repeat = false;
  std::string condition_text;
  std::vector<EventAction> actions;
  int line = 0;
};

// A discrete rule of a sampled plant, applied after every control interval by
// sim::ApplySampleRules (docs/model-format.md, "Sample rules"), in file order.
struct SampleRule {
  enum class Kind {
    kClamp,        // states[i] <= (or <) threshold[i]  ->  states[i] := value[i]
    kReset,        // states[i] := value[i]
    kWhenFalling,  // signal fell in >= at_least of the last of_last changes -> actions
    kWhenRising,   // signal rose in >= at_least of the last of_last changes -> actions
  };
  std::string name, description;
  Kind kind = Kind::kClamp;
  std::vector<int> states;        // clamp / reset targets
  std::vector<double> threshold;  // clamp: per target, in the state's unit
  std::vector<double> value;      // clamp / reset: per target, in the state's unit
  bool inclusive = true;          // clamp: at_or_below (true) or below (false)
  int signal = -1;                // when_*: state index whose sampled values are tracked
  int at_least = 0, of_last = 0;  // when_*: counts of sample-to-sample changes
  // when_*: kSetParameter / kSetState actions whose value_expr indexes the model's action
  // expressions (evaluated at the sample; they may use states, parameters and t, not inputs).
  std::vector<EventAction> actions;
  int line = 0;
};

// Where a fitted model has been seen to work (the `validity:` section written by
// `biotwin fit --write-model`): per state or input the [lower, upper] range (in the variable's
// unit) covered by the fitted batches. Empty when the model file has no `validity:` section.
struct ValidityBound {
  std::string name;
  bool is_input = false;  // false: a state
  int index = -1;         // state or input index
  double lower = 0.0, upper = 0.0;
  int line = 0;
};

struct ValidityDomain {
  std::string fit;      // what produced it: "fit <sha256 of FIT.json>" (for messages)
  std::string dossier;  // SHA-256 of the FIT.json / dossier it came from ("" if not given)
  std::string created;  // ISO 8601 UTC time of the fit ("" if not given)
  std::vector<ValidityBound> bounds;
  bool empty() const { return bounds.empty(); }
};

struct ModelInfo {
  Provenance provenance;
  std::string file;                 // source file ("" for C++ models)
  std::string content_hash;         // SHA-256-like digest of the source text (hex), "" if none
  Unit time_unit;                   // the model's time unit (h by default)
  std::vector<StateInfo> states;
  std::vector<ParameterInfo> parameters;
  std::vector<InputInfo> inputs;
  std::vector<OutputInfo> outputs;
  std::vector<EventInfo> events;
  std::vector<SampleRule> sample_rules;  // discrete rules of a sampled plant (may be empty)
  std::vector<std::string> phases;  // phase names; phase symbol value = index
  int volume_state = -1;            // index of the liquid volume state, -1 if none
  double volume_max = kInf;         // overflow limit (state unit)
  double volume_min = 0.0;          // emptying limit (state unit)
  // Human-readable balance of every state ("dX/dt = mu*X - D*X"), for `biotwin check`.
  std::vector<std::string> balance_text;
  ValidityDomain validity;          // from the `validity:` section (empty: no domain declared)

  int StateIndex(const std::string& name) const;      // -1 if absent
  int ParameterIndex(const std::string& name) const;  // -1 if absent
  int InputIndex(const std::string& name) const;      // -1 if absent
  int OutputIndex(const std::string& name) const;     // -1 if absent
  std::vector<double> InitialState() const;
  std::vector<double> ParameterValues() const;
  std::vector<double> DefaultInputs() const;
};

// Evaluation memory for one run of one model (one per thread); obtained from Model::NewWorkspace.
class ModelWorkspace {
 public:
  virtual ~ModelWorkspace() = default;
};

// The arguments of every evaluation: time, states, inputs, parameters and the current phase.
struct EvalPoint {
  double t = 0.0;
  const double* x = nullptr;
  const double* u = nullptr;
  const double* p = nullptr;
  int phase = 0;
};

// An immutable model: safe to share between threads; all mutable memory is in the workspace.
class Model {
 public:
  virtual ~Model() = default;

  virtual const ModelInfo& info() const = 0;
  virtual std::unique_ptr<ModelWorkspace> NewWorkspace() const = 0;

  int num_states() const { return static_cast<int>(info().states.size()); }
  int num_parameters() const { return static_cast<int>(info().parameters.size()); }
  int num_inputs() const { return static_cast<int>(info().inputs.size()); }
  int num_outputs() const { return static_cast<int>(info().outputs.size()); }

  // dx/dt in state units per model time unit.
  virtual void Rhs(const EvalPoint& at, double* xdot, ModelWorkspace& ws) const = 0;
  // Exact Jacobians: jx = d(xdot)/dx (n x n), jp = d(xdot)/dp (n x np), both column-major
  // (entry (i, j) at [i + j * n]). Either pointer may be null.
  virtual void Jacobians(const EvalPoint& at, double* jx, double* jp, ModelWorkspace& ws) const = 0;
  // Structural non-zeros (row i, column j) of d(xdot)/dx: entries outside are zero at every
  // point. Empty when unknown (treat the Jacobian as dense).
  virtual std::vector<std::pair<int, int>> JacobianPattern() const { return {}; }
  // Whether the balances depend on the time argument itself (not only through the states,
  // inputs and parameters). Integrators that need df/dt skip it when false; the default is the
  // safe answer.
  virtual bool RhsDependsOnTime() const { return true; }
  // The balances, jx = d(xdot)/dx and, when `jt` is not null, d(xdot)/dt at one point: one
  // evaluation where the model can share the work (integrators need all three at a step's start).
  // Returns false when it did not fill jt (the caller differences); the default evaluates Rhs
  // and Jacobians separately.
  virtual bool RhsAndJacobian(const EvalPoint& at, double* xdot, double* jx, double* jt, ModelWorkspace& ws) const {
    Rhs(at, xdot, ws);
    Jacobians(at, jx, nullptr, ws);
    return false;
  }
  // Named outputs in their declared units.
  virtual void Outputs(const EvalPoint& at, double* y, ModelWorkspace& ws) const = 0;
  // Root functions of state-triggered events (EventInfo::root indexes them).
  virtual int num_roots() const { return 0; }
  virtual void Roots(const EvalPoint& at, double* g, ModelWorkspace& ws) const {}
  // Gradients of the root functions for sensitivities across state events: gx = dg/dx
  // (num_roots x n, column-major), gp = dg/dp (num_roots x np, column-major), gt = dg/dt.
  // Returns false when the model cannot provide them (event-time corrections are then skipped).
  virtual bool RootGradients(const EvalPoint& at, double* gx, double* gp, double* gt,
                             ModelWorkspace& ws) const {
    return false;
  }
  // d(xdot)/du (n x m, column-major), for sensitivities through inputs that events set from
  // parameter-dependent values. Returns false when not available.
  virtual bool InputJacobian(const EvalPoint& at, double* ju, ModelWorkspace& ws) const {
    return false;
  }
  // Gradient of action value `index` w.r.t. states (dx, length n) and parameters (dp, length
  // np). Returns false when not available.
  virtual bool ActionGradient(const EvalPoint& at, int index, double* dx, double* dp,
                              ModelWorkspace& ws) const {
    return false;
  }
  // Values of event action expressions (EventAction::value_expr and composition indexes).
  virtual int num_action_values() const { return 0; }
  virtual void ActionValues(const EvalPoint& at, double* values, ModelWorkspace& ws) const {}
};

// An error in a model or scenario file: names the file, line, field and what is wrong.
class ModelError : public std::runtime_error {
 public:
  ModelError(std::string file, int line, std::string field, const std::string& message);
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  const std::string& field() const { return field_; }
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  int line_;
  std::string field_;
  std::string message_;
};

// Loads, checks (symbols, units, balances) and compiles a model file. Throws ModelError.
std::shared_ptr<const Model> LoadModelFile(const std::string& path);
// Same from text (`file_name` is used in messages).
std::shared_ptr<const Model> LoadModelText(const std::string& text, const std::string& file_name);

}  // namespace biotwin::model

#endif  // BIOTWIN_MODEL_MODEL_H_
