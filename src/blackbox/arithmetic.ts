/**
 * A task with checkable answers for rejection sampling: multi-digit addition with worked steps. The prompt
 * is the problem (`347+85=`); the worked solution adds digit by digit from the right, each step
 * `a+b+carry=two-digit sum`, and ends in a final answer line:
 *
 * ```
 * 347+85=
 * 7+5+0=12
 * 4+8+1=13
 * 3+0+1=04
 * answer: 432
 * ```
 *
 * Problems are drawn deterministically from a seed; the splits (teacher training, prompts, held-out test)
 * never share a problem. Every character is one token of the stories260K tokenizer (digits, `+`, `=`,
 * newline) except the answer line, so llama2.c checkpoints trained on it run unchanged in `generate` and
 * `serve-teacher`.
 */
import { Rng } from '../engine/seed.js';
import { DistilleryError } from '../errors.js';

export interface Problem {
  /** The prompt: `347+85=` */
  text: string;
  /** The final answer: `432` */
  expected: string;
  /** The gold worked solution that follows the prompt (starts with a newline, ends with the answer line). */
  gold: string;
}

/**
 * The problem a + b with its worked solution.
 *
 * @example additionProblem(347, 85).gold // '\n7+5+0=12\n4+8+1=13\n3+0+1=04\nanswer: 432'
 */
export function additionProblem(a: number, b: number): Problem {
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || a < 0 || b < 0) throw new DistilleryError('USAGE', `addition: expected non-negative integers, got ${a} and ${b}`);
  const da = String(a).split('').reverse().map(Number);
  const db = String(b).split('').reverse().map(Number);
  const steps: string[] = [];
  let carry = 0;
  for (let i = 0; i < Math.max(da.length, db.length); i++) {
    const x = da[i] ?? 0;
    const y = db[i] ?? 0;
    const s = x + y + carry;
    steps.push(`${x}+${y}+${carry}=${String(s).padStart(2, '0')}`);
    carry = s >= 10 ? 1 : 0;
  }
  const expected = String(a + b);
  return { text: `${a}+${b}=`, expected, gold: `\n${steps.join('\n')}\nanswer: ${expected}` };
}

export interface AdditionSplitOptions {
  seed: number;
  /** Digits of each operand, drawn uniformly in [minDigits, maxDigits] (independently per operand). */
  minDigits: number;
  maxDigits: number;
  /** Problems with gold solutions to train the teacher on. */
  teacher: number;
  /** Prompts the teacher is asked (the students' training prompts; gold solutions kept for the gold student). */
  train: number;
  /** Held-out problems for evaluation. */
  test: number;
}

export interface ProblemSplits {
  teacher: Problem[];
  train: Problem[];
  test: Problem[];
}

/**
 * Disjoint splits of distinct addition problems, the same for the same options.
 *
 * @example additionSplits({ seed: 0, minDigits: 2, maxDigits: 4, teacher: 5000, train: 300, test: 200 }).test[0].text
 */
export function additionSplits(o: AdditionSplitOptions): ProblemSplits {
  if (!(o.minDigits >= 1 && o.maxDigits >= o.minDigits && o.maxDigits <= 15)) {
    throw new DistilleryError('CONFIG', `addition: expected 1 ≤ minDigits ≤ maxDigits ≤ 15, got ${o.minDigits}..${o.maxDigits}`);
  }
  const rng = new Rng(o.seed);
  const operand = () => {
    const d = o.minDigits + rng.int(o.maxDigits - o.minDigits + 1);
    return d === 1 ? rng.int(10) : 10 ** (d - 1) + rng.int(9 * 10 ** (d - 1));
  };
  const seen = new Set<string>();
  const draw = (n: number): Problem[] => {
    const out: Problem[] = [];
    for (let tries = 0; out.length < n; tries++) {
      if (tries > 100 * n + 1000) throw new DistilleryError('CONFIG', `addition: expected ${o.teacher + o.train + o.test} distinct problems with ${o.minDigits}..${o.maxDigits} digits, found only ${seen.size}`);
      const a = operand();
      const b = operand();
      const key = `${a}+${b}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(additionProblem(a, b));
    }
    return out;
  };
  // Test first, then prompts, then teacher data: growing the teacher set leaves the other two unchanged.
  const test = draw(o.test);
  const train = draw(o.train);
  return { teacher: draw(o.teacher), train, test };
}
