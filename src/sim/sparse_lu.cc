#include "sim/sparse_lu.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>

namespace biotwin::sim {

namespace {

// Greedy minimum degree on the symmetric pattern `adj` (n x n, row major, diagonal ignored):
// repeatedly eliminates the node of fewest remaining neighbours (lowest index on ties) and joins
// its neighbours into a clique. O(n^3) at worst, which is nothing at construction for n up to a
// few hundred.
std::vector<int> MinimumDegreeOrder(int n, std::vector<char> adj) {
  std::vector<int> order;
  order.reserve(n);
  std::vector<char> done(n, 0);
  std::vector<int> degree(n, 0), nbrs;
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) degree[i] += (j != i && adj[static_cast<size_t>(i) * n + j]) ? 1 : 0;
  }
  for (int step = 0; step < n; ++step) {
    int best = -1;
    for (int i = 0; i < n; ++i) {
      if (!done[i] && (best < 0 || degree[i] < degree[best])) best = i;
    }
    order.push_back(best);
    done[best] = 1;
    nbrs.clear();
    for (int j = 0; j < n; ++j) {
      if (j != best && !done[j] && adj[static_cast<size_t>(best) * n + j]) nbrs.push_back(j);
    }
    for (int i : nbrs) {
      --degree[i];  // loses `best`
      for (int j : nbrs) {
        char& e = adj[static_cast<size_t>(i) * n + j];
        if (i != j && !e) {
          e = 1;
          ++degree[i];
        }
      }
    }
  }
  return order;
}

// Greedy Markowitz ordering restricted to the diagonal, on the unsymmetric pattern `pat` (n x n,
// column major, diagonal set): repeatedly eliminates the node k with the fewest (r_k - 1)(c_k - 1)
// in the remaining submatrix (r_k, c_k: non-zeros of its row and column there), which is the
// number of updates its elimination costs, lowest index on ties; adds the fill. Unlike minimum
// degree on A + A^T it sees that a dense row (or column) alone causes no updates.
std::vector<int> MarkowitzOrder(int n, std::vector<char> pat) {
  std::vector<int> order, rows, cols;
  order.reserve(n);
  std::vector<char> done(n, 0);
  for (int step = 0; step < n; ++step) {
    int best = -1;
    long best_cost = 0;
    for (int k = 0; k < n; ++k) {
      if (done[k]) continue;
      long r = 0, c = 0;
      for (int j = 0; j < n; ++j) {
        if (done[j] || j == k) continue;
        r += pat[k + static_cast<size_t>(j) * n];
        c += pat[j + static_cast<size_t>(k) * n];
      }
      if (best < 0 || r * c < best_cost) {
        best = k;
        best_cost = r * c;
      }
    }
    order.push_back(best);
    done[best] = 1;
    rows.clear();
    cols.clear();
    for (int j = 0; j < n; ++j) {
      if (done[j]) continue;
      if (pat[j + static_cast<size_t>(best) * n]) rows.push_back(j);
      if (pat[best + static_cast<size_t>(j) * n]) cols.push_back(j);
    }
    for (int j : cols) {
      for (int i : rows) pat[i + static_cast<size_t>(j) * n] = 1;
    }
  }
  return order;
}

}  // namespace

