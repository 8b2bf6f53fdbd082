export { asTeacher, teacherLogitsFor, type Teacher, type TeacherLike } from './teacher.js';
export { functionTeacher } from './function.js';
export { tfjsTeacher, loadTfjsTeacher, type TfjsTeacher, type TfjsTeacherOptions } from './tfjs.js';
export { onnxTeacher, type OnnxTeacher, type OnnxTeacherOptions } from './onnx.js';
export { precomputeLogits, precomputedTeacher, type AsyncTeacher, type LogitsBatch } from './async.js';
export { EnsembleTeacher, ensembleTeacher, type EnsembleCombine, type EnsembleOptions } from './ensemble.js';
