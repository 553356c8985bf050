// Requirements traceability (GAMP-01): requirement IDs found in test names. A test name cites an
// ID by writing it with '_' for '-', e.g. TEST(AuditTrail, P11_05_EveryChangeWritesOneEntry)
// covers P11-05; TEL_01__P11_01_tamper covers TEL-01 and P11-01.
#ifndef BIOTWIN_RECORD_TRACE_H_
#define BIOTWIN_RECORD_TRACE_H_

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace biotwin::record {

// Requirement IDs cited in one test name ("P11_05_X" -> {"P11-05"}).
std::vector<std::string> RequirementIdsIn(std::string_view test_name);
// Scans *.cc files under `tests_dir` for TEST/TEST_F/TEST_P; requirement -> "Suite.Name" list.
std::map<std::string, std::set<std::string>> BuildTraceMatrix(const std::string& tests_dir);
// Requirement IDs defined in a standards document (table rows starting with "| ID |").
std::set<std::string> RequirementIdsInDocument(const std::string& path);

}  // namespace biotwin::record

#endif  // BIOTWIN_RECORD_TRACE_H_