SparseLu::SparseLu(int n, const std::vector<std::pair<int, int>>& pattern, Ordering ordering)
    : n_(n) {
  if (n < 1) throw std::invalid_argument("SparseLu: n must be at least 1, got " + std::to_string(n));
  const size_t nn = static_cast<size_t>(n) * n;
  std::vector<char> in_j(nn, 0);  // original indexing, column major
  for (const auto& [i, j] : pattern) {
    if (i < 0 || i >= n || j < 0 || j >= n) {
      throw std::invalid_argument("SparseLu: pattern entry (" + std::to_string(i) + ", " +
                                  std::to_string(j) + ") outside a " + std::to_string(n) + " x " +
                                  std::to_string(n) + " matrix");
    }
    in_j[i + static_cast<size_t>(j) * n] = 1;
  }

  if (ordering == Ordering::kNatural) {
    perm_.resize(n);
    for (int i = 0; i < n; ++i) perm_[i] = i;
  } else if (ordering == Ordering::kMarkowitz) {
    std::vector<char> with_diagonal = in_j;
    for (int k = 0; k < n; ++k) with_diagonal[k * (static_cast<size_t>(n) + 1)] = 1;
    perm_ = MarkowitzOrder(n, std::move(with_diagonal));
  } else {
    std::vector<char> sym(nn, 0);
    for (int j = 0; j < n; ++j) {
      for (int i = 0; i < n; ++i) {
        if (in_j[i + static_cast<size_t>(j) * n]) sym[static_cast<size_t>(i) * n + j] = sym[static_cast<size_t>(j) * n + i] = 1;
      }
    }
    perm_ = MinimumDegreeOrder(n, std::move(sym));
  }

  // Pattern of the permuted matrix (column major), then symbolic elimination with diagonal pivots:
  // entry (i, j), i, j > k, fills when (i, k) and (k, j) are non-zero. Exact for static pivots.
  // The diagonal of J is always loaded (it is part of every factor pattern anyway).
  std::vector<char> pat(nn, 0), loaded(nn, 0);
  for (int pi = 0; pi < n; ++pi) {  // row by row: consecutive loads update different columns
    diag_src_.push_back(static_cast<int>(perm_[pi] * (static_cast<size_t>(n) + 1)));
    for (int pj = 0; pj < n; ++pj) {
      const size_t src = perm_[pi] + static_cast<size_t>(perm_[pj]) * n;
      const size_t dst = pi + static_cast<size_t>(pj) * n;
      if (pi == pj) {
        pat[dst] = loaded[dst] = 1;
      } else if (in_j[src]) {
        pat[dst] = loaded[dst] = 1;
        load_.push_back({static_cast<int>(src), static_cast<int>(dst)});
      }
    }
  }
  for (int pj = 0; pj < n; ++pj) {  // column by column: consecutive entries are in different rows
    for (int pi = 0; pi < n; ++pi) {
      const size_t dst = pi + static_cast<size_t>(pj) * n;
      if (loaded[dst]) scale_ops_.push_back({static_cast<int>(dst), pi, pj});
    }
  }
  // Symbolic elimination; the steps with a non-empty column of L become the active steps.
  std::vector<int> l_rows, u_cols;
  for (int k = 0; k < n; ++k) {
    l_rows.clear();
    u_cols.clear();
    const size_t col_k = static_cast<size_t>(k) * n;
    for (int i = k + 1; i < n; ++i) {
      if (pat[i + col_k]) l_rows.push_back(i);
    }
    for (int j = k + 1; j < n; ++j) {
      if (pat[k + static_cast<size_t>(j) * n]) u_cols.push_back(j);
    }
    if (l_rows.empty()) continue;
    steps_.push_back({k, static_cast<int>(l_entries_.size()), static_cast<int>(u_pos_.size()),
                      static_cast<int>(targets_.size())});
    for (int i : l_rows) l_entries_.push_back({static_cast<int>(i + col_k), i});
    for (int j : u_cols) {
      const size_t col_j = static_cast<size_t>(j) * n;
      u_pos_.push_back(static_cast<int>(k + col_j));
      for (int i : l_rows) {
        pat[i + col_j] = 1;
        targets_.push_back(static_cast<int>(i + col_j));
      }
    }
  }
  steps_.push_back({n, static_cast<int>(l_entries_.size()), static_cast<int>(u_pos_.size()),
                    static_cast<int>(targets_.size())});
  flops_factor_ = static_cast<long>(targets_.size());
  // Triangular-solve operations w[target] -= a[value] w[source], in dependency order.
  for (int k = 0; k < n; ++k) {
    for (int i = k + 1; i < n; ++i) {
      if (pat[i + static_cast<size_t>(k) * n]) forward_.push_back({perm_[i], perm_[k]});  // l_entries_ order
    }
  }
  for (int k = n - 1; k >= 0; --k) {
    for (int i = 0; i < k; ++i) {
      if (!pat[i + static_cast<size_t>(k) * n]) continue;
      backward_.push_back({perm_[i], perm_[k]});
      u_scale_.push_back({static_cast<int>(i + static_cast<size_t>(k) * n), k});
    }
  }
  for (size_t q = 0; q < nn; ++q) {
    if (pat[q]) ++nnz_factors_;
    if (pat[q] && !loaded[q]) zero_.push_back(static_cast<int>(q));
  }
  a_.assign(nn, 0.0);
  inv_diag_.assign(n, 0.0);
  row_scale_.assign(n, 0.0);
  col_scale_.assign(n, 0.0);
  l_val_.assign(l_entries_.size(), 0.0);
  u_val_.assign(u_scale_.size(), 0.0);
  inv_diag_orig_.assign(n, 0.0);
  kernel_ = FindSparseLuKernel(Fingerprint());
}

