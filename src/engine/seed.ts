/**
 * Seeding. TF.js draws the seeds of unseeded random ops (weight initializers, dropout masks) from
 * Math.random, so a run is repeatable when Math.random is replaced by a seeded generator. Our own
 * shuffles and augmentation draw from the same generator, whose state is saved in checkpoints.
 */

/** mulberry32: tiny, fast, 32-bit state — enough for shuffles, masks and init seeds. */
export class Rng {
  state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** In-place Fisher–Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
}

let global = new Rng(0);
const nativeRandom = Math.random;

/** Seeds every source of randomness in a run: our Rng and Math.random (which TF.js uses). */
export function setSeed(seed: number): Rng {
  global = new Rng(seed);
  Math.random = () => global.next();
  return global;
}

export const rng = (): Rng => global;

/** Puts Math.random back (tests that seed and then want the platform's generator again). */
export function restoreMathRandom(): void {
  Math.random = nativeRandom;
}
