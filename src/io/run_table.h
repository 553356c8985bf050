// Time-series tables as biotwin writes and reads them: CSV with the unit in every header
// ("X [g/L]") and the same data rendered into a self-contained HTML report.
#ifndef BIOTWIN_IO_RUN_TABLE_H_
#define BIOTWIN_IO_RUN_TABLE_H_

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace biotwin::io {

struct Series {
  std::string name;    // "X"
  std::string unit;    // "g/L"; "-" for dimensionless
  std::string group;   // "state", "output", "input", "reference", ... (used to group plots)
  std::string description;
  std::vector<double> values;  // one per time point; NaN = missing
};

struct RunTable {
  std::string time_name = "t";
  std::string time_unit = "h";
  std::vector<double> time;
  std::vector<Series> columns;

  // Index of the column with this name, or -1.
  int Find(const std::string& name) const;
};

// Error in an input file: names the file, the 1-based line and, where known, the column/field.
class FileError : public std::runtime_error {
 public:
  FileError(const std::string& file, int line, const std::string& field, const std::string& what);
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  const std::string& field() const { return field_; }

 private:
  std::string file_;
  int line_;
  std::string field_;
};

// Writes "t [h],X [g/L],..." then one row per time point, full precision (%.10g), NaN written as
// an empty cell. The file is written to "<path>.tmp" and renamed into place only when complete,
// so a reader never sees a half-written file. Throws std::runtime_error on I/O failure.
void WriteCsv(const RunTable& table, const std::string& path);

// Reads a CSV written by WriteCsv or by hand: the first column is time; every header must carry a
// unit in brackets; empty cells, "nan" and "NA" are missing values; '#' lines are comments.
// Throws FileError naming file:line and the column for a missing unit, a non-numeric cell, a
// ragged row, or non-increasing time.
RunTable ReadCsv(const std::string& path);

// Writes `text` to `path` atomically (temp file in the same directory + fsync + rename).
void WriteFileAtomic(const std::string& path, const std::string& text);

}  // namespace biotwin::io

#endif  // BIOTWIN_IO_RUN_TABLE_H_
