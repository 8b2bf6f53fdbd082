import { z } from 'zod';
import { BACKENDS } from '../engine/backend.js';
import { OptimizerSchema } from './schema.js';

const positiveInt = z.number().int().min(1);
/** A value that changes linearly from epoch 1 to `epochs` (held afterwards): `{ from: 8, to: 1, epochs: 10 }`. */
export const LinearScheduleSchema = z.strictObject({ from: z.number(), to: z.number(), epochs: positiveInt });
const scheduled = (n: z.ZodNumber) => z.union([n, LinearScheduleSchema.refine((v) => n.safeParse(v.from).success && n.safeParse(v.to).success, 'schedule ends out of range')]);
const temperature = scheduled(z.number().gt(0));
const weight = scheduled(z.number().min(0)).default(1);
/** An MLP activation compared by feature losses: `hidden-1` is the first hidden layer's output. */
const featureName = z.string().regex(/^hidden-[1-9]\d*$/, 'expected hidden-1, hidden-2, …');

/** One term of a student's loss: a registry name, its options, and a weight in the sum. */
export const LossTermSchema = z.discriminatedUnion('name', [
  z.strictObject({ name: z.literal('ce'), weight }),
  z.strictObject({ name: z.literal('kd'), weight, temperature }),
  z.strictObject({ name: z.literal('hinton'), weight, temperature, alpha: z.number().min(0).max(1) }),
  z.strictObject({ name: z.literal('reverseKl'), weight, temperature }),
  z.strictObject({ name: z.literal('jsd'), weight, temperature: temperature.default(1), beta: z.number().min(0).max(1) }),
  z.strictObject({ name: z.literal('tvd'), weight, temperature: temperature.default(1) }),
  z.strictObject({ name: z.literal('mseLogits'), weight }),
  z.strictObject({ name: z.literal('hiddenCosine'), weight, studentFeature: featureName, teacherFeature: featureName.optional() }),
  z.strictObject({ name: z.literal('hintMse'), weight, studentFeature: featureName, teacherFeature: featureName.optional() }),
  z.strictObject({
    name: z.literal('dkd'),
    weight,
    temperature: temperature.default(4),
    alpha: z.number().min(0).default(1),
    beta: z.number().min(0).default(8),
  }),
]);
export type LossTerm = z.infer<typeof LossTermSchema>;

const ModelSchema = {
  hidden: z.array(positiveInt).min(1),
  dropout: z.number().min(0).lt(1).default(0),
  inputDropout: z.number().min(0).lt(1).default(0),
  maxNorm: z.number().min(0).default(0),
  epochs: positiveInt,
  batchSize: positiveInt.default(128),
  optimizer: OptimizerSchema,
  /** Random shifts of up to ±jitter pixels while training (0 = none). */
  jitter: z.number().int().min(0).default(0),
};

const name = z.string().regex(/^[a-zA-Z][\w-]*$/, 'a name of letters, digits, - and _');

export const TeacherSpecSchema = z.strictObject({ name, ...ModelSchema });

export const StudentSpecSchema = z.strictObject({
  name,
  ...ModelSchema,
  /** Weighted sum of loss terms; default: hard-label cross-entropy. */
  loss: z.array(LossTermSchema).min(1).default([{ name: 'ce', weight: 1 }]),
  /** Which teacher's soft targets: a teacher name or "ensemble"; default: the ensemble, or the only teacher. */
  teacher: z.string().optional(),
  /** Which examples the student learns from. */
  transfer: z
    .strictObject({
      fraction: z.number().gt(0).max(1).optional(),
      excludeClasses: z.array(z.number().int().min(0)).optional(),
      classWeights: z.array(z.number().min(0)).optional(),
    })
    .optional(),
  /** Store the soft targets on disk (out/cache), dense or top-k. */
  cache: z.union([z.strictObject({ format: z.literal('dense') }), z.strictObject({ format: z.literal('topk'), k: positiveInt })]).optional(),
  /** After training, add these amounts to output biases: { "3": 3.5 }. */
  biasAdjust: z.record(z.string().regex(/^\d+$/), z.number()).optional(),
});

