import type { Rng } from '../engine/seed.js';
import type { Split } from './mnist.js';

export interface Batch {
  x: Float32Array; // [B * D]
  y: Int32Array; // [B]
  /** Row indices into the split (to look up cached teacher outputs). */
  index: Int32Array; // [B]
  size: number;
}

/** A shuffled epoch order over `count` examples. */
export function epochOrder(count: number, rng: Rng): Int32Array {
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  return rng.shuffle(order);
}

/**
 * Gathers rows `order[start .. start+size)` of a split into a batch, optionally shifting each image
 * by a random offset in [−jitter, jitter] pixels on each axis (zero padding), as Hinton's teacher was trained.
 */
export function gatherBatch(split: Split, order: Int32Array, start: number, size: number, jitter = 0, rng?: Rng): Batch {
  const D = split.features;
  const B = Math.min(size, order.length - start);
  const x = new Float32Array(B * D);
  const y = new Int32Array(B);
  const index = order.slice(start, start + B);
  for (let b = 0; b < B; b++) {
    const row = index[b];
    y[b] = split.labels[row];
    const src = split.images.subarray(row * D, (row + 1) * D);
    if (jitter > 0 && rng) {
      shiftInto(src, x.subarray(b * D, (b + 1) * D), split.height, split.width, rng.int(2 * jitter + 1) - jitter, rng.int(2 * jitter + 1) - jitter);
    } else {
      x.set(src, b * D);
    }
  }
  return { x, y, index, size: B };
}

/** dst[r][c] = src[r − dy][c − dx], zero where that falls outside the image. */
export function shiftInto(src: Float32Array, dst: Float32Array, h: number, w: number, dy: number, dx: number): void {
  dst.fill(0);
  for (let r = Math.max(0, dy); r < Math.min(h, h + dy); r++) {
    const sr = r - dy;
    const c0 = Math.max(0, dx);
    const c1 = Math.min(w, w + dx);
    dst.set(src.subarray(sr * w + c0 - dx, sr * w + c1 - dx), r * w + c0);
  }
}
