#include "model/compiled_tapes.h"

#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>

namespace biotwin::model {
namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, CompiledTapeFn> functions;
  std::map<std::string, CompiledJacobianFn> jacobians;
};

// Constructed on first use, so registration from other translation units' static initialisers
// does not depend on initialisation order.
Registry& TheRegistry() {
  static Registry registry;
  return registry;
}

std::atomic<bool>& Enabled() {
  static std::atomic<bool> enabled = [] {
    const char* env = std::getenv("BIOTWIN_INTERPRET");
    return env == nullptr || *env == '\0' || std::string(env) == "0";
  }();
  return enabled;
}

}  // namespace

bool RegisterCompiledTape(const char* fingerprint, CompiledTapeFn fn) {
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.functions.emplace(fingerprint, fn);
  return true;
}

CompiledTapeFn FindCompiledTape(const std::string& fingerprint) {
  if (!Enabled().load()) return nullptr;
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.functions.find(fingerprint);
  return it == r.functions.end() ? nullptr : it->second;
}

std::string JacobianKey(const std::string& fingerprint, int states, int parameter_offset, int parameters) {
  return fingerprint + "/jacobian/" + std::to_string(states) + "/" + std::to_string(parameter_offset) + "/" +
         std::to_string(parameters);
}

bool RegisterCompiledJacobian(const char* key, CompiledJacobianFn fn) {
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.jacobians.emplace(key, fn);
  return true;
}

CompiledJacobianFn FindCompiledJacobian(const std::string& key) {
  if (!Enabled().load()) return nullptr;
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.jacobians.find(key);
  return it == r.jacobians.end() ? nullptr : it->second;
}

void SetCompiledTapesEnabled(bool enabled) { Enabled().store(enabled); }

bool CompiledTapesEnabled() { return Enabled().load(); }

int NumCompiledTapes() {
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> lock(r.mutex);
  return static_cast<int>(r.functions.size());
}

}  // namespace biotwin::model
