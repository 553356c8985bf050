// One shooting interval for direct multiple shooting: integrates a model over [t0, t0 + h] from a
// given state with inputs that are constant or linear in time, and returns the end state (and
// states at requested intermediate points) with forward sensitivities w.r.t. the initial state,
// the input values and the interval's start and length. Two methods:
//   kBdf  CVODES BDF with exact Jacobian and error control (stiff models; the default);
//   kRk4  classical fixed-step Runge-Kutta (4th order) with a given number of steps per interval.
//         The sensitivities are those of the discrete RK4 map itself (the variational equations
//         integrated by the same scheme), so they are exact derivatives of what it returns. No
//         error control: for non-stiff internal models where the step count has been checked
//         (NMPC with short intervals: far cheaper than BDF).
//
// The interval is integrated in scaled time tau in [0, 1]: t = t0 + h*tau, dx/dtau = h*f(t, x, u),
// so a free final time enters as a parameter. Inputs: u_l(tau) = a_l + (b_l - a_l)*tau.
// Optional extension states (running costs) are appended: dz/dtau = h*r(t, x, u), where the rates
// depend on the model states and inputs but not on z (quadratures).
#ifndef BIOTWIN_SIM_SHOOTING_SENSITIVITY_H_
#define BIOTWIN_SIM_SHOOTING_SENSITIVITY_H_

#include <memory>
#include <string>
#include <vector>

#include "model/model.h"

namespace biotwin::sim {

// Quadrature states appended to the model: rates r(t, x, u, p) and their exact gradients.
class StateExtension {
 public:
  virtual ~StateExtension() = default;
  virtual int size() const = 0;
  // r[size]; when drdx is non-null also drdx (size x n, column-major), drdu (size x m) and drdt.
  virtual void Eval(double t, const double* x, const double* u, const double* p, double* r,
                    double* drdx, double* drdu, double* drdt) = 0;
};

// A sensitivity direction through the inputs: d/d a_l (kStart), d/d b_l (kEnd), or d/d c for an
// input held constant (a_l = b_l = c, kConstant).
struct InputDirection {
  enum class Kind { kConstant, kStart, kEnd };
  int input = -1;
  Kind kind = Kind::kConstant;
};

enum class ShootingMethod { kBdf, kRk4 };

struct ShootingSetup {
  std::vector<double> parameters;            // model parameter values (model units)
  std::vector<InputDirection> input_directions;
  bool sens_length = false;                  // d/dh
  bool sens_start = false;                   // d/dt0 (zero for models without explicit time)
  double rtol = 1e-8;
  std::vector<double> atol;                  // per augmented state (model states, then extension)
  long max_steps = 50000;
  // Include the sensitivities in the local error test (accurate derivatives, more steps); false
  // lets the state error alone set the step (cheaper; NMPC derivatives need not be tight).
  bool sens_error_control = true;
  ShootingMethod method = ShootingMethod::kBdf;
  int rk4_steps = 10;                        // kRk4: steps over the whole interval (tau 0..1)
};

// Result of one interval. Sensitivity columns are ordered: initial state (all nx augmented
// states), input directions, length (if requested), start (if requested).
struct ShootingPoint {
  double tau = 1.0;
  std::vector<double> x;     // augmented state (nx)
  std::vector<double> sens;  // nx x ns, column-major: sens[i + k*nx] = d x_i / d param_k
};

class ShootingIntegrator {
 public:
  // `extension` may be null. Throws std::invalid_argument for inconsistent setups.
  ShootingIntegrator(std::shared_ptr<const model::Model> model, ShootingSetup setup,
                     std::shared_ptr<StateExtension> extension = nullptr);
  ~ShootingIntegrator();
  ShootingIntegrator(const ShootingIntegrator&) = delete;
  ShootingIntegrator& operator=(const ShootingIntegrator&) = delete;

  int num_states() const;       // augmented: model states + extension states
  int num_sensitivities() const;
  bool time_dependent() const;  // whether the model rates depend on t explicitly

  // Integrates one interval. `x0` has num_states() entries; `u_start` and `u_end` the values of
  // every model input at tau = 0 and 1. `taus` are increasing points in (0, 1] (the last should be
  // 1). With `with_sensitivities` false, sens is left empty. Returns false with *error (time and
  // solver message) on failure.
  bool Integrate(double t0, double h, const double* x0, const double* u_start,
                 const double* u_end, const std::vector<double>& taus, bool with_sensitivities,
                 std::vector<ShootingPoint>* out, std::string* error);

  long total_steps() const;

 private:
  bool IntegrateRk4(const double* x0, const std::vector<double>& taus, bool with_sensitivities,
                    std::vector<ShootingPoint>* out, std::string* error);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace biotwin::sim

#endif  // BIOTWIN_SIM_SHOOTING_SENSITIVITY_H_
