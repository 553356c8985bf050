#include "test_paths.h"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace biotwin::testing {

std::string SourcePath(const std::string& relative) {
  return std::string(BIOTWIN_SOURCE_DIR) + "/" + relative;
}

std::string BinaryPath(const std::string& relative) {
  return std::string(BIOTWIN_BINARY_DIR) + "/" + relative;
}

std::string CliPath() { return BinaryPath("bin/biotwin"); }

std::string ReferencePath(const std::string& relative) {
  if (const char* env = std::getenv("BIOTWIN_REFERENCE_DIR")) {
    return std::string(env) + "/" + relative;
  }
  return std::string(BIOTWIN_SOURCE_DIR) + "/../shared/reference/" + relative;
}

std::string TempDir() {
  static std::atomic<int> counter{0};
  auto dir = std::filesystem::temp_directory_path() /
             ("biotwin-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace biotwin::testing
