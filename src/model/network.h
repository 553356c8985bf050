// Small neural networks (multilayer perceptrons) declared in model files (docs/model-format.md,
// "Networks"). A network maps a few scaled input expressions to one output quantity; its weights
// and biases are ordinary dimensionless model parameters (generated names such as
// "mu_net.w1_3_2"), so simulation sensitivities, fitting, bounds and FIT.json treat them like any
// other parameter. The network is lowered onto the same AD tape as the rest of the model
// (straight-line code: exact derivatives, no allocation per evaluation).
#ifndef BIOTWIN_MODEL_NETWORK_H_
#define BIOTWIN_MODEL_NETWORK_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/expr_ast.h"
#include "model/tape.h"
#include "model/units.h"

namespace biotwin::model {

enum class Activation { kTanh, kSoftplus };
// Output transforms enforce constraints: kSoftplus gives scale * softplus(z) >= 0, kSigmoid gives
// lo + (hi - lo) * sigmoid(z) in (lo, hi), kLinear gives scale * z (unconstrained).
enum class OutputTransform { kLinear, kSoftplus, kSigmoid };

struct NetworkInput {
  std::shared_ptr<const ExprNode> expr;
  std::string text;
  Unit unit;                 // unit of the scaling range
  double lo = 0, hi = 1;     // scaling range (in `unit`): lo maps to -1, hi to +1
  int line = 0;
  std::string field;
};

struct NetworkSpec {
  std::string name;
  std::vector<NetworkInput> inputs;
  std::vector<int> hidden;   // hidden layer sizes
  Activation activation = Activation::kTanh;
  OutputTransform transform = OutputTransform::kLinear;
  Unit unit;                 // output unit
  double scale = 1.0;        // kLinear / kSoftplus: output scale (output unit)
  double lo = 0, hi = 1;     // kSigmoid: output range (output unit)
  int line = 0;
  // Tape variable index of every weight and bias, in NetworkParameterNames() order (set by the
  // loader once the parameters have their places in the variable vector).
  std::vector<int> parameter_vars;

  // Layer sizes including input and output: [inputs, hidden..., 1].
  std::vector<int> LayerSizes() const;
};

// Generated parameter names in layout order: for each layer l = 1..L, the weights "NAME.wl_j_i"
// (unit j of layer l from unit i of the layer before, 1-based) row by row, then the biases
// "NAME.bl_j". Layer L is the output layer (one unit).
std::vector<std::string> NetworkParameterNames(const NetworkSpec& spec);
int NetworkParameterCount(const NetworkSpec& spec);

// Seeded Xavier (Glorot) uniform initialisation in NetworkParameterNames() order: weights of
// layer l uniform in +-sqrt(6 / (fan_in + fan_out)), biases zero. The generator is the 64-bit
// Mersenne twister with the 53-bit mapping to [0, 1), so values are the same on every platform.
std::vector<double> XavierInit(const NetworkSpec& spec, uint64_t seed);

// Emits the network onto `tape`: `scaled_inputs` are nodes of the inputs already mapped to
// [-1, 1] (dimensionless); returns the node of the output (in spec.unit, transform applied).
int EmitNetwork(const NetworkSpec& spec, const std::vector<int>& scaled_inputs, Tape& tape);

// softplus(z) = log(1 + exp(z)), emitted overflow-free as max(z, 0) + log(1 + exp(-|z|)).
int EmitSoftplus(int z, Tape& tape);

}  // namespace biotwin::model

#endif  // BIOTWIN_MODEL_NETWORK_H_
