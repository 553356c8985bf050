// Sparse LU with a static symmetric ordering for the small Newton matrices M = c I - J of process
// models (n = 5 to a few hundred states, a fixed Jacobian sparsity pattern), for the Rosenbrock
// integrator: one Factor and several Solves per step. The ordering, the fill-in and every index
// the numeric phase touches are computed once at construction; Factor and Solve are then flat
// loops over precomputed positions, with no allocation, no pivot search and few branches.
//
// Pivots are the diagonal entries in the chosen order (no row exchanges). Factor refuses a matrix
// whose pivot is zero, non-finite or small against its column (kPivotTolerance, below); the caller
// then factorises that matrix with the dense partial-pivoting LU (dense_lu.h).
//
// IndPenSim (34 states, 335 structural non-zeros of J): 366 non-zeros in L + U, 542 multiply-adds
// per Factor, 366 per Solve; every matrix with c in [5, 1e4] 1/h is accepted (smallest pivot
// ratio 0.999). bench/sparse_lu_bench.cc times it against the dense LU.
//
// Memory is about 12 bytes per multiply-add of Factor (flops_factor()) plus the n x n work array,
// and construction is O(n^3): meant for sparse patterns. For a dense or nearly dense Jacobian
// (flops_factor() near n^3 / 3) the dense LU is the better choice.
#ifndef BIOTWIN_SIM_SPARSE_LU_H_
#define BIOTWIN_SIM_SPARSE_LU_H_

#include <string>
#include <utility>
#include <vector>

namespace biotwin::sim {

// Straight-line code for the parts of the numeric phase that gain from it: the same operations
// in the same order as SparseLu's loops (so the same bits), with every index a constant.
// biotwin_codegen writes one for each bundled model's Jacobian pattern (SparseLu::KernelSource)
// and registers it under the structure's fingerprint; a SparseLu whose structure matches uses
// it. The substitutions (366 multiply-adds for IndPenSim) run 2.5 times as fast so; the
// elimination does not gain (its straight-line code, 36 kB, runs slower than the loops from the
// instruction cache), so it stays a loop.
struct SparseLuKernel {
  bool (*finish)(const double* a, double* inv_diag, double* inv_diag_orig, double* u);  // SparseLu::Finish
  void (*solve)(const double* l, const double* u, const double* inv_diag_orig, double* x);  // SparseLu::Solve
};

// Called by the generated code's static initialisers; returns true (a value for them to hold).
bool RegisterSparseLuKernel(const char* fingerprint, const SparseLuKernel& kernel);
// The kernel registered for `fingerprint`, or nullptr (also while compiled code is switched off:
// model::CompiledTapesEnabled()).
const SparseLuKernel* FindSparseLuKernel(const std::string& fingerprint);

class SparseLu {
 public:
  // kMarkowitz: greedy minimum (r - 1)(c - 1) on the diagonal of the unsymmetric pattern (the
  // default; fewest updates on process Jacobians, e.g. 542 against 906 for minimum degree on
  // IndPenSim); kMinimumDegree: greedy minimum degree on the pattern of A + A^T; kNatural: none.
  enum class Ordering { kMarkowitz, kMinimumDegree, kNatural };

  // A pivot is accepted when |pivot| >= kPivotTolerance * (largest magnitude in its column of the
  // remaining matrix), both measured in the equilibrated matrix R M C: C scales every column of M
  // to a largest magnitude of 1, then R every row of M C. The elimination itself runs on the
  // unscaled M (diagonal-pivot LU commutes with diagonal scaling); the scaling only makes the
  // test independent of the states' units. Without it the test is meaningless for process
  // models: IndPenSim's [H+] is ~3e-7 mol/L, so column H of M holds an entry of ~8e9 (the heat
  // integral's row) against a diagonal of c, and the unscaled test refuses every c in [5, 1e4] 1/h
  // (ratios 1e-9 to 1e-6); row scaling alone still refuses c <= 50 1/h. Factorised without any
  // test (minimum-degree order) these matrices agree with the dense LU to 2e-12 relative.
  //
  // 0.1 bounds every multiplier of the equilibrated L by 10, as UMFPACK's default threshold
  // (0.1). KLU's 0.001 (multipliers up to 1000) suits a code that has no other choice; here a
  // refused matrix just costs one dense partial-pivoting LU, so the stricter bound is cheap.
  static constexpr double kPivotTolerance = 0.1;
  // The equilibration is a third of a factorisation's cost, and the magnitudes it measures change
  // slowly from one Newton matrix to the next: it is recomputed every kRescaleEvery factorisations,
  // when c has moved by more than a factor 2 since, and after a refusal; in between the test uses
  // the last scales (a heuristic guard either way: it only decides when to pivot densely).
  static constexpr int kRescaleEvery = 8;

  // n x n; `pattern` holds the structural non-zeros of J as (row, col) pairs, 0-based (repeats
  // allowed; the diagonal is always added). Throws std::invalid_argument for n < 1 or an entry
  // outside [0, n).
  SparseLu(int n, const std::vector<std::pair<int, int>>& pattern,
           Ordering ordering = Ordering::kMarkowitz);

