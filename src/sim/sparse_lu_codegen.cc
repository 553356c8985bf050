// SparseLu's structure fingerprint, its straight-line kernel source (for biotwin_codegen) and the
// registry of compiled kernels. The kernel repeats Finish's and Solve's loops statement by
// statement with the loops' indices written out, so it computes the same bits; the gain is that
// no index is loaded at run time and the compiler keeps the solution in registers.
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>

#include "model/compiled_tapes.h"
#include "sim/sparse_lu.h"

namespace biotwin::sim {
namespace {

struct KernelRegistry {
  std::mutex mutex;
  std::map<std::string, SparseLuKernel> kernels;
};

// Constructed on first use: registration runs in other translation units' static initialisers.
KernelRegistry& TheKernelRegistry() {
  static KernelRegistry registry;
  return registry;
}

// FNV-1a, 64 bit, over a sequence of ints: a fingerprint, not a security hash (the key also
// carries n and the number of updates in clear).
class Fnv {
 public:
  void Add(long v) {
    for (int b = 0; b < 8; ++b) {
      h_ ^= static_cast<uint64_t>(v >> (8 * b)) & 0xff;
      h_ *= 0x100000001b3ULL;
    }
  }
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

// printf into a std::string.
template <typename... Args>
void Emit(std::string& out, const char* format, Args... args) {
  char buf[256];
  const int len = std::snprintf(buf, sizeof buf, format, args...);
  if (len < static_cast<int>(sizeof buf)) {
    out.append(buf, static_cast<size_t>(len));
    return;
  }
  std::string long_line(static_cast<size_t>(len) + 1, '\0');
  std::snprintf(long_line.data(), long_line.size(), format, args...);
  out.append(long_line.data(), static_cast<size_t>(len));
}

}  // namespace

bool RegisterSparseLuKernel(const char* fingerprint, const SparseLuKernel& kernel) {
  KernelRegistry& r = TheKernelRegistry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.kernels.emplace(fingerprint, kernel);
  return true;
}

const SparseLuKernel* FindSparseLuKernel(const std::string& fingerprint) {
  if (!model::CompiledTapesEnabled()) return nullptr;
  KernelRegistry& r = TheKernelRegistry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.kernels.find(fingerprint);
  return it == r.kernels.end() ? nullptr : &it->second;  // map nodes never move
}

std::string SparseLu::Fingerprint() const {
  Fnv h;
  h.Add(n_);
  for (int p : perm_) h.Add(p);
  h.Add(-1);
  for (const LoadOp& op : load_) h.Add((static_cast<long>(op.src) << 32) ^ op.dst);
  h.Add(-2);
  for (int q : diag_src_) h.Add(q);
  h.Add(-3);
  for (int q : zero_) h.Add(q);
  h.Add(-4);
  for (const Step& s : steps_) {
    h.Add((static_cast<long>(s.k) << 40) ^ (static_cast<long>(s.l_begin) << 20) ^ s.u_begin);
    h.Add(s.target_begin);
  }
  h.Add(-5);
  for (const LEntry& e : l_entries_) h.Add((static_cast<long>(e.pos) << 32) ^ e.row);
  h.Add(-6);
  for (int q : u_pos_) h.Add(q);
  h.Add(-10);
  for (int q : targets_) h.Add(q);
  h.Add(-7);
  for (const SolveOp& op : forward_) h.Add((static_cast<long>(op.target) << 32) ^ op.source);
  h.Add(-8);
  for (const SolveOp& op : backward_) h.Add((static_cast<long>(op.target) << 32) ^ op.source);
  h.Add(-9);
  for (const UScale& op : u_scale_) h.Add((static_cast<long>(op.pos) << 32) ^ op.col);
  char buf[64];
  std::snprintf(buf, sizeof buf, "sparse-lu/%d/%zu/%016" PRIx64, n_, targets_.size(), h.value());
  return buf;
}

std::string SparseLu::KernelSource(const std::string& name) const {
  const int n = n_;
  const char* fn = name.c_str();
  std::string s;
  Emit(s, "// Sparse LU kernel, n = %d: %d non-zeros in L + U (%zu in L, %zu in U above the diagonal).\n", n,
       nnz_factors_, forward_.size(), backward_.size());
  // Pivots and the scaled U (SparseLu::Finish).
  Emit(s,
       "bool %s_finish(const double* __restrict a, double* __restrict inv_diag, double* __restrict inv_orig, "
       "double* __restrict u) {\n  bool ok = true;\n  double p;\n",
       fn);
  for (int k = 0; k < n; ++k) {
    Emit(s, "  p = a[%d]; ok &= std::fabs(p) > 0.0 && std::fabs(p) <= DBL_MAX; inv_diag[%d] = 1.0 / p; inv_orig[%d] = inv_diag[%d];\n",
         k * (n + 1), k, perm_[k], k);
  }
  for (size_t q = 0; q < u_scale_.size(); ++q) {
    Emit(s, "  u[%zu] = a[%d] * inv_diag[%d];\n", q, u_scale_[q].pos, u_scale_[q].col);
  }
  s += "  return ok;\n}\n\n";
  // Substitutions (SparseLu::Solve).
  Emit(s,
       "void %s_solve(const double* __restrict l, const double* __restrict u, const double* __restrict inv, "
       "double* __restrict x) {\n",
       fn);
  for (size_t q = 0; q < forward_.size(); ++q) {
    Emit(s, "  x[%d] -= l[%zu] * x[%d];\n", forward_[q].target, q, forward_[q].source);
  }
  for (size_t q = 0; q < backward_.size(); ++q) {
    Emit(s, "  x[%d] -= u[%zu] * x[%d];\n", backward_[q].target, q, backward_[q].source);
  }
  for (int i = 0; i < n; ++i) Emit(s, "  x[%d] *= inv[%d];\n", i, i);
  s += "}\n\n";
  Emit(s, "const bool registered_%s = biotwin::sim::RegisterSparseLuKernel(\"%s\", {&%s_finish, &%s_solve});\n\n",
       fn, Fingerprint().c_str(), fn, fn);
  return s;
}

}  // namespace biotwin::sim
