#include <cmath>

#include "kernels.h"
#include "pool.h"

namespace dn {

// Each line is one TF.js op, rounded to float32 in the same order, so results match the cpu backend.
void adam(float* value, float* m, float* v, const float* g, int64_t n, float beta1, float oneMinusBeta1, float beta2,
          float oneMinusBeta2, float oneMinusAccBeta1, float oneMinusAccBeta2, float eps, float negLr) {
  parallel_for(n, 1 << 14, [=](int64_t b, int64_t e) {
    // Everything by value and restrict-qualified: through references the constants could alias the
    // outputs, which kept this loop scalar.
    float* __restrict va = value;
    float* __restrict ma = m;
    float* __restrict vv = v;
    const float* __restrict ga = g;
    for (int64_t i = b; i < e; i++) {
      const float gi = ga[i];
      const float mi = ma[i] * beta1 + gi * oneMinusBeta1;
      const float vi = vv[i] * beta2 + (gi * gi) * oneMinusBeta2;
      ma[i] = mi;
      vv[i] = vi;
      const float mhat = mi / oneMinusAccBeta1;
      const float vhat = vi / oneMinusAccBeta2;
      va[i] = (mhat / (std::sqrt(vhat) + eps)) * negLr + va[i];
    }
  });
}

}  // namespace dn
