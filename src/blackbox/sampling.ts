import type { Rng } from '../engine/seed.js';
import type { TokenLogprob } from './served-models.js';

/**
 * Picks one candidate: argmax at temperature 0, else a draw from softmax(logprob / T) restricted to the
 * smallest best-first prefix whose mass reaches top_p (nucleus sampling). `dist` is sorted best first.
 *
 * @example sampleToken([{ token: 'positive', logprob: -0.1 }, { token: 'negative', logprob: -2.4 }], 1, 1, rng)
 */
export function sampleToken(dist: TokenLogprob[], temperature: number, topP: number, rng: Rng): number {
  if (temperature === 0 || dist.length === 1) return 0;
  const w = dist.map((d) => d.logprob / temperature);
  const max = Math.max(...w);
  const p = w.map((v) => Math.exp(v - max));
  const total = p.reduce((a, b) => a + b, 0);
  let keep = dist.length;
  let mass = 0;
  for (let i = 0; i < p.length; i++) {
    mass += p[i] / total;
    if (mass >= topP) {
      keep = i + 1;
      break;
    }
  }
  const kept = p.slice(0, keep);
  let r = rng.next() * kept.reduce((a, b) => a + b, 0);
  for (let i = 0; i < keep; i++) {
    r -= kept[i];
    if (r < 0) return i;
  }
  return keep - 1;
}
