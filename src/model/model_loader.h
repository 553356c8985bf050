// Internal to src/model: the YAML model loader (reading in model_loader.cc, building the balance,
// gas-transfer, output and event tapes in model_builder.cc).
#ifndef BIOTWIN_MODEL_MODEL_LOADER_H_
#define BIOTWIN_MODEL_MODEL_LOADER_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "model/compiler.h"
#include "model/expr_ast.h"
#include "model/file_model.h"
#include "model/model.h"
#include "model/network.h"
#include "model/yaml_util.h"

namespace biotwin::model::internal {

inline const std::set<std::string> kReserved = {"t", "phase", "exp", "log", "ln", "log10", "sqrt", "pow",
                                         "abs", "min", "max", "pos", "clip", "tanh", "sin", "cos",
                                         "if", "step", "smoothstep"};

struct Source {
  std::shared_ptr<const ExprNode> expr;
  std::string text;
  int line = 0;
  std::string field;
};

class Loader {
 public:
  Loader(const std::string& text, const std::string& file) : text_(text), yaml_(file) {}
  std::shared_ptr<const Model> Load();

 private:
  Source ParseExpr(const YAML::Node& node, const std::string& field) const;
  [[noreturn]] void Fail(int line, const std::string& field, const std::string& message) const {
    throw ModelError(yaml_.file(), line, field, message);
  }
  void Claim(const std::string& name, const YAML::Node& where, const std::string& field);
  // Compiles `src` and converts it to `target`, turning compile errors into ModelErrors.
  int Emit(const Source& src, const Unit& target, Tape& tape, const std::string& what);
  Typed EmitTyped(const Source& src, Tape& tape);

  void ReadHeader(const YAML::Node& root);
  void ReadStates(const YAML::Node& node);
  void ReadLiquid(const YAML::Node& node);
  void ReadParameters(const YAML::Node& node);
  void ReadInputs(const YAML::Node& node);
  void ReadExpressions(const YAML::Node& node);
  // Networks (model_networks.cc): read and generate weight parameters before the symbols are
  // declared; declare them to the compiler after; check their inputs once expressions exist.
  void ReadNetworks(const YAML::Node& node);
  NetworkInput ReadNetworkInput(const YAML::Node& node, const std::string& field);
  void ReadNetworkOutput(const YAML::Node& node, const std::string& field, NetworkSpec& spec);
  void DeclareNetworks();
  void CheckNetworks();
  void DeclareSymbols();
  void BuildBalances(const YAML::Node& root);
  void BuildLiquid(const YAML::Node& node);
  void FinishBalances();
  void BuildGas(const YAML::Node& node);
  void BuildOutputs(const YAML::Node& node);
  void BuildEvents(const YAML::Node& node);
  void BuildSampleRules(const YAML::Node& node);
  void ReadValidity(const YAML::Node& node);  // model_validity.cc
  SampleRule ReadClampOrReset(const YAML::Node& spec, const std::string& field, bool clamp);
  void ReadTrendRule(const YAML::Node& spec, const YAML::Node& set, const std::string& field,
                     SampleRule& rule);
  std::vector<int> StateList(const YAML::Node& node, const std::string& field);
  int ActionValue(const YAML::Node& node, const std::string& field, const Unit& target);
  void AddTerm(int state, int node, const std::string& text);

  std::string text_;
  YamlReader yaml_;
  ModelInfo info_;
  FileModel::Tapes tapes_;
  ExprCompiler compiler_;
  std::map<std::string, std::string> owner_;  // name -> section that declared it
  std::vector<std::vector<int>> terms_;       // per state: tape nodes (state unit / time unit)
  std::vector<std::string> term_text_;
  Unit rate_unit(int state) const { return info_.states[state].unit / info_.time_unit; }
  int volume_line_ = 0;
  std::vector<std::pair<std::string, Source>> outputs_src_;  // in info_.outputs order
  std::map<std::string, Source> expr_lines_;  // intermediate name -> its source
  std::vector<std::shared_ptr<NetworkSpec>> networks_;
  std::vector<int> network_first_param_;      // per network: index of its first weight parameter
};

}  // namespace biotwin::model::internal

#endif  // BIOTWIN_MODEL_MODEL_LOADER_H_
