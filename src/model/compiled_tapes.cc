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

template <typename Fn>
bool Register(std::map<std::string, Fn> Registry::*table, const char* key, Fn fn) {
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> lock(r.mutex);
  (r.*table).emplace(key, fn);
  return true;
}

template <typename Fn>
Fn Find(std::map<std::string, Fn> Registry::*table, const std::string& key) {
  if (!Enabled().load()) return nullptr;
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = (r.*table).find(key);
  return it == (r.*table).end() ? nullptr : it->second;
}

}  // namespace

bool RegisterCompiledTape(const char* fingerprint, CompiledTapeFn fn) {
  return Register(&Registry::functions, fingerprint, fn);
}

CompiledTapeFn FindCompiledTape(const std::string& fingerprint) { return Find(&Registry::functions, fingerprint); }

std::string JacobianKey(const std::string& fingerprint, int states, int parameter_offset, int parameters) {
  return fingerprint + "/jacobian-f-t/" + std::to_string(states) + "/" + std::to_string(parameter_offset) + "/" +
         std::to_string(parameters);
}

bool RegisterCompiledJacobian(const char* key, CompiledJacobianFn fn) {
  return Register(&Registry::jacobians, key, fn);
}

CompiledJacobianFn FindCompiledJacobian(const std::string& key) { return Find(&Registry::jacobians, key); }

void SetCompiledTapesEnabled(bool enabled) { Enabled().store(enabled); }

bool CompiledTapesEnabled() { return Enabled().load(); }

int NumCompiledTapes() {
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> lock(r.mutex);
  return static_cast<int>(r.functions.size());
}

}  // namespace biotwin::model
