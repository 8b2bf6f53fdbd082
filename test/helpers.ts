import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, idxBytes, readIdx } from '../src/data/idx.js';
import { defaultMnistDir } from '../src/data/mnist.js';

export const tmpDir = (prefix = 'distillery-test-'): string => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/**
 * Writes a small MNIST-format folder made of the first `train` / `test` real MNIST examples.
 * `gzip` writes .gz files instead of raw ones.
 */
export function writeMiniMnist(dir: string, opts: { train?: number; test?: number; gzip?: boolean } = {}): string {
  const { train = 300, test = 200, gzip = false } = opts;
  const src = defaultMnistDir();
  fs.mkdirSync(dir, { recursive: true });
  for (const [prefix, n] of [['train', train], ['t10k', test]] as const) {
    const img = readIdx(path.join(src, `${prefix}-images-idx3-ubyte`), IDX_IMAGES_MAGIC);
    const lbl = readIdx(path.join(src, `${prefix}-labels-idx1-ubyte`), IDX_LABELS_MAGIC);
    const files: [string, Buffer][] = [
      [`${prefix}-images-idx3-ubyte`, idxBytes(IDX_IMAGES_MAGIC, [n, 28, 28], img.data.subarray(0, n * 784))],
      [`${prefix}-labels-idx1-ubyte`, idxBytes(IDX_LABELS_MAGIC, [n], lbl.data.subarray(0, n))],
    ];
    for (const [name, bytes] of files) {
      if (gzip) fs.writeFileSync(path.join(dir, `${name}.gz`), zlib.gzipSync(bytes));
      else fs.writeFileSync(path.join(dir, name), bytes);
    }
  }
  return dir;
}
