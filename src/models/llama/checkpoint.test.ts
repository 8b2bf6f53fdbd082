import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmpDir } from '../../../test/helpers.js';
import { llamaCheckpointBytes, readLlamaCheckpoint } from './checkpoint.js';

const FILE = 'models/stories260K/stories260K.bin';

describe('llama2.c checkpoint reader', () => {
  it('reads stories260K: header, tied classifier, every weight accounted for', () => {
    const { config, weights } = readLlamaCheckpoint(FILE);
    expect(config).toEqual({ dim: 64, hiddenDim: 172, nLayers: 5, nHeads: 8, nKvHeads: 4, vocabSize: 512, seqLen: 512, sharedClassifier: true });
    expect(llamaCheckpointBytes(config)).toBe(fs.statSync(FILE).size);
    expect(weights.classifier).toBe(weights.tokenEmbedding);
    expect(weights.wk.length).toBe(5 * 32 * 64);
    expect(weights.w2.length).toBe(5 * 64 * 172);
    expect(weights.rmsFinal.length).toBe(64);
  });

  it('a truncated file is a one-line error naming the file with expected and actual bytes', () => {
    const file = path.join(tmpDir(), 'cut.bin');
    const size = fs.statSync(FILE).size;
    fs.writeFileSync(file, fs.readFileSync(FILE).subarray(0, size - 100));
    expect(() => readLlamaCheckpoint(file)).toThrow(`${file}: expected ${size} bytes for this llama2.c header, got ${size - 100}`);
  });

  it('an untied classifier (negative vocab_size) is read from the end of the file', () => {
    const buf = fs.readFileSync(FILE);
    const header = Buffer.from(buf.subarray(0, 28));
    header.writeInt32LE(-512, 20);
    const cls = new Float32Array(512 * 64).fill(0.5);
    const file = path.join(tmpDir(), 'untied.bin');
    fs.writeFileSync(file, Buffer.concat([header, buf.subarray(28), Buffer.from(cls.buffer)]));
    const { config, weights } = readLlamaCheckpoint(file);
    expect(config.sharedClassifier).toBe(false);
    expect(weights.classifier).not.toBe(weights.tokenEmbedding);
    expect(Array.from(weights.classifier.subarray(0, 3))).toEqual([0.5, 0.5, 0.5]);
  });

  it('a nonsense header or a short file says what it expected', () => {
    const file = path.join(tmpDir(), 'bad.bin');
    fs.writeFileSync(file, Buffer.from(new Int32Array([64, 172, 5, 7, 4, 512, 512]).buffer));
    expect(() => readLlamaCheckpoint(file)).toThrow(/bad\.bin: expected a llama2\.c header .* got dim 64, hidden_dim 172, n_layers 5, n_heads 7/);
    fs.writeFileSync(file, Buffer.alloc(10));
    expect(() => readLlamaCheckpoint(file)).toThrow('expected at least 28 bytes of header, got 10');
  });
});
