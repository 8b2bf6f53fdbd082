// Kernels on raw float buffers: the N-API layer (addon.cc) only unpacks arguments and calls these.
#pragma once
#include <cstdint>

namespace dn {

enum Act { ACT_LINEAR = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_LEAKY = 3, ACT_SIGMOID = 4, ACT_ELU = 5 };

/** C[M,N] = op(A) op(B) (+ C when accumulate), row-major, split across the pool; then C += bias[N] and act. */
void gemm(bool ta, bool tb, int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C,
          int ldc, bool accumulate, const float* bias, int act, float alpha);
/** GEMM using OpenBLAS's own threads (for the sgemm benchmark's comparison). */
void gemm_blas_threads(int M, int N, int K, const float* A, const float* B, float* C, int threads);
void blas_set_threads(int n);

void unary(int op, const float* x, float* y, int64_t n, float alpha);
/** out[i] = a op b over a collapsed broadcast: rank dims `shape`, element strides sa/sb (0 = broadcast). */
void binary(int op, const float* a, const float* b, float* out, int rank, const int* shape, const int* sa,
            const int* sb);

enum Reduce { RED_SUM = 0, RED_MAX = 1, RED_MIN = 2, RED_MEAN = 3, RED_PROD = 4 };
/** x viewed as [outer, red, inner] reduced over the middle axis into y[outer, inner]. */
void reduce(int op, const float* x, float* y, int64_t outer, int64_t red, int64_t inner);
/** Softmax (or log-softmax) of each contiguous row of length n. */
void softmax_rows(const float* x, float* y, int64_t rows, int64_t n, bool log);
/** y = transpose(x, perm) for rank <= 8. */
void transpose(const float* x, float* y, int rank, const int* shape, const int* perm);

struct ConvGeom {
  int batch, inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, dilH, dilW, padTop, padLeft;
};
/** NHWC forward convolution via im2col + GEMM; filter [kH, kW, inC, outC]. */
void conv2d(const ConvGeom& g, const float* x, const float* w, float* y);
/** dx [batch, inH, inW, inC] from dy [batch, outH, outW, outC]. */
void conv2d_backprop_input(const ConvGeom& g, const float* dy, const float* w, float* dx);
/** dw [kH, kW, inC, outC] from x and dy. */
void conv2d_backprop_filter(const ConvGeom& g, const float* x, const float* dy, float* dw);

/** In-place Adam step, op by op in float32 exactly as TF.js's AdamOptimizer computes it. */
void adam(float* value, float* m, float* v, const float* g, int64_t n, float beta1, float oneMinusBeta1,
          float beta2, float oneMinusBeta2, float oneMinusAccBeta1, float oneMinusAccBeta2, float eps,
          float negLr);

}  // namespace dn
