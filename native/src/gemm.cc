#include <cblas.h>

#include <cmath>

#include "kernels.h"
#include "pool.h"

namespace dn {

namespace {

inline float activate(float v, int act, float alpha) {
  switch (act) {
    case ACT_RELU: return v != v ? v : (v > 0.f ? v : 0.f);
    case ACT_RELU6: return v != v ? v : std::fmin(std::fmax(v, 0.f), 6.f);
    case ACT_LEAKY: return v < 0.f ? alpha * v : v;
    case ACT_SIGMOID: return 1.f / (1.f + std::exp(-v));
    case ACT_ELU: return v >= 0.f ? v : std::expm1(v);
    default: return v;
  }
}

void epilogue(float* C, int ldc, int rows, int cols, const float* bias, int act, float alpha) {
  if (!bias && act == ACT_LINEAR) return;
  for (int i = 0; i < rows; i++) {
    float* c = C + int64_t(i) * ldc;
    if (bias)
      for (int j = 0; j < cols; j++) c[j] += bias[j];
    if (act == ACT_RELU) {
      for (int j = 0; j < cols; j++) c[j] = c[j] != c[j] ? c[j] : (c[j] > 0.f ? c[j] : 0.f);
    } else if (act != ACT_LINEAR) {
      for (int j = 0; j < cols; j++) c[j] = activate(c[j], act, alpha);
    }
  }
}

// Below this many multiply-adds the second thread costs more than it saves.
constexpr double kParallelMacs = 1 << 20;

}  // namespace

void blas_set_threads(int n) { openblas_set_num_threads(n); }

void gemm(bool ta, bool tb, int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C,
          int ldc, bool accumulate, const float* bias, int act, float alpha) {
  if (M <= 0 || N <= 0) return;
  const float beta = accumulate ? 1.f : 0.f;
  auto run = [&](int m0, int m1, int n0, int n1) {
    int rows = m1 - m0, cols = n1 - n0;
    if (rows <= 0 || cols <= 0) return;
    const float* a = A + (ta ? m0 : int64_t(m0) * lda);
    const float* b = B + (tb ? int64_t(n0) * ldb : n0);
    float* c = C + int64_t(m0) * ldc + n0;
    if (K == 0) {
      for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) c[int64_t(i) * ldc + j] = accumulate ? c[int64_t(i) * ldc + j] : 0.f;
    } else {
      cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, rows, cols, K, 1.f,
                  a, lda, b, ldb, beta, c, ldc);
    }
    epilogue(c, ldc, rows, cols, bias ? bias + n0 : nullptr, act, alpha);
  };
  int T = pool_threads();
  double macs = double(M) * N * (K > 0 ? K : 1);
  if (T <= 1 || macs < kParallelMacs) {
    run(0, M, 0, N);
    return;
  }
  // Split the larger output dimension (each task packs only its share of that operand), in a few
  // more tasks than threads so a descheduled thread leaves its share to the others.
  bool splitN = N >= M;
  int dim = splitN ? N : M, align = splitN ? 16 : 4;
  int chunks = std::min(2 * T, std::max(1, dim / align));
  using Run = decltype(run);
  struct Ctx { Run* run; int dim, align, M, N; bool splitN; } ctx{&run, dim, align, M, N, splitN};
  pool_run(chunks, [](void* p, int tid, int nt) {
    auto* c = static_cast<Ctx*>(p);
    int per = (c->dim + nt - 1) / nt;
    per = (per + c->align - 1) / c->align * c->align;
    int b = std::min(c->dim, per * tid), e = std::min(c->dim, b + per);
    if (c->splitN) (*c->run)(0, c->M, b, e);
    else (*c->run)(b, e, 0, c->N);
  }, &ctx);
}

void gemm_blas_threads(int M, int N, int K, const float* A, const float* B, float* C, int threads) {
  openblas_set_num_threads(threads);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.f, A, K, B, N, 0.f, C, N);
  openblas_set_num_threads(1);
}

}  // namespace dn
