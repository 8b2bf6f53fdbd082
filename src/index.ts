/**
 * Distillery's public API: the only import the CLI, the server and the dashboard use.
 *
 * @example
 * import { selectBackend, loadMnist, buildMlp, distill, hinton } from 'distillery';
 * await selectBackend('auto');
 * const { train } = loadMnist();
 * const student = buildMlp({ inputSize: 784, hidden: [800, 800], classes: 10 });
 * await distill({ teacher, student, data: train, loss: hinton({ temperature: 20, alpha: 0.9 }), epochs: 10, batchSize: 128 });
 */
export { DistilleryError, isDistilleryError, type ErrorCode } from './errors.js';
export { selectBackend, BACKENDS, type BackendChoice, type BackendInfo } from './engine/backend.js';
export { setSeed, Rng } from './engine/seed.js';
export { readIdx, idxBytes, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, type IdxArray } from './data/idx.js';
export { loadMnist, defaultMnistDir, head, type Split, type ImageDataset } from './data/mnist.js';
export { epochOrder, gatherBatch, shiftInto, type Batch } from './data/batches.js';
export { buildMlp, type MlpSpec } from './models/mlp.js';
export { saveModel, loadModel, modelBytes, fileHandler } from './models/io.js';
export * from './teachers/index.js';
export { buildTeacherCache, hashModel, hashSplit, type TeacherCache, type BuildCacheOptions, type CacheFormat } from './teachers/cache.js';
export { fraction, excludeClasses, reweightClasses, classCounts, selectRows } from './data/transfer.js';
export { adjustClassBias } from './models/bias.js';
export { ExperimentConfigSchema, type ExperimentConfig, type ExperimentConfigInput } from './config/experiment.js';
export { runExperiment, lossFromTerms } from './recipes/experiment.js';
export * from './losses/index.js';
export { distill, type DistillOptions, type DistillResult, type EpochLog, type BatchLog, type DistillCallbacks } from './distill/loop.js';
export { makeOptimizer, type OptimizerConfig } from './distill/optimizer.js';
export { classificationMetrics, predictLogits, argmaxRows, agreement, type ClassificationMetrics } from './eval/metrics.js';
export { measureLatency, type Latency } from './eval/latency.js';
export { writeReport, reportMarkdown, reportTable, type Report, type RunReport } from './eval/report.js';
export { HintonConfigSchema, type HintonConfig, type HintonConfigInput } from './config/schema.js';
export { parseWith, formatZodError } from './config/format.js';
export { runHinton, hintonExperiment, type PipelineEvents, type PipelineOptions, type RunName } from './recipes/hinton.js';
export { writeFileAtomic, writeJsonAtomic, readJson } from './fsutil.js';
export { hintonFull, hintonQuick } from './recipes/presets.js';
export { readLabeledText, textSplit, tokenize, featurizeInto, type TextExamples, type FeaturizerSpec } from './data/text.js';
export { saveTextClassifier, loadTextClassifier, classifyTexts, type TextClassifier } from './models/text-classifier.js';
export { trainTextClassifier, type TextClassifierSpec } from './recipes/text-classifier.js';
export { HttpTeacher, TeacherRequestError, retryAfterMs, type ChatMessage, type ChatParams, type RetryPolicy, type EndpointOptions, type ClientStats } from './blackbox/http-teacher.js';
export { AnswerStore, requestKey, type StoredAnswer, type StoredChoice } from './blackbox/store.js';
export { collect, type CollectReport, type CollectOptions } from './blackbox/collect.js';
export { promptJobs, renderMessages, readTextTask, type PromptJob } from './blackbox/prompts.js';
export { labelVerifier, labelTargets, type Verifier, type LabelTarget } from './blackbox/verify.js';
export { BlackboxConfigSchema, type BlackboxConfig, type BlackboxConfigInput } from './blackbox/config.js';
export { runBlackbox, blackboxMarkdown, type BlackboxReport } from './blackbox/label-distill.js';
export { startTeacherServer, teacherHandler, type RunningServer } from './blackbox/serve.js';
export { loadServedModel, type ServedModel } from './blackbox/served-models.js';
export { readLlamaCheckpoint, parseLlamaHeader, llamaCheckpointBytes, type LlamaConfig, type LlamaWeights, type LlamaCheckpoint } from './models/llama/checkpoint.js';
export { readLlamaTokenizer, encode as encodeLlama, decode as decodeLlama, pieceBytes, BOS as LLAMA_BOS, EOS as LLAMA_EOS, type LlamaTokenizer } from './models/llama/tokenizer.js';
export { llamaFromCheckpoint, llamaForward, llamaStep, emptyKvCache, disposeKvCache, disposeLlama, type LlamaModel, type KvCache } from './models/llama/model.js';
export { generate, sampleToken, type GenerateOptions, type Generation } from './models/llama/generate.js';
export { llamaForwardBatch, type BatchForward } from './models/llama/model.js';
export { createLlama, studentFromTeacher, studentConfig, makeTrainable, writeLlamaCheckpoint, llamaParams, llamaTensors, type StudentShape, type ParamCount } from './models/llama/trainable.js';
export { trainLm, topKLogProbs, defaultAlignment, lmLearningRate, type LmExample, type LmLossConfig, type LmTrainOptions, type LmTrainResult, type LmStepInfo } from './lm/train.js';
export { sampleStories, samplableLlama, corpusWindows, type SamplableLm, type DecodeSession, type SampleOptions } from './lm/data.js';
export { evaluateLm, generationSpeed, type LmEval } from './lm/eval.js';
export { loadLmTeacher, llamaTeacher, onnxLmTeacher, transformersLmTeacher, type LmTeacher } from './lm/teachers.js';
export { LmConfigSchema, type LmConfig } from './lm/config.js';
export { runLm, lmMarkdown, type LmReport, type LmStudentResult } from './lm/run.js';
