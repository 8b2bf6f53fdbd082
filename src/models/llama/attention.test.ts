import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../engine/backend.js';
import type { LlamaConfig } from './checkpoint.js';
import { type LlamaModel, disposeKvCache, disposeLlama, emptyKvCache, llamaForwardBatch } from './model.js';
import { createLlama } from './trainable.js';

/**
 * A scalar transcription of llama2.c's run.c `forward` (one token at a time, loops only): the reference
 * for RoPE, grouped-query attention with the causal cache, SwiGLU and RMSNorm on a tiny random model.
 * Returns logits per position and the residual stream after each layer.
 */
function scalarForward(m: { c: LlamaConfig; w: Record<string, number[]>; layers: Record<string, number[]>[] }, tokens: number[]) {
  const { dim: D, hiddenDim: F, nHeads: H, nKvHeads: KVH, vocabSize: V } = m.c;
  const hs = D / H;
  const kvDim = KVH * hs;
  const kvMul = H / KVH;
  const matvec = (w: number[], x: number[], rows: number, cols: number) => Array.from({ length: rows }, (_, r) => x.reduce((s, xi, j) => s + w[r * cols + j] * xi, 0));
  const rms = (x: number[], w: number[]) => {
    const ss = x.reduce((s, v) => s + v * v, 0) / x.length + 1e-5;
    return x.map((v, i) => (w[i] * v) / Math.sqrt(ss));
  };
  const keys: number[][][] = m.layers.map(() => []);
  const values: number[][][] = m.layers.map(() => []);
  const logits: number[][] = [];
  const hidden: number[][][] = m.layers.map(() => []);
  tokens.forEach((token, pos) => {
    let x = m.w.emb.slice(token * D, (token + 1) * D);
    m.layers.forEach((w, l) => {
      const xb = rms(x, w.rmsAtt);
      const q = matvec(w.wq, xb, D, D);
      const k = matvec(w.wk, xb, kvDim, D);
      const v = matvec(w.wv, xb, kvDim, D);
      for (let i = 0; i < D; i += 2) {
        const headDim = i % hs;
        const val = pos * (1 / Math.pow(10000, headDim / hs));
        const fcr = Math.cos(val);
        const fci = Math.sin(val);
        for (const vec of i < kvDim ? [q, k] : [q]) {
          const v0 = vec[i];
          const v1 = vec[i + 1];
          vec[i] = v0 * fcr - v1 * fci;
          vec[i + 1] = v0 * fci + v1 * fcr;
        }
      }
      keys[l].push(k);
      values[l].push(v);
      const out = new Array<number>(D).fill(0);
      for (let h = 0; h < H; h++) {
        const kvh = Math.floor(h / kvMul);
        const att = keys[l].map((kt) => {
          let s = 0;
          for (let i = 0; i < hs; i++) s += q[h * hs + i] * kt[kvh * hs + i];
          return s / Math.sqrt(hs);
        });
        const max = Math.max(...att);
        const e = att.map((a) => Math.exp(a - max));
        const z = e.reduce((a, b) => a + b, 0);
        values[l].forEach((vt, t) => {
          for (let i = 0; i < hs; i++) out[h * hs + i] += (e[t] / z) * vt[kvh * hs + i];
        });
      }
      const o = matvec(w.wo, out, D, D);
      x = x.map((xi, i) => xi + o[i]);
      const xb2 = rms(x, w.rmsFfn);
      const h1 = matvec(w.w1, xb2, F, D);
      const h3 = matvec(w.w3, xb2, F, D);
      const hb = h1.map((a, i) => (a / (1 + Math.exp(-a))) * h3[i]);
      const f2 = matvec(w.w2, hb, D, F);
      x = x.map((xi, i) => xi + f2[i]);
      hidden[l].push(x.slice());
    });
    logits.push(matvec(m.w.emb, rms(x, m.w.rmsFinal), V, D));
  });
  return { logits, hidden };
}

