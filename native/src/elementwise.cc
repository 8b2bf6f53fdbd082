#include <cmath>

#include "kernels.h"
#include "pool.h"

namespace dn {

namespace {

// Elementwise work is memory-bound: a second thread only pays off on large arrays.
constexpr int64_t kGrain = 1 << 15;

// Op codes must match src/native/ops.ts.
enum Unary {
  U_NEG, U_EXP, U_LOG, U_SQRT, U_SQUARE, U_RELU, U_RELU6, U_ABS, U_SIGMOID, U_TANH, U_STEP, U_RECIPROCAL,
  U_RSQRT, U_ELU, U_LEAKY, U_LOG1P, U_EXPM1, U_COPY
};
enum Binary { B_ADD, B_SUB, B_MUL, B_DIV, B_MAX, B_MIN, B_SQDIFF, B_POW };

template <class F>
void map1(const float* x, float* y, int64_t n, F f) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    // A local copy: through the reference, captured constants (alpha) could alias y, which
    // keeps the loop from being vectorized (and leaves it branchy: Step, LeakyRelu ran 50x slower).
    const F g = f;
    for (int64_t i = b; i < e; i++) y[i] = g(x[i]);
  });
}

inline bool isnan_(float v) { return v != v; }

template <class F>
void inner(const float* a, int sa, const float* b, int sb, float* o, int64_t n, F f) {
  if (sa && sb) {
    for (int64_t i = 0; i < n; i++) o[i] = f(a[i], b[i]);
  } else if (sa) {
    const float bv = *b;
    for (int64_t i = 0; i < n; i++) o[i] = f(a[i], bv);
  } else if (sb) {
    const float av = *a;
    for (int64_t i = 0; i < n; i++) o[i] = f(av, b[i]);
  } else {
    const float v = f(*a, *b);
    for (int64_t i = 0; i < n; i++) o[i] = v;
  }
}

// Walks output rows [r0, r1) of the collapsed shape; the last axis is the inner loop.
template <class F>
void rows(const float* a, const float* b, float* out, int rank, const int* shape, const int* sa, const int* sb,
          int64_t r0, int64_t r1, F f) {
  const int64_t n = shape[rank - 1];
  int idx[8] = {0};
  int64_t rem = r0, oa = 0, ob = 0;
  for (int d = rank - 2; d >= 0; d--) {
    idx[d] = int(rem % shape[d]);
    rem /= shape[d];
    oa += int64_t(idx[d]) * sa[d];
    ob += int64_t(idx[d]) * sb[d];
  }
  for (int64_t r = r0; r < r1; r++) {
    inner(a + oa, sa[rank - 1], b + ob, sb[rank - 1], out + r * n, n, f);
    for (int d = rank - 2; d >= 0; d--) {
      oa += sa[d];
      ob += sb[d];
      if (++idx[d] < shape[d]) break;
      oa -= int64_t(sa[d]) * shape[d];
      ob -= int64_t(sb[d]) * shape[d];
      idx[d] = 0;
    }
  }
}

template <class F>
void binary_op(const float* a, const float* b, float* out, int rank, const int* shape, const int* sa, const int* sb,
               F f) {
  int64_t nrows = 1;
  for (int d = 0; d < rank - 1; d++) nrows *= shape[d];
  const int64_t n = shape[rank - 1];
  if (nrows * n == 0) return;
  if (nrows == 1) {
    parallel_for(n, kGrain, [&](int64_t b0, int64_t e0) {
      inner(a + (sa[rank - 1] ? b0 : 0), sa[rank - 1], b + (sb[rank - 1] ? b0 : 0), sb[rank - 1], out + b0, e0 - b0, f);
    });
    return;
  }
  parallel_for(nrows, std::max<int64_t>(1, kGrain / std::max<int64_t>(n, 1)),
               [&](int64_t r0, int64_t r1) { rows(a, b, out, rank, shape, sa, sb, r0, r1, f); });
}

}  // namespace

void unary(int op, const float* x, float* y, int64_t n, float alpha) {
  switch (op) {
    case U_NEG: return map1(x, y, n, [](float v) { return -v; });
    case U_EXP: return map1(x, y, n, [](float v) { return std::exp(v); });
    case U_LOG: return map1(x, y, n, [](float v) { return std::log(v); });
    case U_SQRT: return map1(x, y, n, [](float v) { return std::sqrt(v); });
    case U_SQUARE: return map1(x, y, n, [](float v) { return v * v; });
    case U_RELU: return map1(x, y, n, [](float v) { return isnan_(v) ? v : (v > 0.f ? v : 0.f); });
    case U_RELU6: return map1(x, y, n, [](float v) { return isnan_(v) ? v : (v > 0.f ? (v < 6.f ? v : 6.f) : 0.f); });
    case U_ABS: return map1(x, y, n, [](float v) { return std::fabs(v); });
    case U_SIGMOID: return map1(x, y, n, [](float v) { return float(1.0 / (1.0 + std::exp(-double(v)))); });
    case U_TANH: return map1(x, y, n, [](float v) { return std::tanh(v); });
    case U_STEP: return map1(x, y, n, [alpha](float v) { return isnan_(v) ? v : (v > 0.f ? 1.f : alpha); });
    case U_RECIPROCAL: return map1(x, y, n, [](float v) { return 1.f / v; });
    case U_RSQRT: return map1(x, y, n, [](float v) { return float(1.0 / std::sqrt(double(v))); });
    case U_ELU: return map1(x, y, n, [](float v) { return v >= 0.f ? v : float(std::exp(double(v)) - 1.0); });
    case U_LEAKY: return map1(x, y, n, [alpha](float v) { return v < 0.f ? alpha * v : v; });
    case U_LOG1P: return map1(x, y, n, [](float v) { return std::log1p(v); });
    case U_EXPM1: return map1(x, y, n, [](float v) { return std::expm1(v); });
    default: return map1(x, y, n, [](float v) { return v; });
  }
}

void binary(int op, const float* a, const float* b, float* out, int rank, const int* shape, const int* sa,
            const int* sb) {
  switch (op) {
    case B_ADD: return binary_op(a, b, out, rank, shape, sa, sb, [](float x, float y) { return x + y; });
    case B_SUB: return binary_op(a, b, out, rank, shape, sa, sb, [](float x, float y) { return x - y; });
    case B_MUL: return binary_op(a, b, out, rank, shape, sa, sb, [](float x, float y) { return x * y; });
    case B_DIV: return binary_op(a, b, out, rank, shape, sa, sb, [](float x, float y) { return x / y; });
    case B_MAX:
      return binary_op(a, b, out, rank, shape, sa, sb,
                       [](float x, float y) { return isnan_(x) || isnan_(y) ? NAN : (x > y ? x : y); });
    case B_MIN:
      return binary_op(a, b, out, rank, shape, sa, sb,
                       [](float x, float y) { return isnan_(x) || isnan_(y) ? NAN : (x < y ? x : y); });
    case B_SQDIFF:
      return binary_op(a, b, out, rank, shape, sa, sb, [](float x, float y) { return (x - y) * (x - y); });
    case B_POW:
      return binary_op(a, b, out, rank, shape, sa, sb,
                       [](float x, float y) { return float(std::pow(double(x), double(y))); });
  }
}

}  // namespace dn