export const ExperimentConfigSchema = z
  .strictObject({
    task: z.literal('mnist').default('mnist'),
    data: z.string().optional(),
    backend: z.enum(BACKENDS).default('auto'),
    seed: z.number().int().min(0).default(0),
    trainExamples: positiveInt.optional(),
    teachers: z.array(TeacherSpecSchema).min(1),
    /** How several teachers are combined into one ("ensemble" in reports). */
    ensemble: z
      .strictObject({ combine: z.enum(['mean-logits', 'mean-probs']).default('mean-probs'), weights: z.array(z.number().min(0)).optional() })
      .optional(),
    students: z.array(StudentSpecSchema).min(1),
  })
  .superRefine((c, ctx) => {
    const names = [...c.teachers.map((t) => t.name), ...c.students.map((s) => s.name)];
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i || n === 'ensemble') {
        ctx.addIssue({ code: 'custom', path: [i < c.teachers.length ? 'teachers' : 'students', i < c.teachers.length ? i : i - c.teachers.length, 'name'], message: n === 'ensemble' ? 'expected a name other than "ensemble" (reserved), got "ensemble"' : `expected a unique name, got "${n}" again` });
      }
    });
    const teacherNames = new Set([...c.teachers.map((t) => t.name), ...(c.teachers.length > 1 ? ['ensemble'] : [])]);
    c.students.forEach((s, i) => {
      if (s.teacher !== undefined && !teacherNames.has(s.teacher)) {
        ctx.addIssue({ code: 'custom', path: ['students', i, 'teacher'], message: `expected one of ${[...teacherNames].join('|')}, got "${s.teacher}"` });
      }
    });
    // Feature losses compare activations of equal width between the student and one trained teacher.
    c.students.forEach((s, i) => {
      s.loss.forEach((t, j) => {
        if (!('studentFeature' in t)) return;
        const at = ['students', i, 'loss', j];
        const teacherName = s.teacher ?? (c.teachers.length > 1 ? 'ensemble' : c.teachers[0].name);
        const teacher = c.teachers.find((x) => x.name === teacherName);
        if (!teacher) {
          ctx.addIssue({ code: 'custom', path: [...at, 'name'], message: `${t.name} needs one trained teacher's activations, got teacher "${teacherName}"` });
          return;
        }
        const width = (hidden: number[], f: string) => hidden[Number(f.slice('hidden-'.length)) - 1];
        const tf = t.teacherFeature ?? t.studentFeature;
        const ws = width(s.hidden, t.studentFeature);
        const wt = width(teacher.hidden, tf);
        if (ws === undefined) ctx.addIssue({ code: 'custom', path: [...at, 'studentFeature'], message: `expected hidden-1 … hidden-${s.hidden.length}, got "${t.studentFeature}"` });
        else if (wt === undefined) ctx.addIssue({ code: 'custom', path: [...at, 'teacherFeature'], message: `expected hidden-1 … hidden-${teacher.hidden.length} of teacher "${teacher.name}", got "${tf}"` });
        else if (ws !== wt) {
          ctx.addIssue({ code: 'custom', path: [...at, 'studentFeature'], message: `expected the width of teacher "${teacher.name}" ${tf} (${wt} units), got ${ws} units in ${t.studentFeature} (a hint between different widths needs a regressor: hintRegressor in the library)` });
        }
      });
    });
    if (c.ensemble?.weights && c.ensemble.weights.length !== c.teachers.length) {
      ctx.addIssue({ code: 'custom', path: ['ensemble', 'weights'], message: `expected ${c.teachers.length} weights (one per teacher)` });
    }
  });

export type ExperimentConfig = z.infer<typeof ExperimentConfigSchema>;
export type ExperimentConfigInput = z.input<typeof ExperimentConfigSchema>;
export type TeacherSpec = z.infer<typeof TeacherSpecSchema>;
export type StudentSpec = z.infer<typeof StudentSpecSchema>;
