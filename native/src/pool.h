// A tiny fork-join pool: the calling (JS) thread is worker 0, so a pool of T uses T-1 extra threads.
#pragma once
#include <cstdint>
#include <algorithm>

namespace dn {

using TaskFn = void (*)(void* ctx, int tid, int ntasks);

/** (Re)starts the pool with `threads` total threads (>= 1). */
void pool_init(int threads);
int pool_threads();
/** Joins the workers (environment teardown). */
void pool_shutdown();
/** Runs fn(ctx, task, ntasks) for every task in [0, ntasks) on whichever threads are free; returns when all are done. */
void pool_run(int ntasks, TaskFn fn, void* ctx);

/** Splits [0, n) into chunks of >= grain items (a few per thread, for balance) and runs f(begin, end) on each. */
template <class F>
void parallel_for(int64_t n, int64_t grain, F&& f) {
  int T = pool_threads();
  int64_t chunks = T <= 1 ? 1 : std::min<int64_t>(4 * T, grain > 0 ? n / grain : n);
  if (chunks <= 1) {
    if (n > 0) f(int64_t(0), n);
    return;
  }
  struct Ctx { F* f; int64_t n; } ctx{&f, n};
  pool_run(int(chunks), [](void* c, int tid, int nt) {
    auto* x = static_cast<Ctx*>(c);
    int64_t per = (x->n + nt - 1) / nt;
    int64_t b = per * tid, e = std::min(x->n, b + per);
    if (b < e) (*x->f)(b, e);
  }, &ctx);
}

}  // namespace dn
