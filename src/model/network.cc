#include "model/network.h"

#include <cmath>
#include <random>

namespace biotwin::model {

std::vector<int> NetworkSpec::LayerSizes() const {
  std::vector<int> sizes;
  sizes.push_back(static_cast<int>(inputs.size()));
  sizes.insert(sizes.end(), hidden.begin(), hidden.end());
  sizes.push_back(1);
  return sizes;
}

std::vector<std::string> NetworkParameterNames(const NetworkSpec& spec) {
  const std::vector<int> sizes = spec.LayerSizes();
  std::vector<std::string> names;
  for (size_t l = 1; l < sizes.size(); ++l) {
    const std::string layer = std::to_string(l);
    for (int j = 1; j <= sizes[l]; ++j) {
      for (int i = 1; i <= sizes[l - 1]; ++i) {
        names.push_back(spec.name + ".w" + layer + "_" + std::to_string(j) + "_" + std::to_string(i));
      }
    }
    for (int j = 1; j <= sizes[l]; ++j) names.push_back(spec.name + ".b" + layer + "_" + std::to_string(j));
  }
  return names;
}

int NetworkParameterCount(const NetworkSpec& spec) {
  const std::vector<int> sizes = spec.LayerSizes();
  int count = 0;
  for (size_t l = 1; l < sizes.size(); ++l) count += sizes[l] * (sizes[l - 1] + 1);
  return count;
}

std::vector<double> XavierInit(const NetworkSpec& spec, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto uniform = [&rng]() { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
  const std::vector<int> sizes = spec.LayerSizes();
  std::vector<double> values;
  for (size_t l = 1; l < sizes.size(); ++l) {
    const double limit = std::sqrt(6.0 / (sizes[l - 1] + sizes[l]));
    for (int k = 0; k < sizes[l] * sizes[l - 1]; ++k) values.push_back(limit * (2.0 * uniform() - 1.0));
    for (int j = 0; j < sizes[l]; ++j) values.push_back(0.0);
  }
  return values;
}

int EmitSoftplus(int z, Tape& tape) {
  const int positive = tape.Binary(TapeOp::kMax, z, tape.Const(0.0));
  const int tail = tape.Unary(TapeOp::kExp, tape.Unary(TapeOp::kNeg, tape.Unary(TapeOp::kAbs, z)));
  const int log1p = tape.Unary(TapeOp::kLog, tape.Binary(TapeOp::kAdd, tape.Const(1.0), tail));
  return tape.Binary(TapeOp::kAdd, positive, log1p);
}

int EmitNetwork(const NetworkSpec& spec, const std::vector<int>& scaled_inputs, Tape& tape) {
  const std::vector<int> sizes = spec.LayerSizes();
  std::vector<int> layer = scaled_inputs;
  size_t p = 0;  // position in parameter_vars
  for (size_t l = 1; l < sizes.size(); ++l) {
    const bool output_layer = l + 1 == sizes.size();
    std::vector<int> next(sizes[l]);
    const size_t bias_base = p + static_cast<size_t>(sizes[l]) * sizes[l - 1];
    for (int j = 0; j < sizes[l]; ++j) {
      int z = tape.Var(spec.parameter_vars[bias_base + j]);
      for (int i = 0; i < sizes[l - 1]; ++i) {
        const int w = tape.Var(spec.parameter_vars[p + static_cast<size_t>(j) * sizes[l - 1] + i]);
        z = tape.Binary(TapeOp::kAdd, z, tape.Binary(TapeOp::kMul, w, layer[i]));
      }
      if (!output_layer) {
        z = spec.activation == Activation::kTanh ? tape.Unary(TapeOp::kTanh, z) : EmitSoftplus(z, tape);
      }
      next[j] = z;
    }
    p = bias_base + sizes[l];
    layer = std::move(next);
  }
  const int z = layer[0];
  switch (spec.transform) {
    case OutputTransform::kLinear:
      return tape.Binary(TapeOp::kMul, tape.Const(spec.scale), z);
    case OutputTransform::kSoftplus:
      return tape.Binary(TapeOp::kMul, tape.Const(spec.scale), EmitSoftplus(z, tape));
    case OutputTransform::kSigmoid: {
      // sigmoid(z) = 0.5 * (1 + tanh(z / 2)): the tape's smooth step of width 2.
      const int s = tape.Binary(TapeOp::kSmoothStep, z, tape.Const(2.0));
      return tape.Binary(TapeOp::kAdd, tape.Const(spec.lo),
                         tape.Binary(TapeOp::kMul, tape.Const(spec.hi - spec.lo), s));
    }
  }
  return z;
}

}  // namespace biotwin::model
