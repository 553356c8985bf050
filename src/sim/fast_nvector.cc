#include "sim/fast_nvector.h"

#include <nvector/nvector_serial.h>

#include <cmath>

namespace biotwin::sim {
namespace {

inline double* D(N_Vector v) { return NV_DATA_S(v); }
inline sunindextype Len(N_Vector v) { return NV_LENGTH_S(v); }

// z = a x + b y with the serial kernel's special cases, which associate differently (a == b:
// a (x + y); a == -b: a (x - y)), so the results agree to the bit.
void LinearSum(realtype a, N_Vector x, realtype b, N_Vector y, N_Vector z) {
  const double *xd = D(x), *yd = D(y);
  double* zd = D(z);
  const sunindextype n = Len(x);
  if (a == 1.0 && b == 1.0) {
    for (sunindextype i = 0; i < n; ++i) zd[i] = xd[i] + yd[i];
  } else if (a == 1.0 && b == -1.0) {
    for (sunindextype i = 0; i < n; ++i) zd[i] = xd[i] - yd[i];
  } else if (a == -1.0 && b == 1.0) {
    for (sunindextype i = 0; i < n; ++i) zd[i] = yd[i] - xd[i];
  } else if (a == 1.0) {
    for (sunindextype i = 0; i < n; ++i) zd[i] = b * yd[i] + xd[i];
  } else if (b == 1.0) {
    for (sunindextype i = 0; i < n; ++i) zd[i] = a * xd[i] + yd[i];
  } else if (a == -1.0) {
    for (sunindextype i = 0; i < n; ++i) zd[i] = b * yd[i] - xd[i];
  } else if (b == -1.0) {
    for (sunindextype i = 0; i < n; ++i) zd[i] = a * xd[i] - yd[i];
  } else if (a == b) {
    for (sunindextype i = 0; i < n; ++i) zd[i] = a * (xd[i] + yd[i]);
  } else if (a == -b) {
    for (sunindextype i = 0; i < n; ++i) zd[i] = a * (xd[i] - yd[i]);
  } else {
    for (sunindextype i = 0; i < n; ++i) zd[i] = a * xd[i] + b * yd[i];
  }
}

void Const(realtype c, N_Vector z) {
  double* zd = D(z);
  const sunindextype n = Len(z);
  for (sunindextype i = 0; i < n; ++i) zd[i] = c;
}

void Prod(N_Vector x, N_Vector y, N_Vector z) {
  const double *xd = D(x), *yd = D(y);
  double* zd = D(z);
  const sunindextype n = Len(x);
  for (sunindextype i = 0; i < n; ++i) zd[i] = xd[i] * yd[i];
}

void Div(N_Vector x, N_Vector y, N_Vector z) {
  const double *xd = D(x), *yd = D(y);
  double* zd = D(z);
  const sunindextype n = Len(x);
  for (sunindextype i = 0; i < n; ++i) zd[i] = xd[i] / yd[i];
}

void Scale(realtype c, N_Vector x, N_Vector z) {
  const double* xd = D(x);
  double* zd = D(z);
  const sunindextype n = Len(x);
  for (sunindextype i = 0; i < n; ++i) zd[i] = c * xd[i];
}

void Abs(N_Vector x, N_Vector z) {
  const double* xd = D(x);
  double* zd = D(z);
  const sunindextype n = Len(x);
  for (sunindextype i = 0; i < n; ++i) zd[i] = std::fabs(xd[i]);
}

void Inv(N_Vector x, N_Vector z) {
  const double* xd = D(x);
  double* zd = D(z);
  const sunindextype n = Len(x);
  for (sunindextype i = 0; i < n; ++i) zd[i] = 1.0 / xd[i];
}

void AddConst(N_Vector x, realtype b, N_Vector z) {
  const double* xd = D(x);
  double* zd = D(z);
  const sunindextype n = Len(x);
  for (sunindextype i = 0; i < n; ++i) zd[i] = xd[i] + b;
}

// Reductions accumulate in index order, as the serial vector does.
realtype DotProd(N_Vector x, N_Vector y) {
  const double *xd = D(x), *yd = D(y);
  const sunindextype n = Len(x);
  double sum = 0.0;
  for (sunindextype i = 0; i < n; ++i) sum += xd[i] * yd[i];
  return sum;
}

realtype MaxNorm(N_Vector x) {
  const double* xd = D(x);
  const sunindextype n = Len(x);
  double m = 0.0;
  for (sunindextype i = 0; i < n; ++i) {
    if (std::fabs(xd[i]) > m) m = std::fabs(xd[i]);
  }
  return m;
}

realtype WSqrSum(N_Vector x, N_Vector w) {
  const double *xd = D(x), *wd = D(w);
  const sunindextype n = Len(x);
  double sum = 0.0;
  for (sunindextype i = 0; i < n; ++i) {
    const double p = xd[i] * wd[i];
    sum += p * p;
  }
  return sum;
}

realtype WSqrSumMask(N_Vector x, N_Vector w, N_Vector id) {
  const double *xd = D(x), *wd = D(w), *idd = D(id);
  const sunindextype n = Len(x);
  double sum = 0.0;
  for (sunindextype i = 0; i < n; ++i) {
    if (idd[i] > 0.0) {
      const double p = xd[i] * wd[i];
      sum += p * p;
    }
  }
  return sum;
}

realtype WrmsNorm(N_Vector x, N_Vector w) { return std::sqrt(WSqrSum(x, w) / static_cast<double>(Len(x))); }

realtype WrmsNormMask(N_Vector x, N_Vector w, N_Vector id) {
  return std::sqrt(WSqrSumMask(x, w, id) / static_cast<double>(Len(x)));
}

realtype Min(N_Vector x) {
  const double* xd = D(x);
  const sunindextype n = Len(x);
  double m = xd[0];
  for (sunindextype i = 1; i < n; ++i) {
    if (xd[i] < m) m = xd[i];
  }
  return m;
}

// Fused and array operations. Each element is finished before the next, reading every input
// element first, so outputs may alias inputs as SUNDIALS allows.
int LinearCombination(int nvec, realtype* c, N_Vector* x, N_Vector z) {
  double* zd = D(z);
  const sunindextype n = Len(z);
  if (nvec == 1) {
    Scale(c[0], x[0], z);
    return 0;
  }
  if (nvec == 2) {
    LinearSum(c[0], x[0], c[1], x[1], z);
    return 0;
  }
  // Same association as the serial kernel: z = c0 x0, then z += cj xj for j = 1, 2, ...
  for (sunindextype i = 0; i < n; ++i) {
    double s = c[0] * D(x[0])[i];
    for (int j = 1; j < nvec; ++j) s += c[j] * D(x[j])[i];
    zd[i] = s;
  }
  return 0;
}

int ScaleAddMulti(int nvec, realtype* a, N_Vector x, N_Vector* y, N_Vector* z) {
  const double* xd = D(x);
  const sunindextype n = Len(x);
  if (nvec == 1) {
    LinearSum(a[0], x, 1.0, y[0], z[0]);
    return 0;
  }
  for (int j = 0; j < nvec; ++j) {
    const double* yd = D(y[j]);
    double* zd = D(z[j]);
    const double aj = a[j];
    for (sunindextype i = 0; i < n; ++i) zd[i] = aj * xd[i] + yd[i];
  }
  return 0;
}

int DotProdMulti(int nvec, N_Vector x, N_Vector* y, realtype* d) {
  for (int j = 0; j < nvec; ++j) d[j] = DotProd(x, y[j]);
  return 0;
}

int LinearSumVectorArray(int nvec, realtype a, N_Vector* x, realtype b, N_Vector* y, N_Vector* z) {
  for (int j = 0; j < nvec; ++j) LinearSum(a, x[j], b, y[j], z[j]);
  return 0;
}

int ScaleVectorArray(int nvec, realtype* c, N_Vector* x, N_Vector* z) {
  for (int j = 0; j < nvec; ++j) Scale(c[j], x[j], z[j]);
  return 0;
}

int ConstVectorArray(int nvec, realtype c, N_Vector* z) {
  for (int j = 0; j < nvec; ++j) Const(c, z[j]);
  return 0;
}

int WrmsNormVectorArray(int nvec, N_Vector* x, N_Vector* w, realtype* nrm) {
  for (int j = 0; j < nvec; ++j) nrm[j] = WrmsNorm(x[j], w[j]);
  return 0;
}

int WrmsNormMaskVectorArray(int nvec, N_Vector* x, N_Vector* w, N_Vector id, realtype* nrm) {
  for (int j = 0; j < nvec; ++j) nrm[j] = WrmsNormMask(x[j], w[j], id);
  return 0;
}

// Z[j][i] = a[j] X[i] + Y[j][i] for the nvec vectors i and nsum terms j.
int ScaleAddMultiVectorArray(int nvec, int nsum, realtype* a, N_Vector* x, N_Vector** y, N_Vector** z) {
  for (int i = 0; i < nvec; ++i) {
    const double* xd = D(x[i]);
    const sunindextype n = Len(x[i]);
    for (int j = 0; j < nsum; ++j) {
      const double* yd = D(y[j][i]);
      double* zd = D(z[j][i]);
      const double aj = a[j];
      for (sunindextype k = 0; k < n; ++k) zd[k] = aj * xd[k] + yd[k];
    }
  }
  return 0;
}

// Z[i] = sum_j c[j] X[j][i].
int LinearCombinationVectorArray(int nvec, int nsum, realtype* c, N_Vector** x, N_Vector* z) {
  if (nsum == 1) {
    for (int i = 0; i < nvec; ++i) Scale(c[0], x[0][i], z[i]);
    return 0;
  }
  if (nsum == 2) {
    for (int i = 0; i < nvec; ++i) LinearSum(c[0], x[0][i], c[1], x[1][i], z[i]);
    return 0;
  }
  for (int i = 0; i < nvec; ++i) {
    double* zd = D(z[i]);
    const sunindextype n = Len(z[i]);
    for (sunindextype k = 0; k < n; ++k) {
      double s = c[0] * D(x[0][i])[k];
      for (int j = 1; j < nsum; ++j) s += c[j] * D(x[j][i])[k];
      zd[k] = s;
    }
  }
  return 0;
}

template <typename Fn>
void Replace(Fn*& op, Fn* fast) {
  if (op != nullptr) op = fast;
}

}  // namespace

void UseFastVectorOps(N_Vector v) {
  if (v == nullptr || N_VGetVectorID(v) != SUNDIALS_NVEC_SERIAL) return;
  N_Vector_Ops o = v->ops;
  Replace(o->nvlinearsum, &LinearSum);
  Replace(o->nvconst, &Const);
  Replace(o->nvprod, &Prod);
  Replace(o->nvdiv, &Div);
  Replace(o->nvscale, &Scale);
  Replace(o->nvabs, &Abs);
  Replace(o->nvinv, &Inv);
  Replace(o->nvaddconst, &AddConst);
  Replace(o->nvdotprod, &DotProd);
  Replace(o->nvmaxnorm, &MaxNorm);
  Replace(o->nvwrmsnorm, &WrmsNorm);
  Replace(o->nvwrmsnormmask, &WrmsNormMask);
  Replace(o->nvmin, &Min);
  Replace(o->nvdotprodlocal, &DotProd);
  Replace(o->nvmaxnormlocal, &MaxNorm);
  Replace(o->nvminlocal, &Min);
  Replace(o->nvwsqrsumlocal, &WSqrSum);
  Replace(o->nvwsqrsummasklocal, &WSqrSumMask);
  Replace(o->nvlinearcombination, &LinearCombination);
  Replace(o->nvscaleaddmulti, &ScaleAddMulti);
  Replace(o->nvdotprodmulti, &DotProdMulti);
  Replace(o->nvlinearsumvectorarray, &LinearSumVectorArray);
  Replace(o->nvscalevectorarray, &ScaleVectorArray);
  Replace(o->nvconstvectorarray, &ConstVectorArray);
  Replace(o->nvwrmsnormvectorarray, &WrmsNormVectorArray);
  Replace(o->nvwrmsnormmaskvectorarray, &WrmsNormMaskVectorArray);
  Replace(o->nvscaleaddmultivectorarray, &ScaleAddMultiVectorArray);
  Replace(o->nvlinearcombinationvectorarray, &LinearCombinationVectorArray);
}

}  // namespace biotwin::sim
