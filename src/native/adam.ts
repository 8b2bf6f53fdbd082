import * as tf from '@tensorflow/tfjs-core';
import type { NativeBackend } from './backend.js';

/** The AdamOptimizer fields applyGradients uses (protected in the typings). */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
  incrementIterations(): void;
}

type Grads = Parameters<tf.AdamOptimizer['applyGradients']>[0];
type ApplyGradients = (this: tf.AdamOptimizer, grads: Grads) => void;

const PATCHED = Symbol.for('distillery.native.adam');

/** True when no other tensor holds this storage (the backend counts every tensor on a dataId), so updating it in place is invisible. */
function sole(backend: NativeBackend, t: tf.Tensor): boolean {
  return backend.storageRefs(t.dataId) === 1;
}

/**
 * Routes AdamOptimizer.applyGradients through one fused in-place kernel per variable while the
 * native backend is active. The update is the same float32 arithmetic, op for op, and the optimizer's
 * state (moment variables, accBeta, iterations) is kept exactly as TF.js keeps it, so checkpoints and
 * getWeights/setWeights are unchanged. Any other backend, or a variable whose storage is shared,
 * takes the original code path.
 */
export function patchAdam(): void {
  const proto = tf.AdamOptimizer.prototype as unknown as Record<symbol, unknown> & { applyGradients: ApplyGradients };
  if (proto[PATCHED]) return;
  const original = proto.applyGradients;
  proto[PATCHED] = true;
  proto.applyGradients = function (this: tf.AdamOptimizer, variableGradients) {
    if (tf.getBackend() !== 'native') return original.call(this, variableGradients);
    const self = this as unknown as AdamState;
    const backend = tf.backend() as NativeBackend;
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    const f = Math.fround;
    // The scalars TF.js would hold as float32 tensors.
    const oneMinusAcc1 = f(1 - self.accBeta1.dataSync()[0]);
    const oneMinusAcc2 = f(1 - self.accBeta2.dataSync()[0]);
    const k = [f(self.beta1), f(1 - self.beta1), f(self.beta2), f(1 - self.beta2), oneMinusAcc1, oneMinusAcc2, f(self.epsilon), f(-self.learningRate)] as const;
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name];
        if (self.accumulatedFirstMoment[i] == null) {
          self.accumulatedFirstMoment[i] = { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        }
        if (self.accumulatedSecondMoment[i] == null) {
          self.accumulatedSecondMoment[i] = { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        }
        const gradient = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
        if (gradient == null) return;
        const m = self.accumulatedFirstMoment[i].variable;
        const v = self.accumulatedSecondMoment[i].variable;
        const bufs = [value, m, v, gradient].map((t) => backend.f32(t));
        // The kernel takes its four arrays as non-overlapping (restrict): distinct ArrayBuffers guarantee that.
        const inPlace = bufs.every((b) => b && b.length === bufs[0]!.length) && new Set(bufs.map((b) => b!.buffer)).size === 4 &&
          [value, m, v].every((t) => sole(backend, t));
        if (inPlace) {
          backend.addon.adam(bufs[0]!, bufs[1]!, bufs[2]!, bufs[3]!, ...k);
          return;
        }
        const oneMinusAccBeta1 = tf.sub(1, self.accBeta1);
        const oneMinusAccBeta2 = tf.sub(1, self.accBeta2);
        const newM = tf.add(tf.mul(m, self.beta1), tf.mul(gradient, 1 - self.beta1));
        const newV = tf.add(tf.mul(v, self.beta2), tf.mul(tf.square(gradient), 1 - self.beta2));
        const mHat = tf.div(newM, oneMinusAccBeta1);
        const vHat = tf.div(newV, oneMinusAccBeta2);
        m.assign(newM);
        v.assign(newV);
        value.assign(tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), self.epsilon)), -self.learningRate), value));
      });
      self.accBeta1.assign(tf.mul(self.accBeta1, self.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, self.beta2));
    });
    self.incrementIterations();
  };
}
