// Plain numeric CSV tables read with their line numbers, for every layer that takes time series
// from outside: scenario input tables, replay files (initial values, disturbances), data sets.
// Errors are model::ModelError naming the file, the 1-based line and the column.
#ifndef BIOTWIN_MODEL_CSV_TABLE_H_
#define BIOTWIN_MODEL_CSV_TABLE_H_

#include <string>
#include <vector>

namespace biotwin::model {

struct CsvTable {
  std::string file;
  std::vector<std::string> header;           // raw header cells, surrounding blanks removed
  std::vector<std::vector<double>> rows;      // one per data line; NaN for missing cells
  std::vector<int> lines;                     // 1-based file line of each row
  std::vector<std::vector<std::string>> text; // raw cells (kept only when requested)

  // Column index by exact header text, or by the name part of "name [unit]"; -1 if absent.
  int Find(const std::string& name) const;
};

struct CsvReadOptions {
  bool keep_text = false;      // fill CsvTable::text (for name,value files with text cells)
  int numeric_from_column = 0; // cells before this column are not parsed as numbers
};

// Reads a comma-separated file with one header line. Empty cells, "nan", "NaN" and "NA" are
// missing values; lines starting with '#' and blank lines are skipped. Throws ModelError for an
// unreadable file, a missing header, a ragged row or a cell that is not a number.
CsvTable ReadCsvTable(const std::string& path, const CsvReadOptions& options = {});

// Splits "X [g/L]" into name "X" and unit text "g/L"; returns false when there is no bracketed
// unit (then `name` is the trimmed cell and `unit` is empty).
bool SplitHeaderUnit(const std::string& cell, std::string* name, std::string* unit);

}  // namespace biotwin::model

#endif  // BIOTWIN_MODEL_CSV_TABLE_H_
