// NHWC convolutions as im2col + GEMM. A column row holds one output pixel's receptive field,
// ordered [kH, kW, inC] to match the filter layout [kH, kW, inC, outC].
#include <cstring>
#include <vector>

#include "kernels.h"
#include "pool.h"

namespace dn {

namespace {

// Images per GEMM: enough rows to keep GEMM efficient, bounded so the column buffer stays small.
int images_per_chunk(const ConvGeom& g) {
  int64_t rowsPerImage = int64_t(g.outH) * g.outW, k = int64_t(g.kH) * g.kW * g.inC;
  int64_t budget = int64_t(1) << 23;  // floats
  int64_t n = std::max<int64_t>(1, budget / std::max<int64_t>(1, rowsPerImage * k));
  return int(std::min<int64_t>(n, g.batch));
}

void im2col(const ConvGeom& g, const float* x, int images, float* col) {
  const int64_t K = int64_t(g.kH) * g.kW * g.inC;
  const int64_t rows = int64_t(images) * g.outH * g.outW;
  parallel_for(rows, 64, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      int64_t b = r / (int64_t(g.outH) * g.outW), p = r % (int64_t(g.outH) * g.outW);
      int oy = int(p / g.outW), ox = int(p % g.outW);
      float* dst = col + r * K;
      const float* img = x + b * int64_t(g.inH) * g.inW * g.inC;
      for (int ky = 0; ky < g.kH; ky++) {
        int iy = oy * g.strideH - g.padTop + ky * g.dilH;
        for (int kx = 0; kx < g.kW; kx++, dst += g.inC) {
          int ix = ox * g.strideW - g.padLeft + kx * g.dilW;
          if (iy < 0 || iy >= g.inH || ix < 0 || ix >= g.inW) std::memset(dst, 0, sizeof(float) * g.inC);
          else std::memcpy(dst, img + (int64_t(iy) * g.inW + ix) * g.inC, sizeof(float) * g.inC);
        }
      }
    }
  });
}

// Scatter-adds columns back into images; parallel over images so no two threads write one pixel.
void col2im(const ConvGeom& g, const float* col, int images, float* dx) {
  const int64_t K = int64_t(g.kH) * g.kW * g.inC;
  const int64_t imgSize = int64_t(g.inH) * g.inW * g.inC;
  parallel_for(images, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; b++) {
      float* img = dx + b * imgSize;
      for (int oy = 0; oy < g.outH; oy++)
        for (int ox = 0; ox < g.outW; ox++) {
          const float* src = col + ((b * g.outH + oy) * g.outW + ox) * K;
          for (int ky = 0; ky < g.kH; ky++) {
            int iy = oy * g.strideH - g.padTop + ky * g.dilH;
            for (int kx = 0; kx < g.kW; kx++, src += g.inC) {
              int ix = ox * g.strideW - g.padLeft + kx * g.dilW;
              if (iy < 0 || iy >= g.inH || ix < 0 || ix >= g.inW) continue;
              float* d = img + (int64_t(iy) * g.inW + ix) * g.inC;
              for (int c = 0; c < g.inC; c++) d[c] += src[c];
            }
          }
        }
    }
  });
}

}  // namespace

void conv2d(const ConvGeom& g, const float* x, const float* w, float* y) {
  const int K = g.kH * g.kW * g.inC, P = g.outH * g.outW;
  const int chunk = images_per_chunk(g);
  std::vector<float> col(size_t(chunk) * P * K);
  for (int b = 0; b < g.batch; b += chunk) {
    int n = std::min(chunk, g.batch - b);
    im2col(g, x + int64_t(b) * g.inH * g.inW * g.inC, n, col.data());
    gemm(false, false, n * P, g.outC, K, col.data(), K, w, g.outC, y + int64_t(b) * P * g.outC, g.outC, false,
         nullptr, ACT_LINEAR, 0.f);
  }
}

void conv2d_backprop_input(const ConvGeom& g, const float* dy, const float* w, float* dx) {
  const int K = g.kH * g.kW * g.inC, P = g.outH * g.outW;
  const int chunk = images_per_chunk(g);
  std::vector<float> col(size_t(chunk) * P * K);
  std::memset(dx, 0, sizeof(float) * size_t(g.batch) * g.inH * g.inW * g.inC);
  for (int b = 0; b < g.batch; b += chunk) {
    int n = std::min(chunk, g.batch - b);
    gemm(false, true, n * P, K, g.outC, dy + int64_t(b) * P * g.outC, g.outC, w, g.outC, col.data(), K, false,
         nullptr, ACT_LINEAR, 0.f);
    col2im(g, col.data(), n, dx + int64_t(b) * g.inH * g.inW * g.inC);
  }
}

void conv2d_backprop_filter(const ConvGeom& g, const float* x, const float* dy, float* dw) {
  const int K = g.kH * g.kW * g.inC, P = g.outH * g.outW;
  const int chunk = images_per_chunk(g);
  std::vector<float> col(size_t(chunk) * P * K);
  std::memset(dw, 0, sizeof(float) * size_t(K) * g.outC);
  for (int b = 0; b < g.batch; b += chunk) {
    int n = std::min(chunk, g.batch - b);
    im2col(g, x + int64_t(b) * g.inH * g.inW * g.inC, n, col.data());
    gemm(true, false, K, g.outC, n * P, col.data(), K, dy + int64_t(b) * P * g.outC, g.outC, dw, g.outC, true,
         nullptr, ACT_LINEAR, 0.f);
  }
}

}  // namespace dn