let model: LlamaModel;
let ref: Parameters<typeof scalarForward>[0];
const config: LlamaConfig = { dim: 16, hiddenDim: 24, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 13, seqLen: 16, sharedClassifier: true };
beforeAll(async () => {
  await selectBackend('cpu');
  model = createLlama(config, 3);
  // Give the norms non-trivial weights so their multiply is tested too.
  tf.tidy(() => {
    for (const layer of model.layers) {
      const a = tf.add(1, tf.mul(0.3, tf.randomNormal([16], 0, 1, 'float32', 5)));
      layer.rmsAtt.dispose();
      layer.rmsAtt = tf.keep(a) as tf.Tensor1D;
    }
  });
  // Larger weights than the 0.02 init, so attention is far from uniform.
  const scale = (t: tf.Tensor2D) => tf.tidy(() => tf.keep(tf.mul(t, 20)) as tf.Tensor2D);
  for (const layer of model.layers) {
    for (const k of ['wq', 'wk', 'wv', 'wo', 'w1', 'w2', 'w3'] as const) {
      const old = layer[k];
      layer[k] = scale(old);
      old.dispose();
    }
  }
  const arr = (t: tf.Tensor) => Array.from(t.dataSync());
  ref = {
    c: config,
    w: { emb: arr(model.tokenEmbedding), rmsFinal: arr(model.rmsFinal) },
    layers: model.layers.map((l) => Object.fromEntries(Object.entries(l).map(([k, t]) => [k, arr(t)]))),
  };
});
afterAll(() => disposeLlama(model));

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('Llama attention against a scalar llama2.c transcription (RoPE, GQA, causal mask)', () => {
  const rows = [
    [1, 5, 9, 2, 7, 11, 3, 12, 4],
    [1, 12, 0, 6, 6, 6], // shorter: right-padded in the batch
  ];

  it('batched forward with right padding: logits and every layer\'s hidden states match per real position', () => {
    const T = rows[0].length;
    const padded = rows.map((r) => [...r, ...new Array(T - r.length).fill(8)]);
    const { logits, hidden } = llamaForwardBatch(model, padded, { hidden: true });
    const lv = logits.arraySync() as number[][][];
    const hv = hidden.map((h) => h.arraySync() as number[][][]);
    let worst = 0;
    let scale = 0;
    rows.forEach((r, b) => {
      const want = scalarForward(ref, r);
      r.forEach((_, t) => {
        worst = Math.max(worst, maxDiff(lv[b][t], want.logits[t]));
        scale = Math.max(scale, ...want.logits[t].map(Math.abs));
        hv.forEach((h, l) => (worst = Math.max(worst, maxDiff(h[b][t], want.hidden[l][t]))));
      });
    });
    expect(scale).toBeGreaterThan(0.1); // a test that would notice wrong attention
    expect(worst).toBeLessThan(2e-5);
    tf.dispose([logits, ...hidden]);
  });

  it('decoding a batch token by token through the KV cache gives the same logits', () => {
    const T = 6;
    const cache = emptyKvCache(model, 2);
    for (let t = 0; t < T; t++) {
      const { logits } = llamaForwardBatch(model, rows.map((r) => [r[t]]), { cache });
      const lv = logits.arraySync() as number[][][];
      rows.forEach((r, b) => expect(maxDiff(lv[b][0], scalarForward(ref, r.slice(0, t + 1)).logits[t])).toBeLessThan(2e-5));
      logits.dispose();
    }
    expect(cache.length).toBe(T);
    disposeKvCache(cache);
  });

  it('a rotation is the only thing RoPE does: position 0 is unrotated, and scores depend on relative position', () => {
    // Same two tokens at positions (0, 1) and, after a prefix, at (3, 4): the second token's attention
    // pattern over the pair differs only through other keys, so check the raw rotary property on q·k instead.
    const hs = 4;
    const rot = (v: number[], pos: number) => {
      const out = v.slice();
      for (let i = 0; i < hs; i += 2) {
        const a = pos / Math.pow(10000, i / hs);
        out[i] = v[i] * Math.cos(a) - v[i + 1] * Math.sin(a);
        out[i + 1] = v[i] * Math.sin(a) + v[i + 1] * Math.cos(a);
      }
      return out;
    };
    const q = [0.3, -1.2, 0.8, 0.5];
    const k = [1.1, 0.4, -0.7, 0.9];
    const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
    expect(dot(rot(q, 5), rot(k, 2))).toBeCloseTo(dot(rot(q, 13), rot(k, 10)), 10);
    expect(rot(q, 0)).toEqual(q);
  });
});
