/**
 * The answer store: an append-only JSONL file of teacher answers, one record per line, keyed by
 * requestKey(model, messages, params, sample). Every append is one write of a whole line followed by fsync,
 * so a process killed at any moment leaves every finished answer on disk and at most a torn last line,
 * which is detected, ignored, and cut off before the next append. A lock file keeps two writers apart;
 * a lock left by a killed process is taken over.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DistilleryError } from '../errors.js';

/** One sampled token with its log-probability and the top alternatives the server returned. */
export interface StoredToken {
  token: string;
  logprob: number;
  top: { token: string; logprob: number }[];
}

export interface StoredChoice {
  content: string;
  /** `stop` (the model ended it), `length` (cut at max_tokens), … as the server said. */
  finishReason?: string;
  /** Per-token logprobs, when the request asked for them and the server offered them. */
  tokens?: StoredToken[];
}

export interface StoredAnswer {
  v: 1;
  key: string;
  /** Which prompt of the prompt set, e.g. `train:12`. */
  promptId: string;
  sample: number;
  model: string;
  choices: StoredChoice[];
  usage: { promptTokens: number; completionTokens: number };
  /** Requests it took (1 = answered first time). */
  attempts: number;
  ms: number;
  at: string;
}

/**
 * The identity of a request: the same model, messages, parameters and sample index give the same key.
 *
 * @example requestKey('sst2-teacher', [{ role: 'user', content: 'a fine film' }], { temperature: 0 }, 0)
 */
export function requestKey(model: string, messages: unknown, params: unknown, sample: number): string {
  return crypto.createHash('sha256').update(JSON.stringify({ model, messages, params, sample })).digest('hex').slice(0, 32);
}

const isAnswer = (r: unknown): r is StoredAnswer => {
  const a = r as StoredAnswer;
  return typeof a === 'object' && a !== null && a.v === 1 && typeof a.key === 'string' && Array.isArray(a.choices) && typeof a.promptId === 'string';
};

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export interface StoreOpenInfo {
  /** Bytes of a torn last line that was ignored (and cut off when opened for writing). */
  tornBytes: number;
  /** Records whose key was already present (kept: the first). */
  duplicates: number;
}

export class AnswerStore {
  readonly file: string;
  readonly info: StoreOpenInfo;
  private readonly byKey = new Map<string, StoredAnswer>();
  private fd: number | undefined;
  /** Opened for appends; the file itself is created by the first one. */
  private writable = false;
  private lockFile: string | undefined;

  private constructor(file: string, info: StoreOpenInfo) {
    this.file = file;
    this.info = info;
  }

  /**
   * Reads a store. `write: true` also takes the lock, cuts off a torn last line and opens it for appends
   * (creating the file and its folder when missing).
   *
   * @example const store = AnswerStore.open('out/sst2/answers.jsonl', { write: true })
   */
  static open(file: string, opts: { write?: boolean } = {}): AnswerStore {
    const exists = fs.existsSync(file);
    if (!exists && !opts.write) throw new DistilleryError('DATA_MISSING', `${file}: answer store not found (run distillery collect first)`);
    let lockFile: string | undefined;
    if (opts.write) {
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      lockFile = takeLock(`${file}.lock`);
    }
    try {
      const buf = exists ? fs.readFileSync(file) : Buffer.alloc(0);
      const end = buf.lastIndexOf(0x0a) + 1; // bytes up to and including the last newline
      const store = new AnswerStore(file, { tornBytes: buf.length - end, duplicates: 0 });
      const lines = buf.subarray(0, end).toString('utf8').split('\n');
      for (let i = 0; i < lines.length - 1; i++) {
        let rec: unknown;
        try {
          rec = JSON.parse(lines[i]);
        } catch {
          rec = undefined;
        }
        if (!isAnswer(rec)) {
          throw new DistilleryError('DATA_FORMAT', `${file}:${i + 1}: expected an answer record (JSON with v, key, promptId, choices), got "${lines[i].slice(0, 40)}"`);
        }
        if (store.byKey.has(rec.key)) store.info.duplicates++;
        else store.byKey.set(rec.key, rec);
      }
      if (opts.write) {
        if (store.info.tornBytes > 0) fs.truncateSync(file, end);
        store.writable = true;
        store.lockFile = lockFile;
      }
      return store;
    } catch (e) {
      if (lockFile) fs.rmSync(lockFile, { force: true });
      throw e;
    }
  }

  get size(): number {
    return this.byKey.size;
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  get(key: string): StoredAnswer | undefined {
    return this.byKey.get(key);
  }

  records(): IterableIterator<StoredAnswer> {
    return this.byKey.values();
  }

  /** Appends one answer as one line and fsyncs it before returning. A key already stored is not written again. */
  append(answer: StoredAnswer): boolean {
    if (!this.writable) throw new DistilleryError('USAGE', `${this.file}: store opened read-only`);
    if (this.byKey.has(answer.key)) return false;
    this.fd ??= fs.openSync(this.file, 'a');
    fs.writeSync(this.fd, `${JSON.stringify(answer)}\n`);
    fs.fsyncSync(this.fd);
    this.byKey.set(answer.key, answer);
    return true;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    this.writable = false;
    if (this.lockFile) fs.rmSync(this.lockFile, { force: true });
    this.lockFile = undefined;
  }
}

/** Creates the lock file holding our pid; a lock whose process is gone is taken over. */
function takeLock(lockFile: string): string {
  for (let tries = 0; tries < 3; tries++) {
    try {
      const fd = fs.openSync(lockFile, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return lockFile;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(fs.readFileSync(lockFile, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new DistilleryError('USAGE', `${lockFile}: store is in use by process ${pid} (another collect is running)`);
      }
      fs.rmSync(lockFile, { force: true });
    }
  }
  throw new DistilleryError('USAGE', `${lockFile}: could not take the store lock`);
}
