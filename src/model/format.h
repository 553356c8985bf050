// Number formatting shared by messages, summaries and reports: 6 significant digits, and
// "inf", "-inf" and "nan" spelled out.
#ifndef BIOTWIN_MODEL_FORMAT_H_
#define BIOTWIN_MODEL_FORMAT_H_

#include <cmath>
#include <cstdio>
#include <string>

namespace biotwin::model {

inline std::string FormatNumber(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

}  // namespace biotwin::model

#endif  // BIOTWIN_MODEL_FORMAT_H_
