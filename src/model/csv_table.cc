#include "model/csv_table.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>

#include "model/model.h"

namespace biotwin::model {
namespace {

std::string Trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r\"");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\r\"");
  return s.substr(a, b - a + 1);
}

std::vector<std::string> SplitCells(const std::string& line) {
  std::vector<std::string> cells;
  size_t start = 0;
  while (true) {
    size_t comma = line.find(',', start);
    cells.push_back(Trim(line.substr(start, comma == std::string::npos ? std::string::npos
                                                                       : comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return cells;
}

bool IsMissing(const std::string& cell) {
  return cell.empty() || cell == "nan" || cell == "NaN" || cell == "NA" || cell == "-nan";
}

}  // namespace

int CsvTable::Find(const std::string& name) const {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return static_cast<int>(i);
  }
  for (size_t i = 0; i < header.size(); ++i) {
    std::string n, u;
    SplitHeaderUnit(header[i], &n, &u);
    if (n == name) return static_cast<int>(i);
  }
  return -1;
}

bool SplitHeaderUnit(const std::string& cell, std::string* name, std::string* unit) {
  size_t a = cell.rfind('['), b = cell.rfind(']');
  if (a == std::string::npos || b == std::string::npos || b < a) {
    *name = Trim(cell);
    unit->clear();
    return false;
  }
  *name = Trim(cell.substr(0, a));
  *unit = Trim(cell.substr(a + 1, b - a - 1));
  return true;
}

CsvTable ReadCsvTable(const std::string& path, const CsvReadOptions& options) {
  std::ifstream in(path);
  if (!in) throw ModelError(path, 0, "", "cannot open the file");
  CsvTable table;
  table.file = path;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    table.header = SplitCells(line);
    break;
  }
  if (table.header.empty()) throw ModelError(path, lineno, "", "the file has no header line");
  const size_t n = table.header.size();
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cells = SplitCells(line);
    if (cells.size() != n) {
      throw ModelError(path, lineno, "", "expected " + std::to_string(n) + " cells, found " +
                                             std::to_string(cells.size()));
    }
    std::vector<double> row(n, std::numeric_limits<double>::quiet_NaN());
    for (size_t c = static_cast<size_t>(options.numeric_from_column); c < n; ++c) {
      if (IsMissing(cells[c])) continue;
      char* end = nullptr;
      double v = std::strtod(cells[c].c_str(), &end);
      if (end == cells[c].c_str() || *end != '\0') {
        throw ModelError(path, lineno, table.header[c], "not a number: '" + cells[c] + "'");
      }
      row[c] = v;
    }
    table.rows.push_back(std::move(row));
    table.lines.push_back(lineno);
    if (options.keep_text) table.text.push_back(std::move(cells));
  }
  return table;
}

}  // namespace biotwin::model
