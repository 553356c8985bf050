// Overlays a reference trajectory (a recorded or published batch) on a run's table and measures
// the agreement: for every column the scenario's `replay.reference` block maps, the reference is
// interpolated linearly onto the run's time points and added as a series of group "reference"
// with the same name and unit (so reports draw both in one plot), and the RMS difference over the
// common time span is reported relative to the reference signal's peak |value|.
#ifndef BIOTWIN_IO_REFERENCE_OVERLAY_H_
#define BIOTWIN_IO_REFERENCE_OVERLAY_H_

#include <string>
#include <vector>

#include "io/run_table.h"
#include "sim/replay.h"

namespace biotwin::io {

struct SignalAgreement {
  std::string name, unit;
  int points = 0;             // time points compared
  double rms = 0.0;           // RMS difference, in `unit`
  double peak = 0.0;          // peak |reference|, in `unit`
  double rms_over_peak = 0.0;
  double final_run = 0.0, final_reference = 0.0;  // at the last common time point
  double final_rel = 0.0;     // |run - reference| / |reference| at that point
};

// Reads `path` (first column: time in the table's time unit) and adds one reference series per
// mapped column. Throws model::ModelError for a missing column, a reference that does not
// overlap the run, or an unreadable file (naming file, line and column).
std::vector<SignalAgreement> AddReferenceOverlay(const std::string& path,
                                                 const sim::ReplaySpec& spec, RunTable* table);

}  // namespace biotwin::io

#endif  // BIOTWIN_IO_REFERENCE_OVERLAY_H_
