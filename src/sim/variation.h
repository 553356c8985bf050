// Batch-to-batch variation and in-batch disturbances, declared in a scenario's `variation:` block
// (docs/scenario-format.md): initial values and parameters drawn from normal distributions,
// groups of states scaled together (a total split in fixed fractions), disturbance inputs
// generated as filtered white noise on the sample grid, and a random batch length.
// A draw is a pure function of (spec, seed): every item has its own random stream derived from
// the seed and the item's name, so adding an item does not change the draws of the others.
#ifndef BIOTWIN_SIM_VARIATION_H_
#define BIOTWIN_SIM_VARIATION_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "model/model.h"
#include "model/yaml_util.h"
#include "sim/simulator.h"

namespace biotwin::sim {

struct VariationSpec {
  struct Normal {
    std::string name;
    bool is_state = true;
    int index = -1;
    double sd = 0.0;           // in the target's unit (or in pH units when on_ph)
    bool on_ph = false;        // state holds [H+]; the draw is made on pH = -log10([H+]/(mol/L))
    double to_molar = 1.0;     // state unit -> mol/L (on_ph only)
  };
  struct Group {
    std::string name;          // "a0+a1"
    std::vector<int> states;
    double sd = 0.0;           // of the sum, in the states' unit
  };
  struct Disturbance {
    std::string name;          // input name
    int input = -1;
    double sigma = 0.0;        // standard deviation of the white noise, in the input's unit
    double gain = 1.0;         // d_k = pole * d_{k-1} + gain * w_k, d_0 = gain * w_0
    double pole = 0.0;
  };
  std::vector<Normal> normals;
  std::vector<Group> groups;
  std::vector<Disturbance> disturbances;
  double sample_time = model::kNaN;   // disturbance grid (model time unit)
  double length_sd = 0.0;             // batch length sd (model time unit); 0 = fixed
  double length_round = 0.0;          // round the drawn length to a multiple of this (0 = no)
  bool empty() const {
    return normals.empty() && groups.empty() && disturbances.empty() && length_sd == 0.0;
  }
};

VariationSpec ParseVariationSpec(const YAML::Node& node, const model::YamlReader& reader,
                                 const model::ModelInfo& info);
// Reads the `variation:` block of a scenario file's text (empty spec when there is none).
VariationSpec LoadVariationSpec(const std::string& scenario_text, const std::string& file,
                                const model::ModelInfo& info);

// One batch's draw, to be applied on top of a scenario.
struct BatchDraw {
  uint64_t seed = 0;
  double t_end = model::kNaN;
  std::vector<std::pair<int, double>> initial;     // state index -> value
  std::vector<std::pair<int, double>> parameters;  // parameter index -> value
  std::vector<std::pair<int, InputProfile>> inputs;
  std::vector<std::pair<std::string, double>> values;  // name -> drawn value (for summaries)
};

// Draws around the scenario's nominal values (its overrides, else the model's defaults).
BatchDraw DrawBatch(const VariationSpec& spec, const model::ModelInfo& info,
                    const Scenario& nominal, uint64_t seed);
void ApplyDraw(const BatchDraw& draw, Scenario* scenario);

// Independent random streams: 64-bit seed for item `name` of batch `seed` (SplitMix64 of the
// seed mixed with an FNV-1a hash of the name).
uint64_t StreamSeed(uint64_t seed, const std::string& name);

}  // namespace biotwin::sim

#endif  // BIOTWIN_SIM_VARIATION_H_