bool SparseLu::BeatsDense() const {
  return 3.0 * static_cast<double>(flops_factor_) < static_cast<double>(n_) * n_ * n_ / 3.0;
}

// Loads M = c I - J into the permuted pattern and zeroes the fill-in.
bool SparseLu::Load(double c, const double* jac) {
  const int n = n_;
  double* a = a_.data();
  bool finite = true;
  for (const LoadOp& op : load_) {
    const double v = jac[op.src];
    finite &= std::fabs(v) <= DBL_MAX;
    a[op.dst] = -v;
  }
  for (int k = 0; k < n; ++k) {
    const double d = c - jac[diag_src_[k]];
    finite &= std::fabs(d) <= DBL_MAX;
    a[k + static_cast<size_t>(k) * n] = d;
  }
  for (int q : zero_) a[q] = 0.0;
  return finite;
}

// Scales for the pivot test (see the header): columns first, then rows of the column-scaled M.
void SparseLu::ComputeScales() {
  const int n = n_;
  const double* a = a_.data();
  double* col_scale = col_scale_.data();
  double* scale = row_scale_.data();
  for (int k = 0; k < n; ++k) col_scale[k] = 0.0;
  for (const ScaleOp& op : scale_ops_) col_scale[op.col] = std::max(col_scale[op.col], std::fabs(a[op.pos]));
  for (int k = 0; k < n; ++k) {
    col_scale[k] = col_scale[k] > 0.0 ? 1.0 / col_scale[k] : 1.0;
    scale[k] = 0.0;
  }
  for (const ScaleOp& op : scale_ops_) {
    scale[op.row] = std::max(scale[op.row], std::fabs(a[op.pos]) * col_scale[op.col]);
  }
  for (int k = 0; k < n; ++k) scale[k] = scale[k] > 0.0 ? 1.0 / scale[k] : 1.0;
}

// Right-looking elimination over the active steps; each step scales its column of L (checking
// the pivot against it) and applies its flat list of rank-1 updates.
bool SparseLu::Eliminate(double* min_ratio) {
  const int n = n_;
  double* a = a_.data();
  double* l = l_val_.data();
  const double* scale = row_scale_.data();
  double min_r = 1.0;
  const int num_steps = static_cast<int>(steps_.size()) - 1;
  for (int s = 0; s < num_steps; ++s) {
    const Step& step = steps_[s];
    const int k = step.k;
    const double pivot = a[k + static_cast<size_t>(k) * n];
    const double inv = 1.0 / pivot;
    const double scaled_pivot = std::fabs(pivot) * scale[k];
    double col_max = scaled_pivot;
    const int l_begin = step.l_begin, l_end = steps_[s + 1].l_begin;
    for (int r = l_begin; r < l_end; ++r) {
      const LEntry e = l_entries_[r];
      const double v = a[e.pos];
      col_max = std::max(col_max, std::fabs(v) * scale[e.row]);
      l[r] = v * inv;  // a_ does not need it: later steps read L from l_val_
    }
    // Written so that NaN fails: a NaN pivot makes every comparison false.
    if (!(scaled_pivot > 0.0 && col_max <= DBL_MAX && scaled_pivot >= kPivotTolerance * col_max)) return false;
    min_r = std::min(min_r, scaled_pivot / col_max);
    // Rank-1 update, one entry of U (one column of the matrix) at a time.
    const int num_l = l_end - l_begin;
    const double* l_k = l + l_begin;
    const int* target = targets_.data() + step.target_begin;
    for (int c = step.u_begin; c < steps_[s + 1].u_begin; ++c, target += num_l) {
      const double u_kj = a[u_pos_[c]];
      for (int r = 0; r < num_l; ++r) a[target[r]] -= l_k[r] * u_kj;
    }
  }
  *min_ratio = min_r;
  return true;
}

