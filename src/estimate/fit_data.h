// Measured data for parameter estimation: a table read from a CSV file with units in its headers
// (the app reads it with io::ReadCsv and hands it over as a DataTable), matched to the model's
// states and outputs by name and converted to the model's units.
#ifndef BIOTWIN_ESTIMATE_FIT_DATA_H_
#define BIOTWIN_ESTIMATE_FIT_DATA_H_

#include <stdexcept>
#include <string>
#include <vector>

#include "model/model.h"

namespace biotwin::estimate {

// A bad input to a fit (data file, fit spec, option): the message names the file, line and
// column or field where known.
class FitInputError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// One data column as read from the file, in the file's unit.
struct DataColumn {
  std::string name;   // "X"
  std::string unit;   // "g/L"
  std::vector<double> values;  // one per time row; NaN = missing
};

// A data file as read (time column first, units in brackets).
struct DataTable {
  std::string file;          // path (for messages and the dossier)
  std::string sha256;        // SHA-256 of the file's bytes (hex)
  int header_line = 1;       // 1-based line of the header row
  std::string time_name = "t", time_unit = "h";
  std::vector<double> time;  // strictly increasing (file unit)
  std::vector<DataColumn> columns;
};

// A measured signal in the model's units: only the points that are present (not NaN).
struct Signal {
  enum class Kind { kState, kOutput };
  std::string name;
  Kind kind = Kind::kState;
  int index = -1;         // state or output index in the model
  std::string unit;       // the model's unit text
  std::vector<double> time;   // model time unit
  std::vector<double> value;  // model unit of the state/output
};

struct Measurements {
  std::string file, sha256;
  std::vector<Signal> signals;
  std::vector<double> times;  // sorted union of the signals' times (model time unit)
};

// Matches every column to a state or output of `info` (states first), converts time and values
// to the model's units and drops missing cells. Throws FitInputError naming file, line and column
// for an unknown column, an incompatible unit, a duplicate column, a column with no values or a
// non-finite time; the time column must be a time.
Measurements MatchData(const DataTable& table, const model::ModelInfo& info);

}  // namespace biotwin::estimate

#endif  // BIOTWIN_ESTIMATE_FIT_DATA_H_
