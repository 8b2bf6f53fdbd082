import * as tf from '@tensorflow/tfjs-core';
import { DistilleryError, fmtShape } from '../errors.js';
import { checkAbove } from './check.js';

export interface AttentionTransferOptions {
  /** Exponent p of the attention map Σ_c |A_c|^p (default 2, the paper's choice). */
  p?: number;
}

/** Spatial attention of NHWC maps: Σ_c |A_c|^p, flattened and L2-normalized per example. */
function attentionMap(maps: tf.Tensor4D, p: number): tf.Tensor2D {
  const [B, H, W] = maps.shape;
  const a = tf.sum(p === 2 ? tf.square(maps) : tf.pow(tf.abs(maps), p), 3); // [B, H, W]
  const q = tf.reshape(a, [B, H * W]); // [B, HW]
  const norm = tf.maximum(tf.norm(q, 'euclidean', 1, true), 1e-12); // [B, 1]
  return tf.div(q, norm) as tf.Tensor2D; // [B, HW]
}

/**
 * Attention transfer (Zagoruyko & Komodakis, ICLR 2017, "Paying More Attention to Attention"):
 *
 *   Q = vec(Σ_c |A_c|^p) / ‖vec(Σ_c |A_c|^p)‖₂     per example, A: [H, W, C] activations
 *   L = mean_b ‖Q_s − Q_t‖₂²
 *
 * Inputs are NHWC maps [B, H, W, C] (the TF.js layout) with equal B, H, W; the channel counts may differ,
 * since the channel sum removes them. We square the distance, as the authors' released code does (it also
 * averages over the H·W positions); the paper's eq. 2 writes the plain norm. Squaring keeps the gradient
 * finite when the maps coincide. Each term lies in [0, 2].
 *
 * @example attentionTransfer(studentBlock2, teacherBlock2, { p: 2 })
 */
export function attentionTransfer(studentMaps: tf.Tensor4D, teacherMaps: tf.Tensor4D, opts: AttentionTransferOptions = {}): tf.Scalar {
  const p = opts.p ?? 2;
  checkAbove('attentionTransfer p', p);
  for (const [name, t] of [['student', studentMaps], ['teacher', teacherMaps]] as const) {
    if (t.rank !== 4) throw new DistilleryError('SHAPE', `attentionTransfer ${name} maps: expected [B, H, W, C], got ${fmtShape(t.shape)}`);
  }
  const [B, H, W] = teacherMaps.shape;
  if (studentMaps.shape[0] !== B || studentMaps.shape[1] !== H || studentMaps.shape[2] !== W) {
    throw new DistilleryError(
      'SHAPE',
      `attentionTransfer student maps: expected [${B}, ${H}, ${W}, C] like the teacher's ${fmtShape(teacherMaps.shape)}, got ${fmtShape(studentMaps.shape)}`,
    );
  }
  return tf.tidy(() => {
    const diff = tf.sub(attentionMap(studentMaps, p), attentionMap(teacherMaps, p)); // [B, HW]
    return tf.mean(tf.sum(tf.square(diff), 1)) as tf.Scalar;
  });
}