// Every pivot must be non-zero and finite, including those of steps without a column of L; then
// U above the diagonal divided by its column's pivot, for the backward solve.
bool SparseLu::Finish() {
  const int n = n_;
  const double* a = a_.data();
  bool pivots_ok = true;
  for (int k = 0; k < n; ++k) {
    const double pivot = a[k + static_cast<size_t>(k) * n];
    pivots_ok &= std::fabs(pivot) > 0.0 && std::fabs(pivot) <= DBL_MAX;
    inv_diag_[k] = 1.0 / pivot;
    inv_diag_orig_[perm_[k]] = inv_diag_[k];
  }
  double* u = u_val_.data();
  const int nu = static_cast<int>(u_scale_.size());
  for (int q = 0; q < nu; ++q) u[q] = a[u_scale_[q].pos] * inv_diag_[u_scale_[q].col];
  return pivots_ok;
}

bool SparseLu::Factor(double c, const double* jac) {
  // The equilibration is due after kRescaleEvery factorisations, a move of c by more than a
  // factor 2, or a refusal.
  const bool rescale = scale_age_ < 0 || scale_age_ >= kRescaleEvery || !(c <= 2 * scale_c_ && c >= 0.5 * scale_c_);
  const bool finite = std::fabs(c) <= DBL_MAX && Load(c, jac);
  if (!finite) {
    min_pivot_ratio_ = 0.0;
    scale_age_ = -1;
    return false;
  }
  if (rescale) {
    ComputeScales();
    scale_age_ = 0;
    scale_c_ = c;
  } else {
    ++scale_age_;
  }
  double min_ratio = 1.0;
  if (!Eliminate(&min_ratio)) {
    min_pivot_ratio_ = 0.0;
    if (!rescale) scale_age_ = kRescaleEvery;  // judge this matrix with fresh scales next time
    return false;
  }
  const bool pivots_ok = kernel_ != nullptr
                             ? kernel_->finish(a_.data(), inv_diag_.data(), inv_diag_orig_.data(), u_val_.data())
                             : Finish();
  min_pivot_ratio_ = pivots_ok ? min_ratio : 0.0;
  return pivots_ok;
}

// In the original indexing throughout: x = b; forward substitution with the unit L; backward with
// U D^-1 (D = diag(U)); x = D^-1 x. The permutation lives in the operations' indices.
void SparseLu::Solve(const double* b, double* x) const {
  const int n = n_;
  if (x != b) std::copy(b, b + n, x);
  if (kernel_ != nullptr) {
    kernel_->solve(l_val_.data(), u_val_.data(), inv_diag_orig_.data(), x);
    return;
  }
  const double* l = l_val_.data();
  const int nl = static_cast<int>(forward_.size());
  for (int q = 0; q < nl; ++q) x[forward_[q].target] -= l[q] * x[forward_[q].source];
  const double* u = u_val_.data();
  const int nu = static_cast<int>(backward_.size());
  for (int q = 0; q < nu; ++q) x[backward_[q].target] -= u[q] * x[backward_[q].source];
  const double* inv = inv_diag_orig_.data();
  for (int i = 0; i < n; ++i) x[i] *= inv[i];
}

}  // namespace biotwin::sim
