// `biotwin fit --write-model`: the model file's text with the fitted parameter values, their
// standard errors and the fit's provenance written into the parameter entries (flow or block
// style), plus a `validity:` section. Edits are made on the text, so comments and layout stay.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "estimate/fit_dossier.h"

namespace biotwin::estimate {
namespace {

struct Edit {
  size_t begin = 0, end = 0;  // replaced span [begin, end)
  std::string text;
};

std::string Number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string Quoted(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') q.push_back('\\');
    q.push_back(c);
  }
  return q + "\"";
}

// End of the scalar starting at `pos` (plain: up to a comment or the end of the line / a flow
// delimiter when `in_flow`; quoted: after the closing quote).
size_t ScalarEnd(const std::string& text, size_t pos, bool in_flow) {
  if (pos < text.size() && (text[pos] == '"' || text[pos] == '\'')) {
    const char q = text[pos];
    for (size_t i = pos + 1; i < text.size(); ++i) {
      if (q == '"' && text[i] == '\\') { ++i; continue; }
      if (text[i] == q) {
        if (q == '\'' && i + 1 < text.size() && text[i + 1] == '\'') { ++i; continue; }
        return i + 1;
      }
    }
    return text.size();
  }
  size_t i = pos;
  while (i < text.size() && text[i] != '\n') {
    if (text[i] == '#' && i > pos && (text[i - 1] == ' ' || text[i - 1] == '\t')) break;
    if (in_flow && (text[i] == ',' || text[i] == '}' || text[i] == ']')) break;
    ++i;
  }
  while (i > pos && (text[i - 1] == ' ' || text[i - 1] == '\t' || text[i - 1] == '\r')) --i;
  return i;
}

size_t LineStart(const std::string& text, size_t pos) {
  const size_t nl = pos == 0 ? std::string::npos : text.rfind('\n', pos - 1);
  return nl == std::string::npos ? 0 : nl + 1;
}

size_t LineEnd(const std::string& text, size_t pos) {
  const size_t nl = text.find('\n', pos);
  return nl == std::string::npos ? text.size() : nl + 1;
}

// The closing '}' of the flow map that `from` lies inside (outside quotes and nested brackets);
// text.size() if there is none.
size_t FlowClose(const std::string& text, size_t from) {
  int depth = 0;
  for (size_t i = from; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"' || c == '\'') {
      i = ScalarEnd(text, i, true) - 1;
      continue;
    }
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') {
      if (depth == 0 && c == '}') return i;
      --depth;
    }
  }
  return text.size();
}

// The position of the last key or scalar inside `node` (its last line).
size_t LastPos(const YAML::Node& node) {
  size_t last = static_cast<size_t>(std::max(0, node.Mark().pos));
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      last = std::max({last, static_cast<size_t>(std::max(0, it->first.Mark().pos)), LastPos(it->second)});
    }
  } else if (node.IsSequence()) {
    for (auto it = node.begin(); it != node.end(); ++it) last = std::max(last, LastPos(*it));
  }
  return last;
}

// Network weights NET.SHORT go into `networks.NET.values` (a flow map replacing the earlier
// values, which are kept for the weights not estimated).
void EditNetworkValues(const std::string& text, const std::string& file, const std::string& net, const YAML::Node& node,
                       const std::vector<std::pair<std::string, std::string>>& fitted, std::vector<Edit>* edits) {
  if (!node.IsMap()) throw FitInputError("--write-model: " + file + ": network '" + net + "' is not a mapping");
  std::vector<std::pair<std::string, std::string>> merged;
  const YAML::Node values = node["values"];
  if (values && values.IsMap()) {
    for (auto it = values.begin(); it != values.end(); ++it) merged.push_back({it->first.Scalar(), it->second.Scalar()});
  }
  for (const auto& [key, value] : fitted) {
    auto it = std::find_if(merged.begin(), merged.end(), [&](const auto& kv) { return kv.first == key; });
    if (it == merged.end()) merged.push_back({key, value});
    else it->second = value;
  }
  std::string flow = "{";
  for (size_t k = 0; k < merged.size(); ++k) flow += (k ? ", " : "") + merged[k].first + ": " + merged[k].second;
  flow += "}";
  const size_t start = static_cast<size_t>(node.Mark().pos);
  const bool net_flow = start < text.size() && text[start] == '{';
  if (values) {
    size_t key_end = 0;  // just after "values:"
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it->first.Scalar() == "values") key_end = text.find(':', static_cast<size_t>(it->first.Mark().pos)) + 1;
    }
    const size_t vpos = static_cast<size_t>(values.Mark().pos);
    size_t end;
    if (vpos < text.size() && text[vpos] == '{') {
      end = FlowClose(text, vpos + 1) + 1;
    } else {
      end = LineEnd(text, LastPos(values));
      if (end > 0 && text[end - 1] == '\n') --end;
    }
    edits->push_back({key_end, end, " " + flow});
  } else if (net_flow) {
    edits->push_back({FlowClose(text, start + 1), FlowClose(text, start + 1), ", values: " + flow});
  } else {
    size_t at = LineEnd(text, LastPos(node));
    if (at > 0 && text[at - 1] == '\n') --at;
    edits->push_back({at, at, "\n" + std::string(node.Mark().column, ' ') + "values: " + flow});
  }
}

