#include "record/trace.h"

#include <algorithm>
#include <filesystem>
#include <regex>
#include <sstream>

#include "record/crypto.h"

namespace biotwin::record {

namespace {
// Prefixes of standards.md; letters-only suffixes are for ALCOA+ (ALC_A, ALC_Cm, ...).
const char* kIdPattern =
    "(?:^|_)((?:P11|A11|DI|S88|S95|DUR|SEC|GAMP|TEL|OPC|MTP|SPB|LADS)_[0-9]{2}|ALC_(?:Av|Ac|Cm|Cs|A|L|C|O|E))"
    "(?=_|$)";
}  // namespace

std::vector<std::string> RequirementIdsIn(std::string_view test_name) {
  std::vector<std::string> out;
  std::string name(test_name);
  static const std::regex re(kIdPattern);
  // Walk manually so that adjacent IDs sharing an underscore are all found.
  for (size_t pos = 0; pos < name.size();) {
    std::smatch m;
    std::string rest = name.substr(pos);
    if (!std::regex_search(rest, m, re)) break;
    std::string id = m[1].str();
    for (char& c : id) if (c == '_') c = '-';
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
    pos += static_cast<size_t>(m.position(1) + m.length(1));
  }
  return out;
}

std::map<std::string, std::set<std::string>> BuildTraceMatrix(const std::string& tests_dir) {
  std::map<std::string, std::set<std::string>> matrix;
  static const std::regex test_re(R"(\bTEST(?:_F|_P)?\s*\(\s*(\w+)\s*,\s*(\w+)\s*\))");
  for (const auto& entry : std::filesystem::recursive_directory_iterator(tests_dir)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".cc") continue;
    std::string text = ReadFile(entry.path().string());
    for (std::sregex_iterator it(text.begin(), text.end(), test_re), end; it != end; ++it) {
      std::string suite = (*it)[1].str(), name = (*it)[2].str();
      for (const auto& id : RequirementIdsIn(name)) matrix[id].insert(suite + "." + name);
    }
  }
  return matrix;
}

std::set<std::string> RequirementIdsInDocument(const std::string& path) {
  std::set<std::string> ids;
  std::istringstream in(ReadFile(path));
  std::string line;
  // The first cell of a table row: "| P11-05 |" or "| P11-01 / TEL-01 detect ... |".
  static const std::regex id_re(R"(\b((?:P11|A11|DI|ALC|GAMP|S88|S95|OPC|MTP|LADS|SPB|SEC|DUR|TEL)-(?:[0-9]{2}|[A-Z][a-z]?))\b)");
  while (std::getline(in, line)) {
    if (line.size() < 2 || line[0] != '|') continue;
    size_t end = line.find('|', 1);
    if (end == std::string::npos) continue;
    std::string cell = line.substr(1, end - 1);
    for (std::sregex_iterator it(cell.begin(), cell.end(), id_re), stop; it != stop; ++it) {
      ids.insert((*it)[1].str());
    }
  }
  return ids;
}

}  // namespace biotwin::record
