#include "io/run_table.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string_view>
#include <system_error>

namespace biotwin::io {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string FormatFileError(const std::string& file, int line, const std::string& field,
                            const std::string& problem) {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!field.empty()) out += "column '" + field + "': ";
  out += problem;
  return out;
}

// %.10g, but independent of the C locale (always '.' as decimal separator). NaN -> "".
std::string FormatCell(double v) {
  if (std::isnan(v)) return "";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::general, 10);
  return std::string(buf, res.ptr);
}

std::string_view Trim(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return s.substr(b, e - b);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
    if (x != y) return false;
  }
  return true;
}

bool IsMissingToken(std::string_view cell) {
  return cell.empty() || EqualsIgnoreCase(cell, "nan") || EqualsIgnoreCase(cell, "na");
}

// Parses a whole (trimmed) cell as a number; locale independent. Returns false if not a number.
bool ParseNumber(std::string_view cell, double* out) {
  std::string_view s = cell;
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || s[0] == '+') return false;
  double v = 0.0;
  auto res = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::general);
  if (res.ec == std::errc::result_out_of_range) {
    // Underflow to zero / overflow to infinity: fall back to a saturating value like strtod.
    std::string copy(s);
    char* end = nullptr;
    v = std::strtod(copy.c_str(), &end);
    if (end != copy.c_str() + copy.size()) return false;
  } else if (res.ec != std::errc() || res.ptr != s.data() + s.size()) {
    return false;
  }
  *out = v;
  return true;
}

std::vector<std::string_view> SplitCells(std::string_view line) {
  std::vector<std::string_view> cells;
  size_t start = 0;
  while (true) {
    size_t comma = line.find(',', start);
    if (comma == std::string_view::npos) {
      cells.push_back(Trim(line.substr(start)));
      break;
    }
    cells.push_back(Trim(line.substr(start, comma - start)));
    start = comma + 1;
  }
  return cells;
}

// Splits "X [g/L]" into name "X" and unit "g/L" (the unit is inside the last [...]).
void ParseHeaderCell(const std::string& path, int line_no, std::string_view cell, std::string* name,
                     std::string* unit) {
  const std::string text(cell);
  size_t open = cell.rfind('[');
  size_t close = open == std::string_view::npos ? std::string_view::npos : cell.find(']', open);
  if (open == std::string_view::npos || close == std::string_view::npos) {
    std::string bare(Trim(cell.substr(0, std::min(cell.size(), open))));
    if (bare.empty()) bare = text;
    throw FileError(path, line_no, text,
                    "missing unit in header '" + text + "', write it as '" +
                        (bare.empty() ? std::string("X") : bare) + " [g/L]'");
  }
  *name = std::string(Trim(cell.substr(0, open)));
  *unit = std::string(Trim(cell.substr(open + 1, close - open - 1)));
  if (name->empty()) {
    throw FileError(path, line_no, text, "empty column name in header '" + text + "'");
  }
  if (unit->empty()) {
    throw FileError(path, line_no, text,
                    "empty unit in header '" + text + "', use '" + *name +
                        " [-]' for a dimensionless column");
  }
  if (!Trim(cell.substr(close + 1)).empty()) {
    throw FileError(path, line_no, text,
                    "unexpected text after the unit in header '" + text + "'");
  }
}

std::string ReadWholeFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    throw FileError(path, 0, "", std::string("cannot open: ") + std::strerror(errno));
  }
  std::string data;
  char buf[1 << 16];
  while (true) {
    size_t n = std::fread(buf, 1, sizeof(buf), f);
    data.append(buf, n);
    if (n < sizeof(buf)) break;
  }
  bool failed = std::ferror(f) != 0;
  int err = errno;
  std::fclose(f);
  if (failed) throw FileError(path, 0, "", std::string("cannot read: ") + std::strerror(err));
  return data;
}

[[noreturn]] void ThrowIo(const std::string& what, const std::string& path, int err) {
  throw std::runtime_error(what + " '" + path + "': " + std::strerror(err));
}

}  // namespace

