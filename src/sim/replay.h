// Replaying a recorded batch: a scenario's `replay:` block maps the names of an outside
// simulator's files onto the model, so that its initial-value/parameter file ("name,value" rows)
// and its disturbance file (one row per sample, the row at t applying during [t, t + h)) are read
// as they are (docs/scenario-format.md, "replay").
#ifndef BIOTWIN_SIM_REPLAY_H_
#define BIOTWIN_SIM_REPLAY_H_

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "model/model.h"
#include "model/units.h"
#include "model/yaml_util.h"
#include "sim/simulator.h"

namespace biotwin::sim {

// What one name of an initial-value file sets.
struct ReplayTarget {
  enum class Kind { kState, kParameter, kHorizon, kSampleTime, kIgnore };
  Kind kind = Kind::kIgnore;
  int index = -1;             // state or parameter index
  double factor = 1.0;        // file unit -> target unit
  bool from_ph = false;       // the file holds pH; the state is [H+] = 10^-pH (in mol/L)
};

struct ReplaySpec {
  std::vector<std::pair<std::string, ReplayTarget>> initial;  // file name -> target
  std::vector<std::string> ignore_prefixes;                   // names starting with these are skipped
  struct Column {
    std::string column;  // header in the disturbance file
    int input = -1;      // model input index
    double factor = 1.0; // file unit -> input unit
  };
  std::vector<Column> disturbances;
  // Reference trajectory columns (e.g. the recorded batch) -> model state/output/input names,
  // for overlays and comparisons (`--reference REF.csv`).
  struct ReferenceColumn {
    std::string column;  // header in the reference file
    std::string name;    // state, output or input of the model
    double factor = 1.0; // file unit -> the model quantity's unit
    bool from_ph = false;
    // Added to the file's times (model time unit): a value recorded at the end of the control
    // interval it held over compares with the run's row at the interval's start (-h).
    double time_shift = 0.0;
  };
  std::vector<ReferenceColumn> reference;
  bool empty() const { return initial.empty() && disturbances.empty() && reference.empty(); }
};

// Parses a `replay:` block. Errors name the scenario file, line and field.
ReplaySpec ParseReplaySpec(const YAML::Node& node, const model::YamlReader& reader,
                           const model::ModelInfo& info);

// Reads the `replay:` block of a scenario file's text (empty spec when there is none).
ReplaySpec LoadReplaySpec(const std::string& scenario_text, const std::string& scenario_file,
                          const model::ModelInfo& info);

// What an initial-value file set, for the run's summary.
struct ReplayInitial {
  double horizon = model::kNaN;      // model time unit, NaN if the file has none
  double sample_time = model::kNaN;  // model time unit, NaN if the file has none
  int values_applied = 0;
};

// Reads a "name,value" file and applies every row to `scenario` (initial states, parameters,
// horizon). Unknown names, duplicates, missing values, non-positive [H+] sources are errors
// naming the file, line and name.
ReplayInitial ApplyInitialFile(const std::string& path, const ReplaySpec& spec,
                               const model::ModelInfo& info, Scenario* scenario);

// Reads a disturbance file (first column time in the model's time unit, one row per sample) and
// sets every mapped input to a piecewise-constant profile. The file must start at t_begin, be
// evenly spaced by `sample_time` and cover [t_begin, t_end); a shorter file is an error naming
// the last time it covers and the time the batch needs.
void ApplyDisturbanceFile(const std::string& path, const ReplaySpec& spec,
                          const model::ModelInfo& info, double sample_time, Scenario* scenario);

}  // namespace biotwin::sim

#endif  // BIOTWIN_SIM_REPLAY_H_
