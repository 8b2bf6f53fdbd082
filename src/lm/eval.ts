/**
 * Language-model evaluation: per-token cross-entropy and perplexity on held-out text, and against a
 * teacher the per-token KL(teacher ‖ student) and top-1 next-token agreement; generation speed.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LlamaModel } from '../models/llama/model.js';
import type { SamplableLm } from './data.js';
import { BOS } from '../models/llama/tokenizer.js';
import { type LmTeacher, llamaTeacher } from './teachers.js';
import type { LmExample } from './train.js';

export interface LmEval {
  /** Next-token predictions scored. */
  tokens: number;
  /** Mean −log p(next token), nats. */
  ce: number;
  perplexity: number;
  /** Mean KL(p_teacher ‖ p_model) per token at T = 1, nats (with a teacher). */
  kl?: number;
  /** Fraction of positions where the model's argmax equals the teacher's (with a teacher). */
  top1Agreement?: number;
}

/**
 * Scores `model` on every next-token position of `examples` (each cut into windows of at most seqLen
 * predictions), in batches. Deterministic: no sampling.
 *
 * @example evaluateLm(student, heldOut, { seqLen: 256, teacher }) // { tokens: 51200, ce: 1.41, perplexity: 4.1, kl: 0.12, top1Agreement: 0.83 }
 */
export async function evaluateLm(model: LlamaModel | LmTeacher, examples: LmExample[], o: { seqLen: number; batchSize?: number; teacher?: LlamaModel | LmTeacher }): Promise<LmEval> {
  const scorer = 'layers' in model ? llamaTeacher(model) : model;
  const teacher = o.teacher && 'layers' in o.teacher ? llamaTeacher(o.teacher) : o.teacher;
  const windows: number[][] = [];
  for (const { tokens } of examples) {
    for (let i = 0; i + 1 < tokens.length; i += o.seqLen) windows.push(tokens.slice(i, i + o.seqLen + 1));
  }
  windows.sort((a, b) => b.length - a.length); // similar lengths together: less padding
  const B = o.batchSize ?? 16;
  let n = 0;
  let ce = 0;
  let kl = 0;
  let agree = 0;
  for (let i = 0; i < windows.length; i += B) {
    const rows = windows.slice(i, i + B);
    const T = rows[0].length - 1;
    const inputs = rows.map((r) => {
      const x = r.slice(0, -1);
      while (x.length < T) x.push(0);
      return x;
    });
    const positions: number[] = [];
    const targets: number[] = [];
    rows.forEach((r, b) => {
      for (let t = 0; t + 1 < r.length; t++) positions.push(b * T + t), targets.push(r[t + 1]);
    });
    const pos = tf.tensor1d(positions, 'int32');
    const V = scorer.vocabSize;
    const scores = async (m: LmTeacher) => {
      const { logits, hidden } = await m.forward(inputs, false);
      const logP = tf.tidy(() => tf.logSoftmax(tf.gather(tf.reshape(logits, [-1, V]), pos)) as tf.Tensor2D);
      const out = logP.dataSync() as Float32Array;
      tf.dispose([logits, ...hidden, logP]);
      return out;
    };
    const lp = await scores(scorer);
    const tp = teacher ? await scores(teacher) : undefined;
    pos.dispose();
    for (let m = 0; m < positions.length; m++) {
      const row = m * V;
      ce -= lp[row + targets[m]];
      if (tp) {
        let best = 0;
        let tBest = 0;
        for (let c = 0; c < V; c++) {
          const pt = Math.exp(tp[row + c]);
          if (pt > 0) kl += pt * (tp[row + c] - lp[row + c]);
          if (lp[row + c] > lp[row + best]) best = c;
          if (tp[row + c] > tp[row + tBest]) tBest = c;
        }
        if (best === tBest) agree++;
      }
    }
    n += positions.length;
  }
  const mean = ce / Math.max(n, 1);
  const out: LmEval = { tokens: n, ce: mean, perplexity: Math.exp(mean) };
  if (teacher) {
    out.kl = kl / Math.max(n, 1);
    out.top1Agreement = agree / Math.max(n, 1);
  }
  return out;
}

/**
 * Generation speed: greedy decoding of `tokens` tokens from BOS with the KV cache (one sequence, as
 * `distillery generate` runs), after a short warm-up; the median of `repeats` runs, tokens per second.
 */
export async function generationSpeed(model: SamplableLm, tokens = 200, repeats = 3): Promise<number> {
  const V = model.vocabSize;
  const run = async (n: number): Promise<number> => {
    const session = model.startDecode(1);
    const t0 = performance.now();
    let next = BOS;
    try {
      for (let i = 0; i < n; i++) {
        const v = await session.step([next]);
        next = 0;
        for (let c = 1; c < V; c++) if (v[c] > v[next]) next = c;
        if (next === BOS) next = 2; // keep going past the end of a story: constant work per token
      }
    } finally {
      session.dispose();
    }
    return n / ((performance.now() - t0) / 1000);
  };
  await run(Math.min(20, tokens));
  const rates: number[] = [];
  for (let r = 0; r < repeats; r++) rates.push(await run(Math.min(tokens, model.seqLen - 1)));
  return rates.sort((a, b) => a - b)[Math.floor(rates.length / 2)];
}
