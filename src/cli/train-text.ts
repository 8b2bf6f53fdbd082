import { readLabeledText } from '../data/text.js';
import { selectBackend } from '../engine/backend.js';
import { setSeed } from '../engine/seed.js';
import { DistilleryError } from '../errors.js';
import { classificationMetrics } from '../eval/metrics.js';
import { classifyTexts, saveTextClassifier } from '../models/text-classifier.js';
import { trainTextClassifier } from '../recipes/text-classifier.js';
import { intFlag, parse } from './args.js';

const num = (name: string, v: string | undefined, fallback: number): number => {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new DistilleryError('USAGE', `--${name}: expected number > 0, got "${v}"`);
  return n;
};

/**
 * `distillery train-text --train FILE --labels a,b --out DIR [--test FILE] [--buckets 8192] [--ngrams 2]
 *  [--hidden 256,...] [--epochs 8] [--batch-size 64] [--lr 0.001] [--dropout 0] [--backend B] [--seed N]`:
 * a text classifier on gold labels, saved for `serve-teacher`.
 */
export async function trainTextCommand(argv: string[]): Promise<number> {
  const { values } = parse('train-text', argv, {
    train: { type: 'string' },
    test: { type: 'string' },
    labels: { type: 'string' },
    out: { type: 'string' },
    buckets: { type: 'string' },
    ngrams: { type: 'string' },
    hidden: { type: 'string' },
    epochs: { type: 'string' },
    'batch-size': { type: 'string' },
    lr: { type: 'string' },
    dropout: { type: 'string' },
    backend: { type: 'string' },
    seed: { type: 'string' },
  });
  for (const k of ['train', 'labels', 'out'] as const) if (!values[k]) throw new DistilleryError('USAGE', `distillery train-text: expected --${k}`);
  const labels = values.labels!.split(',').map((s) => s.trim());
  if (labels.length < 2 || labels.some((l) => !l)) throw new DistilleryError('USAGE', `--labels: expected at least two comma-separated names, got "${values.labels}"`);
  const hidden = (values.hidden ?? '256').split(',').map((h) => intFlag('hidden', h.trim(), 1)!);
  const dropout = values.dropout === undefined ? 0 : Number(values.dropout);
  if (!(dropout >= 0 && dropout < 1)) throw new DistilleryError('USAGE', `--dropout: expected number in [0, 1), got "${values.dropout}"`);
  const train = readLabeledText(values.train!, labels.length);
  const test = values.test ? readLabeledText(values.test, labels.length) : undefined;
  const backend = await selectBackend(values.backend ?? 'auto');
  setSeed(intFlag('seed', values.seed) ?? 0);
  const epochs = intFlag('epochs', values.epochs, 1) ?? 8;
  const clf = await trainTextClassifier(
    train,
    {
      labels,
      featurizer: { buckets: intFlag('buckets', values.buckets, 1) ?? 8192, ngrams: intFlag('ngrams', values.ngrams, 1) ?? 2 },
      hidden,
      dropout,
      epochs,
      batchSize: intFlag('batch-size', values['batch-size'], 1) ?? 64,
      learningRate: num('lr', values.lr, 1e-3),
    },
    (e) => process.stderr.write(`epoch ${e.epoch}/${epochs} loss ${e.loss.toFixed(4)} ${e.seconds.toFixed(1)}s\n`),
  );
  const bytes = await saveTextClassifier(clf, values.out!);
  let acc = '';
  if (test) {
    const { logits } = classifyTexts(clf, test.texts);
    acc = `, test accuracy ${(100 * classificationMetrics(logits, labels.length, test.labels).testAccuracy).toFixed(2)}% on ${test.texts.length}`;
  }
  process.stdout.write(`saved ${values.out} (${clf.model.countParams()} params, ${bytes} bytes, backend ${backend.name})${acc}\n`);
  return 0;
}
