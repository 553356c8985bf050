// biotwin check MODEL [--scenario FILE]: parse, check units, print a summary of the model.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "command.h"
#include "model/file_model.h"
#include "model/format.h"
#include "model/model.h"
#include "sim/scenario.h"

namespace biotwin::cli {
namespace {

std::string U(const model::Unit& u) { return u.text.empty() || u.text == "1" ? "-" : u.text; }

int RunCheck(const std::vector<std::string>& args) {
  std::string model_path, scenario_path;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--scenario" && i + 1 < args.size()) {
      scenario_path = args[++i];
    } else if (!args[i].empty() && args[i][0] != '-' && model_path.empty()) {
      model_path = args[i];
    } else {
      std::fprintf(stderr, "biotwin check: unexpected argument '%s'\n", args[i].c_str());
      return kExitUsage;
    }
  }
  if (model_path.empty()) {
    std::fprintf(stderr, "usage: biotwin check MODEL [--scenario FILE]\n");
    return kExitUsage;
  }
  try {
    auto m = model::LoadModelFile(model_path);
    const auto& info = m->info();
    const auto& p = info.provenance;
    std::printf("model %s %s: OK (units consistent)\n", p.name.c_str(), p.version.c_str());
    if (!p.source.empty()) std::printf("  source: %s\n", p.source.c_str());
    if (!p.doi.empty()) std::printf("  doi: %s\n", p.doi.c_str());
    std::printf("  sha256: %s\n  time unit: %s\n", info.content_hash.c_str(), U(info.time_unit).c_str());
    if (const auto* fm = dynamic_cast<const model::FileModel*>(m.get())) {
      std::printf("  evaluation: %s\n", fm->compiled_rhs() ? "compiled (built-in C++ for these balances)"
                                                           : "interpreted (no built-in compiled code for these balances)");
    }
    std::printf("\nstates (%zu):\n", info.states.size());
    for (const auto& s : info.states) {
      std::printf("  %-10s %-10s initial %-10s %s%s\n", s.name.c_str(), U(s.unit).c_str(),
                  model::FormatNumber(s.initial).c_str(), s.diluted ? "" : "[not diluted] ", s.description.c_str());
    }
    std::printf("\nparameters (%zu):\n", info.parameters.size());
    for (const auto& q : info.parameters) {
      std::printf("  %-10s = %-10s %-10s bounds [%s, %s]  sd %s  %s\n", q.name.c_str(), model::FormatNumber(q.value).c_str(),
                  U(q.unit).c_str(), model::FormatNumber(q.lower).c_str(), model::FormatNumber(q.upper).c_str(),
                  (std::isnan(q.uncertainty) ? std::string("-") : model::FormatNumber(q.uncertainty)).c_str(), q.source.c_str());
    }
    std::printf("\ninputs (%zu):\n", info.inputs.size());
    for (const auto& u : info.inputs) {
      std::printf("  %-10s %-10s default %s  limits [%s, %s]\n", u.name.c_str(), U(u.unit).c_str(),
                  model::FormatNumber(u.default_value).c_str(), model::FormatNumber(u.lower).c_str(), model::FormatNumber(u.upper).c_str());
    }
    std::printf("\noutputs (%zu):\n", info.outputs.size());
    for (const auto& o : info.outputs) std::printf("  %-12s %s\n", o.name.c_str(), U(o.unit).c_str());
    std::printf("\nbalances (%s per %s):\n", "state unit", U(info.time_unit).c_str());
    for (const auto& b : info.balance_text) std::printf("  %s\n", b.c_str());
    if (!info.sample_rules.empty()) {
      std::printf("\nsample rules (%zu, applied after every control interval of a closed-loop run):\n",
                  info.sample_rules.size());
      for (const auto& rule : info.sample_rules) {
        std::string what;
        switch (rule.kind) {
          case model::SampleRule::Kind::kClamp:
            what = "clamp " + std::to_string(rule.states.size()) + " state(s)";
            break;
          case model::SampleRule::Kind::kReset:
            what = "reset";
            break;
          case model::SampleRule::Kind::kWhenFalling:
          case model::SampleRule::Kind::kWhenRising:
            what = std::string(rule.kind == model::SampleRule::Kind::kWhenFalling ? "when falling" : "when rising") +
                   " in " + std::to_string(rule.at_least) + " of the last " + std::to_string(rule.of_last) +
                   " changes of " + (rule.signal >= 0 ? info.states[rule.signal].name : std::string("?"));
            break;
        }
        for (size_t i = 0; i < rule.states.size() && rule.kind == model::SampleRule::Kind::kReset; ++i) {
          what += (i ? ", " : " ") + info.states[rule.states[i]].name;
        }
        std::printf("  %-12s %s%s%s\n", rule.name.c_str(), what.c_str(), rule.description.empty() ? "" : "  ",
                    rule.description.c_str());
      }
    }
    if (!info.events.empty()) {
      std::printf("\nevents (%zu):\n", info.events.size());
      for (const auto& e : info.events) {
        std::printf("  %-12s %s\n", e.name.c_str(),
                    e.timed ? ("at " + model::FormatNumber(e.at) + " " + U(info.time_unit)).c_str()
                            : ("when " + e.condition_text).c_str());
      }
    }
    if (!info.validity.empty()) {
      std::printf("\nvalidity domain (%s; runs leaving it are warned about):\n", info.validity.fit.c_str());
      for (const auto& b : info.validity.bounds) {
        const auto& unit = b.is_input ? info.inputs[b.index].unit : info.states[b.index].unit;
        std::printf("  %-10s %-6s [%s, %s] %s\n", b.name.c_str(), b.is_input ? "input" : "state",
                    model::FormatNumber(b.lower).c_str(), model::FormatNumber(b.upper).c_str(), U(unit).c_str());
      }
    }
    if (!scenario_path.empty()) {
      auto sc = sim::LoadScenarioFile(scenario_path, info);
      std::printf("\nscenario %s: OK (%zu input profiles, %zu events, until %s %s)\n", sc.name.c_str(),
                  sc.inputs.size(), sc.events.size(), model::FormatNumber(sc.t_end).c_str(), U(info.time_unit).c_str());
    }
    return kExitOk;
  } catch (const model::ModelError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitInvalidInput;
  }
}

}  // namespace

BIOTWIN_REGISTER_COMMAND(Command{
    "check", "parse a model file, check its units and print its structure",
    "usage: biotwin check MODEL [--scenario FILE]\n\n"
    "Parses MODEL, checks every expression and balance for dimensional consistency and prints\n"
    "its states, parameters (value, unit, bounds, uncertainty, source), inputs, outputs,\n"
    "balances and events. With --scenario, also checks the scenario against the model.\n"
    "Exit codes: 0 valid, 2 usage, 3 invalid file (the message names file:line: field).",
    &RunCheck});

}  // namespace biotwin::cli