// Edits of one parameter entry: replaced values for existing keys, new keys appended.
void EditParameter(const std::string& text, const std::string& file, const std::string& name,
                   const YAML::Node& node, const std::vector<std::pair<std::string, std::string>>& values,
                   std::vector<Edit>* edits) {
  if (!node.IsMap()) throw FitInputError("--write-model: " + file + ": parameter '" + name + "' is not a mapping");
  const size_t start = static_cast<size_t>(node.Mark().pos);
  const bool flow = start < text.size() && text[start] == '{';
  std::string added;
  size_t last_end = 0;
  for (const auto& [key, value] : values) {
    const YAML::Node child = node[key];
    if (!child) {
      added += flow ? ", " + key + ": " + value : "\n" + std::string(node.Mark().column, ' ') + key + ": " + value;
      continue;
    }
    if (!child.IsScalar()) {
      throw FitInputError("--write-model: " + file + ":" + std::to_string(child.Mark().line + 1) + ": parameters." + name +
                          "." + key + ": expected a single value");
    }
    const size_t b = static_cast<size_t>(child.Mark().pos);
    const size_t e = ScalarEnd(text, b, flow);
    edits->push_back({b, e, value});
    last_end = std::max(last_end, e);
  }
  if (added.empty()) return;
  if (flow) {
    // Before the closing brace of the entry (after the last edited scalar).
    const size_t i = FlowClose(text, std::max(last_end, start + 1));
    if (i >= text.size()) throw FitInputError("--write-model: " + file + ": cannot find the end of parameter '" + name + "'");
    edits->push_back({i, i, added});
  } else {
    // After the last line of the block entry.
    size_t at = LineEnd(text, LastPos(node));
    if (at > 0 && text[at - 1] == '\n') --at;
    edits->push_back({at, at, added});
  }
}

}  // namespace

std::string WriteFittedModelText(const std::string& model_text, const std::string& model_file,
                                 const model::ModelInfo& info, const FitResult& result,
                                 const std::string& source, const model::ValidityDomain& validity) {
  YAML::Node root;
  try {
    root = YAML::Load(model_text);
  } catch (const YAML::Exception& e) {
    throw FitInputError("--write-model: " + model_file + ": " + e.what());
  }
  const YAML::Node& croot = root;  // const access: no nodes created by lookups
  const YAML::Node params = croot["parameters"];
  std::vector<Edit> edits;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> network_values;
  for (const auto& p : result.parameters) {
    const bool in_parameters = params && params.IsMap() && params[p.name];
    if (!in_parameters) {
      const size_t dot = p.name.find('.');
      const YAML::Node nets = croot["networks"];
      if (dot != std::string::npos && nets && nets[p.name.substr(0, dot)]) {
        network_values[p.name.substr(0, dot)].push_back({p.name.substr(dot + 1), Number(p.value)});
        continue;
      }
      throw FitInputError("--write-model: parameter '" + p.name + "' is neither in the 'parameters:' section nor a network weight of " +
                          model_file);
    }
    std::vector<std::pair<std::string, std::string>> values = {{"value", Number(p.value)}};
    if (std::isfinite(p.se)) values.push_back({"uncertainty", Number(p.se)});
    values.push_back({"source", Quoted(source)});
    EditParameter(model_text, model_file, p.name, params[p.name], values, &edits);
  }
  for (const auto& [net, values] : network_values) {
    EditNetworkValues(model_text, model_file, net, croot["networks"][net], values, &edits);
  }
  // An earlier validity section is replaced.
  if (croot["validity"]) {
    size_t begin = model_text.size(), end = model_text.size();
    for (auto it = root.begin(); it != root.end(); ++it) {
      const size_t pos = static_cast<size_t>(it->first.Mark().pos);
      if (it->first.Scalar() == "validity") begin = LineStart(model_text, pos);
    }
    for (auto it = root.begin(); it != root.end(); ++it) {
      const size_t pos = LineStart(model_text, static_cast<size_t>(it->first.Mark().pos));
      if (pos > begin && pos < end) end = pos;
    }
    // The comment block directly above the section describes it: replaced with it.
    while (begin > 0) {
      const size_t prev = LineStart(model_text, begin - 1);
      const std::string line = model_text.substr(prev, begin - prev);
      const size_t first = line.find_first_not_of(" \t\r\n");
      if (first != std::string::npos && line[first] != '#') break;
      begin = prev;
    }
    edits.push_back({begin, end, ""});
  }
  std::sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) { return a.begin > b.begin; });
  std::string text = model_text;
  for (const auto& e : edits) text.replace(e.begin, e.end - e.begin, e.text);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  text += "\n\n# Validity domain of the fit that produced the parameter values above (biotwin fit\n"
          "# --write-model): the range of every state and input, in its unit, along the fitted\n"
          "# batches. Commands that run this model warn when a trajectory leaves it.\n"
          "validity:\n";
  text += "  fit: " + Quoted(validity.fit) + "\n";
  if (!validity.dossier.empty()) text += "  dossier_sha256: " + validity.dossier + "\n";
  if (!validity.created.empty()) text += "  created: " + Quoted(validity.created) + "\n";
  for (const bool inputs : {false, true}) {
    bool header = false;
    for (const auto& b : validity.bounds) {
      if (b.is_input != inputs) continue;
      if (!header) text += inputs ? "  inputs:\n" : "  states:\n";
      header = true;
      const std::string unit = inputs ? info.inputs[b.index].unit.text : info.states[b.index].unit.text;
      text += "    " + b.name + ": [" + Number(b.lower) + ", " + Number(b.upper) + "]  # " + unit + "\n";
    }
  }
  return text;
}

}  // namespace biotwin::estimate
