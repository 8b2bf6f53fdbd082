#include <cmath>
#include <vector>

#include "kernels.h"
#include "pool.h"

namespace dn {

namespace {

constexpr int64_t kGrain = 1 << 15;

inline bool isnan_(float v) { return v != v; }

// Sums accumulate in double, as TF.js's cpu kernels do (JS numbers), so results agree closely.
void reduce_inner1(int op, const float* x, float* y, int64_t outer, int64_t red) {
  parallel_for(outer, std::max<int64_t>(1, kGrain / std::max<int64_t>(red, 1)), [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; o++) {
      const float* r = x + o * red;
      if (op == RED_SUM || op == RED_MEAN) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int64_t i = 0;
        for (; i + 4 <= red; i += 4) {
          s0 += r[i];
          s1 += r[i + 1];
          s2 += r[i + 2];
          s3 += r[i + 3];
        }
        for (; i < red; i++) s0 += r[i];
        double s = (s0 + s1) + (s2 + s3);
        y[o] = op == RED_MEAN ? float(s / double(red)) : float(s);
      } else if (op == RED_PROD) {
        double p = 1;
        for (int64_t i = 0; i < red; i++) p *= r[i];
        y[o] = float(p);
      } else {
        float m = r[0];
        bool nan = false;
        if (op == RED_MAX)
          for (int64_t i = 0; i < red; i++) { nan |= isnan_(r[i]); m = r[i] > m ? r[i] : m; }
        else
          for (int64_t i = 0; i < red; i++) { nan |= isnan_(r[i]); m = r[i] < m ? r[i] : m; }
        y[o] = nan ? NAN : m;
      }
    }
  });
}

// Reduces over a middle axis with a contiguous inner run: rows accumulate into a vector of `inner`.
void reduce_strided(int op, const float* x, float* y, int64_t outer, int64_t red, int64_t inner) {
  // Each output element costs `red` reads: split by that work (a bias gradient is one row of outputs).
  parallel_for(outer * inner, std::max<int64_t>(16, kGrain / red), [&](int64_t b, int64_t e) {
    std::vector<double> acc;
    for (int64_t o = b / inner; o * inner < e; o++) {
      int64_t j0 = std::max(b, o * inner) - o * inner, j1 = std::min(e, (o + 1) * inner) - o * inner;
      const float* base = x + o * red * inner;
      float* out = y + o * inner;
      if (op == RED_SUM || op == RED_MEAN || op == RED_PROD) {
        acc.assign(size_t(j1 - j0), op == RED_PROD ? 1.0 : 0.0);
        for (int64_t r = 0; r < red; r++) {
          const float* row = base + r * inner;
          if (op == RED_PROD)
            for (int64_t j = j0; j < j1; j++) acc[j - j0] *= row[j];
          else
            for (int64_t j = j0; j < j1; j++) acc[j - j0] += row[j];
        }
        for (int64_t j = j0; j < j1; j++) out[j] = float(op == RED_MEAN ? acc[j - j0] / double(red) : acc[j - j0]);
      } else {
        for (int64_t j = j0; j < j1; j++) out[j] = base[j];
        for (int64_t r = 1; r < red; r++) {
          const float* row = base + r * inner;
          if (op == RED_MAX)
            for (int64_t j = j0; j < j1; j++) out[j] = (isnan_(row[j]) || row[j] > out[j]) ? row[j] : out[j];
          else
            for (int64_t j = j0; j < j1; j++) out[j] = (isnan_(row[j]) || row[j] < out[j]) ? row[j] : out[j];
        }
        // A NaN seen earlier must survive later comparisons.
        for (int64_t j = j0; j < j1; j++)
          for (int64_t r = 0; r < red && !isnan_(out[j]); r++)
            if (isnan_(base[r * inner + j])) out[j] = NAN;
      }
    }
  });
}

}  // namespace

void reduce(int op, const float* x, float* y, int64_t outer, int64_t red, int64_t inner) {
  if (outer * inner == 0) return;
  if (red == 0) {
    float v = op == RED_PROD ? 1.f : op == RED_MAX ? -INFINITY : op == RED_MIN ? INFINITY : op == RED_MEAN ? NAN : 0.f;
    for (int64_t i = 0; i < outer * inner; i++) y[i] = v;
    return;
  }
  if (inner == 1) reduce_inner1(op, x, y, outer, red);
  else reduce_strided(op, x, y, outer, red, inner);
}

void softmax_rows(const float* x, float* y, int64_t rows, int64_t n, bool log) {
  if (n == 0) return;
  parallel_for(rows, std::max<int64_t>(1, kGrain / n), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xi = x + r * n;
      float* yi = y + r * n;
      float m = xi[0];
      bool nan = false;
      for (int64_t j = 0; j < n; j++) { nan |= isnan_(xi[j]); m = xi[j] > m ? xi[j] : m; }
      if (nan) m = NAN;
      double s = 0;
      for (int64_t j = 0; j < n; j++) {
        float e = std::exp(xi[j] - m);
        s += e;
        if (!log) yi[j] = e;
      }
      const float sf = float(s);
      if (log) {
        const float ls = std::log(sf);
        for (int64_t j = 0; j < n; j++) yi[j] = (xi[j] - m) - ls;
      } else {
        for (int64_t j = 0; j < n; j++) yi[j] = yi[j] / sf;
      }
    }
  });
}

void transpose(const float* x, float* y, int rank, const int* shape, const int* perm) {
  int64_t inStride[8], outShape[8], srcStride[8];
  int64_t total = 1;
  for (int d = rank - 1; d >= 0; d--) {
    inStride[d] = total;
    total *= shape[d];
  }
  if (total == 0) return;
  for (int d = 0; d < rank; d++) {
    outShape[d] = shape[perm[d]];
    srcStride[d] = inStride[perm[d]];
  }
  const int64_t n = outShape[rank - 1], s = srcStride[rank - 1];
  const int64_t nrows = total / n;
  parallel_for(nrows, std::max<int64_t>(1, kGrain / n), [&](int64_t r0, int64_t r1) {
    int64_t idx[8] = {0}, rem = r0, off = 0;
    for (int d = rank - 2; d >= 0; d--) {
      idx[d] = rem % outShape[d];
      rem /= outShape[d];
      off += idx[d] * srcStride[d];
    }
    for (int64_t r = r0; r < r1; r++) {
      float* out = y + r * n;
      const float* src = x + off;
      for (int64_t j = 0; j < n; j++) out[j] = src[j * s];
      for (int d = rank - 2; d >= 0; d--) {
        off += srcStride[d];
        if (++idx[d] < outShape[d]) break;
        off -= srcStride[d] * outShape[d];
        idx[d] = 0;
      }
    }
  });
}

}  // namespace dn