  // Factorises M = c I - J, with J dense column-major n x n (entry (i, j) at jac[i + j n]);
  // the diagonal and the entries in the pattern are read, all others are taken as zero. Returns
  // false, leaving the object unusable for Solve until the next successful Factor, when c or an
  // entry read is not finite, or a pivot is zero, non-finite or below the threshold above.
  bool Factor(double c, const double* jac);

  // x = M^{-1} b with the factors of the last successful Factor; b and x may be the same array
  // (otherwise they must not overlap). Const and without scratch memory: threads may solve with
  // one factorisation concurrently.
  void Solve(const double* b, double* x) const;

  // Whether this structure is worth factorising sparsely: fewer than a third of the dense LU's
  // n^3 / 3 multiply-adds (below that, index bookkeeping eats the saving).
  bool BeatsDense() const;
  // Fingerprint of the symbolic structure (order, fill, every index of the numeric phase), and
  // the C++ source of its SparseLuKernel with functions prefixed `name` plus the registration
  // (sparse_lu_codegen.cc); used by biotwin_codegen.
  std::string Fingerprint() const;
  std::string KernelSource(const std::string& name) const;
  // Whether Factor and Solve run a registered straight-line kernel (same results as the loops).
  bool compiled() const { return kernel_ != nullptr; }

  int n() const { return n_; }
  // Non-zeros of L + U (unit diagonal of L not counted, diagonal of U counted once).
  int nnz_factors() const { return nnz_factors_; }
  // Multiply-adds of the elimination updates per Factor (scaling of L not included).
  long flops_factor() const { return flops_factor_; }
  // Multiply-adds per Solve (the n diagonal multiplications included).
  long flops_solve() const { return nnz_factors_; }
  // perm()[k] is the original index of the k-th pivot.
  const std::vector<int>& perm() const { return perm_; }
  // Smallest |pivot| / (column maximum), equilibrated, in the last successful Factor (1 when every
  // column of L is empty; 0 after a refusal); shows how close a matrix came to being refused.
  double min_pivot_ratio() const { return min_pivot_ratio_; }

 private:
  int n_;
  int nnz_factors_ = 0;
  long flops_factor_ = 0;
  double min_pivot_ratio_ = 1.0;
  std::vector<int> perm_;
  // Values in permuted order, dense column-major n x n; positions outside the factor pattern
  // stay zero and are never read.
  std::vector<double> a_;
  std::vector<double> inv_diag_;
  // Loading, off the diagonal: a_[dst] = -jac[src] (row by row); on it: a_[k (n + 1)] =
  // c - jac[diag_src_[k]]; then a_[zero_[q]] = 0 (fill-in).
  struct LoadOp {
    int src, dst;
  };
  std::vector<LoadOp> load_;
  std::vector<int> diag_src_, zero_;
  // Equilibration for the pivot test only: col_scale_[j] = 1 / max_i |M_ij|, then
  // row_scale_[i] = 1 / max_j |M_ij| col_scale_[j] (permuted indices), over scale_ops_ (J's
  // pattern and the diagonal, column by column).
  struct ScaleOp {
    int pos, row, col;
  };
  std::vector<ScaleOp> scale_ops_;
  std::vector<double> col_scale_, row_scale_;
  int scale_age_ = -1;    // factorisations since the scales were computed (-1: never)
  double scale_c_ = 0.0;  // the c they were computed for
  // Elimination step with a non-empty column of L: pivot k, its entries of L from l_begin, the
  // positions of its row of U (right of the pivot) from u_begin and the targets of its rank-1
  // update from target_begin (each list up to the next step's; a sentinel step closes them). The
  // update is, for the c-th entry of U and the r-th of L: a_[target] -= l_val_[l_begin + r] *
  // a_[u_pos_[u_begin + c]], target = targets_[target_begin + c |L| + r].
  struct Step {
    int k, l_begin, u_begin, target_begin;
  };
  struct LEntry {
    int pos, row;  // dense position in a_, permuted row
  };
  // Solve step q: x[target] -= value[q] * x[source] (original indexing), value = l_val_ forward,
  // u_val_ backward.
  struct SolveOp {
    int target, source;
  };
  // After elimination: u_val_[q] = a_[pos] * inv_diag_[col], U above the diagonal in backward_
  // order.
  struct UScale {
    int pos, col;
  };
  std::vector<UScale> u_scale_;
  std::vector<Step> steps_;
  std::vector<LEntry> l_entries_;
  std::vector<int> u_pos_, targets_;
  std::vector<SolveOp> forward_, backward_;
  std::vector<double> inv_diag_orig_;  // 1 / pivot, by original index
  std::vector<double> l_val_;  // L below the diagonal in l_entries_ (= forward_) order
  std::vector<double> u_val_;
  const SparseLuKernel* kernel_ = nullptr;

  // The parts of Factor (Finish's and Solve's loops also exist as a compiled kernel).
  bool Load(double c, const double* jac);
  bool Eliminate(double* min_ratio);
  bool Finish();
  // Equilibration scales of the loaded matrix a_ (see kPivotTolerance).
  void ComputeScales();
};

}  // namespace biotwin::sim

#endif  // BIOTWIN_SIM_SPARSE_LU_H_
