import path from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../fsutil.js';

/** One trained model's line in a report. */
export interface RunReport {
  testErrors: number;
  testAccuracy: number;
  nll: number;
  ece: number;
  params: number;
  bytes: number;
  msPerSample: number;
  samplesPerSec: number;
  /** Students only: fraction of test examples where the student predicts the teacher's class. */
  agreementWithTeacher?: number;
  epochs: number;
  trainSeconds: number;
  hidden?: number[];
  /** Students trained on a different transfer set than the full training set. */
  trainExamples?: number;
}

export interface Report {
  task: string;
  backend: string;
  seed: number;
  /** The distilled student's temperature and soft-target weight, when there is one such student. */
  temperature?: number;
  alpha?: number;
  trainExamples: number;
  testExamples: number;
  runs: Record<string, RunReport>;
  createdAt: string;
  [extra: string]: unknown;
}

const PAPER: Record<string, number> = { teacher: 67, baseline: 146, distilled: 74 };

const fixed = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : String(x));

/** The runs as a Markdown table (also what the CLI prints). */
export function reportTable(report: Report, opts: { paper?: boolean } = {}): string {
  const head = ['run', 'hidden', 'test errors', 'accuracy', 'NLL', 'ECE', 'agreement', 'params', 'bytes', 'ms/sample (b=1)', 'samples/s (b=256)', 'epochs', 'train s'];
  if (opts.paper) head.splice(3, 0, 'paper errors');
  const rows = Object.entries(report.runs).map(([name, r]) => {
    const row = [
      name,
      r.hidden ? r.hidden.join('-') : '',
      String(r.testErrors),
      `${fixed(100 * r.testAccuracy, 2)}%`,
      fixed(r.nll, 4),
      fixed(r.ece, 4),
      r.agreementWithTeacher === undefined ? '' : `${fixed(100 * r.agreementWithTeacher, 2)}%`,
      r.params.toLocaleString('en-US'),
      r.bytes.toLocaleString('en-US'),
      fixed(r.msPerSample, 3),
      Math.round(r.samplesPerSec).toLocaleString('en-US'),
      String(r.epochs),
      fixed(r.trainSeconds, 1),
    ];
    if (opts.paper) row.splice(3, 0, PAPER[name] === undefined ? '' : String(PAPER[name]));
    return row;
  });
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The paper's figures apply to the demo's three runs only. */
const isHintonMnist = (report: Report): boolean =>
  report.task === 'mnist' && Object.keys(report.runs).join(',') === 'teacher,baseline,distilled';

export function reportMarkdown(report: Report): string {
  return [
    `# Distillery report: ${report.task}`,
    '',
    `Backend ${report.backend}, seed ${report.seed}` +
      (report.temperature !== undefined ? `, temperature ${report.temperature}, alpha ${report.alpha}` : '') +
      '; ' +
      `${report.trainExamples.toLocaleString('en-US')} training and ${report.testExamples.toLocaleString('en-US')} test examples.`,
    '',
    reportTable(report, { paper: isHintonMnist(report) }),
    '',
    isHintonMnist(report)
      ? 'Paper errors: Hinton, Vinyals & Dean 2015, "Distilling the Knowledge in a Neural Network", MNIST (full 60k training set, long training).'
      : '',
    '',
  ].join('\n');
}

/** Writes report.json and report.md, each atomically; only called once everything is done. */
export function writeReport(dir: string, report: Report): void {
  writeJsonAtomic(path.join(dir, 'report.json'), report);
  writeFileAtomic(path.join(dir, 'report.md'), reportMarkdown(report));
}
