import { describe, expect, it } from 'vitest';
import { Rng } from '../engine/seed.js';
import { sampleToken } from './sampling.js';
import type { StoredAnswer, StoredChoice } from './store.js';
import { labelTargets, labelVerifier } from './verify.js';

const labels = ['negative', 'positive'];
const ans = (...choices: StoredChoice[]): StoredAnswer => ({
  v: 1, key: 'k', promptId: 'train:0', sample: 0, model: 'm', choices, usage: { promptTokens: 0, completionTokens: 0 }, attempts: 1, ms: 0, at: '',
});

describe('label verifier and targets', () => {
  it('parses label names loosely and rejects ambiguity', () => {
    const v = labelVerifier(labels);
    expect(['Positive.', ' negative', 'The answer is positive', 'POSITIVE!'].map((content) => v.verify({ content }))).toEqual([1, 0, 1, 1]);
    expect(['positive or negative', 'neutral', ''].map((content) => v.verify({ content }))).toEqual([undefined, undefined, undefined]);
  });

  it('turns top logprobs over label tokens into log-probabilities, spreading missing mass', () => {
    const t = labelTargets([ans({ content: 'positive', tokens: [{ token: 'positive', logprob: Math.log(0.7), top: [{ token: 'positive', logprob: Math.log(0.7) }, { token: ' Negative', logprob: Math.log(0.2) }, { token: 'maybe', logprob: Math.log(0.1) }] }] })], labels)!;
    expect(t.kind).toBe('logprobs');
    expect(t.label).toBe(1);
    expect(Array.from(t.logits, Math.exp)).toEqual([expect.closeTo(0.2, 6), expect.closeTo(0.7, 6)]);
    // Only the winner in the top list: the rest of the mass goes to the other label.
    const w = labelTargets([ans({ content: 'neg', tokens: [{ token: 'neg', logprob: Math.log(0.9), top: [] }] })], labels)!;
    expect(Array.from(w.logits, Math.exp)).toEqual([expect.closeTo(0.9, 6), expect.closeTo(0.1, 6)]);
  });

  it('falls back to votes across samples, then to a hard label, and rejects answers naming no label', () => {
    const votes = labelTargets([ans({ content: 'positive' }, { content: 'positive' }), ans({ content: 'negative' })], labels)!;
    expect(votes.kind).toBe('votes');
    expect(Array.from(votes.logits, Math.exp)).toEqual([expect.closeTo(1.1 / 3.2, 6), expect.closeTo(2.1 / 3.2, 6)]);
    const hard = labelTargets([ans({ content: 'Negative' })], labels)!;
    expect([hard.kind, hard.label]).toEqual(['hard', 0]);
    expect(labelTargets([ans({ content: 'no idea' })], labels)).toBeUndefined();
  });

  it('samples greedily at T = 0 and within the nucleus otherwise', () => {
    const dist = [{ token: 'a', logprob: Math.log(0.6) }, { token: 'b', logprob: Math.log(0.3) }, { token: 'c', logprob: Math.log(0.1) }];
    const rng = new Rng(1);
    expect(sampleToken(dist, 0, 1, rng)).toBe(0);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[sampleToken(dist, 1, 0.85, rng)]++;
    expect(counts[2]).toBe(0);
    expect(counts[0] / 3000).toBeCloseTo(0.6 / 0.9, 1);
  });
});
