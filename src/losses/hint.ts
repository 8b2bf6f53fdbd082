import * as tf from '@tensorflow/tfjs-core';
import { DistilleryError, fmtShape } from '../errors.js';

/** A learned linear map from student width Ds to teacher width Dt, applied on the last axis. */
export interface HintRegressor {
  kernel: tf.Variable; // [Ds, Dt]
  bias: tf.Variable; // [Dt]
  /** The trainable variables: train them with the student's (pass them to the optimizer too). */
  variables: tf.Variable[];
  apply(x: tf.Tensor): tf.Tensor; // [..., Ds] -> [..., Dt]
}

/**
 * What `hintMse` accepts as a regressor: a matrix [Ds, Dt] (e.g. a tf.Variable), a `hintRegressor`,
 * or a TF.js layer such as `tf.layers.dense({ units: Dt })` (whose weights are then the layer's).
 */
export type Regressor = tf.Tensor | { apply(x: tf.Tensor): unknown };

/** x [..., Ds] · w [Ds, Dt] -> [..., Dt]: a dense map on the last axis (a 1×1 convolution for NHWC maps). */
function lastAxisMatMul(x: tf.Tensor, w: tf.Tensor): tf.Tensor {
  const ds = x.shape[x.rank - 1];
  if (w.rank !== 2 || w.shape[0] !== ds) {
    throw new DistilleryError('SHAPE', `hint regressor: expected matrix [${ds}, Dt] for student width ${ds}, got ${fmtShape(w.shape)}`);
  }
  const rows = tf.reshape(x, [-1, ds]); // [N, Ds]
  return tf.reshape(tf.matMul(rows, w), [...x.shape.slice(0, -1), w.shape[1] as number]); // [..., Dt]
}

/**
 * A trainable FitNets regressor, Glorot-uniform kernel and zero bias (seeded by `setSeed`).
 *
 * @example const r = hintRegressor(64, 256); hintMse(studentHidden, teacherHidden, r); // train r.variables too
 */
export function hintRegressor(studentDim: number, teacherDim: number): HintRegressor {
  for (const [k, v] of [['studentDim', studentDim], ['teacherDim', teacherDim]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new DistilleryError('CONFIG', `hintRegressor ${k}: expected integer ≥ 1, got ${v}`);
  }
  const limit = Math.sqrt(6 / (studentDim + teacherDim));
  const kernel = tf.variable(tf.randomUniform([studentDim, teacherDim], -limit, limit), true); // [Ds, Dt]
  const bias = tf.variable(tf.zeros([teacherDim]), true); // [Dt]
  return {
    kernel,
    bias,
    variables: [kernel, bias],
    apply: (x) => tf.tidy(() => tf.add(lastAxisMatMul(x, kernel), bias)),
  };
}

/**
 * FitNets hint loss (Romero et al., ICLR 2015): the student's guided layer, mapped through a learned
 * regressor r to the teacher's width, regresses the teacher's hint layer:
 *
 *   L = mean (r(f_s) − f_t)²    over all elements; f_s [..., Ds], f_t [..., Dt]
 *
 * (the paper writes ½‖·‖² summed; the mean only rescales it). Without a regressor the widths must match.
 * Inputs may be [B, D], [B, T, D] or NHWC maps [B, H, W, C]; the regressor acts on the last axis.
 *
 * @example hintMse(studentFeat, teacherFeat, hintRegressor(32, 128))
 */
export function hintMse(studentFeat: tf.Tensor, teacherFeat: tf.Tensor, regressor?: Regressor): tf.Scalar {
  return tf.tidy(() => {
    let mapped = studentFeat;
    if (regressor instanceof tf.Tensor) mapped = lastAxisMatMul(studentFeat, regressor);
    else if (regressor) {
      const out = regressor.apply(studentFeat);
      if (!(out instanceof tf.Tensor)) throw new DistilleryError('USAGE', 'hintMse regressor: expected apply() to return one tensor, got another value');
      mapped = out;
    }
    if (mapped.rank !== teacherFeat.rank || mapped.shape.some((d, i) => d !== teacherFeat.shape[i])) {
      const hint = regressor ? '' : ` (pass a regressor, e.g. hintRegressor(${studentFeat.shape[studentFeat.rank - 1]}, ${teacherFeat.shape[teacherFeat.rank - 1]}))`;
      throw new DistilleryError('SHAPE', `hintMse ${regressor ? 'regressed ' : ''}student features: expected ${fmtShape(teacherFeat.shape)} like the teacher's, got ${fmtShape(mapped.shape)}${hint}`);
    }
    return tf.mean(tf.squaredDifference(mapped, teacherFeat)) as tf.Scalar;
  });
}
