import type { PipelineEvents, RunName } from '../recipes/hinton.js';

const fmtTime = (s: number): string => {
  if (!Number.isFinite(s)) return '--';
  const m = Math.floor(s / 60);
  const r = Math.round(s % 60);
  return m ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
};

/**
 * Progress for long work. On a TTY: one redrawn line per run (epoch, bar, loss, ETA).
 * Otherwise: one plain line per finished epoch, so logs stay readable.
 */
export function progressEvents(stream: NodeJS.WriteStream = process.stderr): PipelineEvents {
  const tty = Boolean(stream.isTTY);
  let started = 0;
  let epochs = 0;
  let done = 0; // batches done in this process
  let total = 0; // batches left when this process started the run
  let lastDraw = 0;
  return {
    log: (line) => stream.write(`${tty ? '\r\x1b[K' : ''}${line}\n`),
    runStart(run: RunName, info) {
      if (info.skipped) {
        stream.write(`${run}: already trained (${info.epochs} epochs), loaded from disk\n`);
        return;
      }
      epochs = info.epochs;
      started = performance.now();
      done = 0;
      total = 0;
      stream.write(`${run}: training ${info.epochs} epochs${info.resumedFrom ? `, resuming after epoch ${info.resumedFrom}` : ''}\n`);
    },
    batch(run, b) {
      if (!total) total = (epochs - b.epoch + 1) * b.batches;
      done++;
      const now = performance.now();
      if (!tty || (now - lastDraw < 100 && b.batch !== b.batches)) return;
      lastDraw = now;
      const frac = b.batch / b.batches;
      const width = 24;
      const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
      const eta = ((now - started) / 1000 / done) * (total - done);
      stream.write(`\r\x1b[K${run} epoch ${b.epoch}/${epochs} [${bar}] ${Math.round(frac * 100)}% loss ${b.loss.toFixed(4)} ETA ${fmtTime(eta)}`);
    },
    epoch(run, e) {
      const extra = Object.entries(e)
        .filter(([k]) => !['epoch', 'loss', 'seconds'].includes(k))
        .map(([k, v]) => ` ${k} ${v.toFixed(4)}`)
        .join('');
      stream.write(`${tty ? '\r\x1b[K' : ''}${run} epoch ${e.epoch}/${epochs} loss ${e.loss.toFixed(4)}${extra} ${e.seconds.toFixed(1)}s\n`);
    },
  };
}