int RunTable::Find(const std::string& name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

FileError::FileError(const std::string& file, int line, const std::string& field,
                     const std::string& what)
    : std::runtime_error(FormatFileError(file, line, field, what)),
      file_(file),
      line_(line),
      field_(field) {}

void WriteFileAtomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) ThrowIo("cannot write", path, errno);
  auto fail = [&](int err) {
    if (f != nullptr) std::fclose(f);
    std::remove(tmp.c_str());
    ThrowIo("cannot write", path, err);
  };
  if (!text.empty() && std::fwrite(text.data(), 1, text.size(), f) != text.size()) fail(errno);
  if (std::fflush(f) != 0) fail(errno);
  if (::fsync(::fileno(f)) != 0) fail(errno);
  int rc = std::fclose(f);
  f = nullptr;
  if (rc != 0) fail(errno);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) fail(errno);
  // Make the rename itself durable; failure here does not invalidate the written file.
  size_t slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void WriteCsv(const RunTable& table, const std::string& path) {
  auto check_header = [&](const std::string& text) {
    if (text.find_first_of(",\r\n") != std::string::npos) {
      throw std::runtime_error("cannot write '" + path + "': header text '" + text +
                               "' contains a comma or line break");
    }
  };
  auto header_cell = [&](const std::string& name, const std::string& unit) {
    check_header(name);
    check_header(unit);
    return name + " [" + (unit.empty() ? std::string("-") : unit) + "]";
  };
  std::string out = header_cell(table.time_name, table.time_unit);
  for (const Series& s : table.columns) {
    if (s.values.size() != table.time.size()) {
      throw std::runtime_error("cannot write '" + path + "': column '" + s.name + "' has " +
                               std::to_string(s.values.size()) + " values but there are " +
                               std::to_string(table.time.size()) + " time points");
    }
    out += ",";
    out += header_cell(s.name, s.unit);
  }
  out += "\n";
  out.reserve(out.size() + table.time.size() * (table.columns.size() + 1) * 14);
  for (size_t r = 0; r < table.time.size(); ++r) {
    out += FormatCell(table.time[r]);
    for (const Series& s : table.columns) {
      out += ",";
      out += FormatCell(s.values[r]);
    }
    out += "\n";
  }
  WriteFileAtomic(path, out);
}

RunTable ReadCsv(const std::string& path) {
  std::string data = ReadWholeFile(path);
  std::string_view text(data);
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);

  RunTable table;
  std::vector<std::string> names;  // all header names, time first
  bool have_header = false;
  int header_line = 0;
  int line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string_view trimmed = Trim(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;

    std::vector<std::string_view> cells = SplitCells(line);
    if (!have_header) {
      have_header = true;
      header_line = line_no;
      for (size_t c = 0; c < cells.size(); ++c) {
        std::string name, unit;
        ParseHeaderCell(path, line_no, cells[c], &name, &unit);
        for (const std::string& prev : names) {
          if (prev == name) {
            throw FileError(path, line_no, name, "duplicate column name '" + name + "'");
          }
        }
        names.push_back(name);
        if (c == 0) {
          table.time_name = name;
          table.time_unit = unit;
        } else {
          Series s;
          s.name = name;
          s.unit = unit;
          s.group = "data";
          table.columns.push_back(std::move(s));
        }
      }
      continue;
    }

    if (cells.size() != names.size()) {
      std::string problem = "row has " + std::to_string(cells.size()) +
                            " cells but the header has " + std::to_string(names.size()) +
                            " columns";
      std::string field = cells.size() < names.size() ? names[cells.size()] : "";
      throw FileError(path, line_no, field, problem);
    }
    for (size_t c = 0; c < cells.size(); ++c) {
      double v = kNaN;
      if (!IsMissingToken(cells[c]) && !ParseNumber(cells[c], &v)) {
        throw FileError(path, line_no, names[c],
                        "'" + std::string(cells[c]) + "' is not a number");
      }
      if (c == 0) {
        if (std::isnan(v)) throw FileError(path, line_no, names[0], "time is missing");
        if (!std::isfinite(v)) throw FileError(path, line_no, names[0], "time must be finite");
        if (!table.time.empty() && !(v > table.time.back())) {
          throw FileError(path, line_no, names[0],
                          "time " + FormatCell(v) + " is not greater than the previous time " +
                              FormatCell(table.time.back()) +
                              " (time must be strictly increasing)");
        }
        table.time.push_back(v);
      } else {
        table.columns[c - 1].values.push_back(v);
      }
    }
  }
  if (!have_header) {
    throw FileError(path, std::max(1, line_no), "", "empty file: no header line");
  }
  if (table.time.empty()) {
    throw FileError(path, header_line, "", "no data rows after the header");
  }
  return table;
}

}  // namespace biotwin::io
