#include "pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>
#include <immintrin.h>

namespace dn {
namespace {

// Tasks are claimed dynamically: whichever thread is running takes the next one, so a worker the
// OS has descheduled (the cores are shared) delays nothing; the caller simply does more of the work.
struct Pool {
  std::vector<std::thread> workers;
  std::atomic<uint64_t> state{0};  // generation << 32 | next task index
  std::atomic<TaskFn> fn{nullptr};
  std::atomic<void*> ctx{nullptr};
  std::atomic<int> ntasks{0};
  std::atomic<int> done{0};
  std::mutex mu;
  std::condition_variable cv;
  int sleepers = 0;
  std::atomic<bool> stop{false};
  int total = 1;
};

// Leaked on purpose: joinable std::threads in a static destructor would abort the process at exit.
Pool& g = *new Pool();

// Workers spin this long before sleeping: kernels of one training step arrive back to back,
// and a futex wake costs more than most of them.
constexpr auto kSpin = std::chrono::microseconds(200);

thread_local int tl_depth = 0;

inline uint32_t gen_of(uint64_t s) { return uint32_t(s >> 32); }

// Claims and runs tasks of generation `gen` until none are left.
void drain(uint32_t gen) {
  for (;;) {
    uint64_t s = g.state.load(std::memory_order_acquire);
    if (gen_of(s) != gen) return;
    int n = g.ntasks.load(std::memory_order_relaxed);
    int idx = int(s & 0xffffffffu);
    if (idx >= n) return;
    if (!g.state.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel)) continue;
    g.fn.load(std::memory_order_relaxed)(g.ctx.load(std::memory_order_relaxed), idx, n);
    g.done.fetch_add(1, std::memory_order_acq_rel);
  }
}

void worker(uint32_t seen) {
  tl_depth = 1;
  for (;;) {
    auto start = std::chrono::steady_clock::now();
    int it = 0;
    while (gen_of(g.state.load(std::memory_order_acquire)) == seen && !g.stop.load()) {
      _mm_pause();
      if ((++it & 255) == 0 && std::chrono::steady_clock::now() - start > kSpin) {
        std::unique_lock<std::mutex> lk(g.mu);
        g.sleepers++;
        g.cv.wait(lk, [&] { return g.stop.load() || gen_of(g.state.load(std::memory_order_acquire)) != seen; });
        g.sleepers--;
        break;
      }
    }
    if (g.stop.load()) return;
    seen = gen_of(g.state.load(std::memory_order_acquire));
    drain(seen);
  }
}

void shutdown() {
  {
    std::lock_guard<std::mutex> lk(g.mu);
    g.stop = true;
  }
  g.cv.notify_all();
  for (auto& t : g.workers) t.join();
  g.workers.clear();
  g.stop = false;
}

}  // namespace

void pool_shutdown() {
  shutdown();
  g.total = 1;
}

void pool_init(int threads) {
  threads = std::max(1, std::min(threads, 256));
  if (threads == g.total && int(g.workers.size()) == threads - 1) return;
  shutdown();
  g.total = threads;
  uint32_t gen = gen_of(g.state.load());
  for (int i = 1; i < threads; i++) g.workers.emplace_back(worker, gen);
}

int pool_threads() { return g.total; }

void pool_run(int ntasks, TaskFn fn, void* ctx) {
  // Nested calls (a kernel inside a parallel task) and single tasks run inline.
  if (ntasks <= 1 || g.workers.empty() || tl_depth > 0) {
    for (int t = 0; t < ntasks; t++) fn(ctx, t, ntasks);
    return;
  }
  g.fn.store(fn, std::memory_order_relaxed);
  g.ctx.store(ctx, std::memory_order_relaxed);
  g.ntasks.store(ntasks, std::memory_order_relaxed);
  g.done.store(0, std::memory_order_relaxed);
  uint32_t gen = gen_of(g.state.load()) + 1;
  {
    std::lock_guard<std::mutex> lk(g.mu);
    g.state.store(uint64_t(gen) << 32, std::memory_order_release);
    if (g.sleepers > 0) g.cv.notify_all();
  }
  tl_depth = 1;
  drain(gen);
  tl_depth = 0;
  while (g.done.load(std::memory_order_acquire) < ntasks) _mm_pause();
}

}  // namespace dn
