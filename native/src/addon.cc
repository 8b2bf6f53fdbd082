// N-API surface: unpacks typed arrays and numbers, then calls the kernels. The TypeScript side
// (src/native/addon.ts) validates shapes and types, so arguments are trusted here.
#include <napi.h>

#include <cstdlib>

#include "kernels.h"
#include "pool.h"

namespace {

template <class T>
T* ptr(const Napi::CallbackInfo& info, size_t i) {
  if (info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  napi_typedarray_type type;
  size_t length;
  void* data;
  napi_value buf;
  size_t offset;
  napi_get_typedarray_info(info.Env(), info[i], &type, &length, &data, &buf, &offset);
  return static_cast<T*>(data);
}

inline double num(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().DoubleValue(); }
inline int inum(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int32Value(); }

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  dn::blas_set_threads(1);  // our pool splits GEMMs; OpenBLAS threads would compete with it
  dn::pool_init(inum(info, 0));
  return Napi::Number::New(info.Env(), dn::pool_threads());
}

Napi::Value Threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), dn::pool_threads()); }

// gemm(ta, tb, M, N, K, A, B, C, batch, batchA, batchB, bias|null, act, alpha)
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  bool ta = info[0].As<Napi::Boolean>(), tb = info[1].As<Napi::Boolean>();
  int M = inum(info, 2), N = inum(info, 3), K = inum(info, 4);
  const float* A = ptr<float>(info, 5);
  const float* B = ptr<float>(info, 6);
  float* C = ptr<float>(info, 7);
  int batch = inum(info, 8), batchA = inum(info, 9), batchB = inum(info, 10);
  const float* bias = ptr<float>(info, 11);
  int act = inum(info, 12);
  float alpha = float(num(info, 13));
  const int lda = ta ? M : K, ldb = tb ? K : N;
  const int64_t sA = int64_t(M) * K, sB = int64_t(K) * N, sC = int64_t(M) * N;
  if (batch == 1) {
    dn::gemm(ta, tb, M, N, K, A, lda, B, ldb, C, N, false, bias, act, alpha);
  } else {
    // Many small products: one whole product per task beats splitting each.
    dn::parallel_for(batch, double(M) * N * K >= (1 << 21) ? batch : 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; b++)
        dn::gemm(ta, tb, M, N, K, A + (b % batchA) * sA, lda, B + (b % batchB) * sB, ldb, C + b * sC, N, false, bias,
                 act, alpha);
    });
  }
  return info.Env().Undefined();
}

// gemmBlas(M, N, K, A, B, C, threads): OpenBLAS's own threading, for comparison in `bench sgemm`.
Napi::Value GemmBlas(const Napi::CallbackInfo& info) {
  dn::gemm_blas_threads(inum(info, 0), inum(info, 1), inum(info, 2), ptr<float>(info, 3), ptr<float>(info, 4),
                        ptr<float>(info, 5), inum(info, 6));
  return info.Env().Undefined();
}

// unary(op, x, y, alpha)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  size_t n = info[2].As<Napi::TypedArray>().ElementLength();
  dn::unary(inum(info, 0), ptr<float>(info, 1), ptr<float>(info, 2), int64_t(n), float(num(info, 3)));
  return info.Env().Undefined();
}

// binary(op, a, b, out, rank, dims: Int32Array [shape(rank), strideA(rank), strideB(rank)])
Napi::Value Binary(const Napi::CallbackInfo& info) {
  int rank = inum(info, 4);
  const int* d = ptr<int>(info, 5);
  dn::binary(inum(info, 0), ptr<float>(info, 1), ptr<float>(info, 2), ptr<float>(info, 3), rank, d, d + rank,
             d + 2 * rank);
  return info.Env().Undefined();
}

// reduce(op, x, y, outer, red, inner)
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  dn::reduce(inum(info, 0), ptr<float>(info, 1), ptr<float>(info, 2), int64_t(num(info, 3)), int64_t(num(info, 4)),
             int64_t(num(info, 5)));
  return info.Env().Undefined();
}

// softmax(x, y, rows, n, log)
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  dn::softmax_rows(ptr<float>(info, 0), ptr<float>(info, 1), int64_t(num(info, 2)), int64_t(num(info, 3)),
                   info[4].As<Napi::Boolean>());
  return info.Env().Undefined();
}

// transpose(x, y, rank, dims: Int32Array [shape(rank), perm(rank)])
Napi::Value Transpose(const Napi::CallbackInfo& info) {
  int rank = inum(info, 2);
  const int* d = ptr<int>(info, 3);
  dn::transpose(ptr<float>(info, 0), ptr<float>(info, 1), rank, d, d + rank);
  return info.Env().Undefined();
}

// conv(kind, in0, in1, out, geom: Int32Array[15]); kind 0 forward (x, w), 1 input grad (dy, w), 2 filter grad (x, dy)
Napi::Value Conv(const Napi::CallbackInfo& info) {
  const int* q = ptr<int>(info, 4);
  dn::ConvGeom g{q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], q[9], q[10], q[11], q[12], q[13], q[14]};
  const float* a = ptr<float>(info, 1);
  const float* b = ptr<float>(info, 2);
  float* out = ptr<float>(info, 3);
  switch (inum(info, 0)) {
    case 0: dn::conv2d(g, a, b, out); break;
    case 1: dn::conv2d_backprop_input(g, a, b, out); break;
    default: dn::conv2d_backprop_filter(g, a, b, out); break;
  }
  return info.Env().Undefined();
}

// adam(value, m, v, g, beta1, 1-beta1, beta2, 1-beta2, 1-accBeta1, 1-accBeta2, eps, -lr)
Napi::Value Adam(const Napi::CallbackInfo& info) {
  size_t n = info[0].As<Napi::TypedArray>().ElementLength();
  float k[8];
  for (int i = 0; i < 8; i++) k[i] = float(num(info, 4 + i));
  dn::adam(ptr<float>(info, 0), ptr<float>(info, 1), ptr<float>(info, 2), ptr<float>(info, 3), int64_t(n), k[0], k[1],
           k[2], k[3], k[4], k[5], k[6], k[7]);
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  dn::blas_set_threads(1);
  napi_add_env_cleanup_hook(env, [](void*) { dn::pool_shutdown(); }, nullptr);
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("threads", Napi::Function::New(env, Threads));
  exports.Set("gemm", Napi::Function::New(env, Gemm));
  exports.Set("gemmBlas", Napi::Function::New(env, GemmBlas));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("reduce", Napi::Function::New(env, Reduce));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("transpose", Napi::Function::New(env, Transpose));
  exports.Set("conv", Napi::Function::New(env, Conv));
  exports.Set("adam", Napi::Function::New(env, Adam));
  return exports;
}

}  // namespace

NODE_API_MODULE(distillery_native, Init)
