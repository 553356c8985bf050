// Paths the tests need: the source tree (models, examples, docs), the build tree (the CLI binary)
// and the shared reference folder beside the checkout.
#ifndef BIOTWIN_TESTS_TEST_PATHS_H_
#define BIOTWIN_TESTS_TEST_PATHS_H_

#include <string>

namespace biotwin::testing {

std::string SourcePath(const std::string& relative);   // <repo>/relative
std::string BinaryPath(const std::string& relative);   // <build>/relative
std::string CliPath();                                  // <build>/bin/biotwin
std::string ReferencePath(const std::string& relative);  // <repo>/../shared/reference/relative
std::string TempDir();  // a fresh directory under the system temp dir, one per call

}  // namespace biotwin::testing

#endif  // BIOTWIN_TESTS_TEST_PATHS_H_
