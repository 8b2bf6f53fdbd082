import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmpDir } from './helpers.js';

const BIN = path.resolve('bin/distillery.mjs');
const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, 'generate', ...args], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const oneLine = (s: string) => s.trim().split('\n').length === 1;

describe('distillery generate', () => {
  it('greedy-decodes the reference story from the default stories260K files', () => {
    const r = cli(['--greedy', '--max-tokens', '70']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Once upon a time, there was a little girl named Lily\. She loved to play outside in the park\. One day, she saw a big, red ball\. She wanted to play with it, but it was too high\./);
    expect(r.stderr).toMatch(/tokens in/);
  });

  it('continues a prompt and repeats itself for a seed', () => {
    const args = ['--prompt', 'Tom had a dog', '--max-tokens', '20', '--temperature', '0.8', '--top-p', '0.9', '--seed', '4'];
    const a = cli(args);
    expect(a.code).toBe(0);
    expect(a.stdout.startsWith('Tom had a dog')).toBe(true);
    expect(cli(args).stdout).toBe(a.stdout);
  });

  it.each([
    [['--top-p', '0'], '--top-p: expected number in (0, 1], got "0"'],
    [['--temperature', 'hot'], '--temperature: expected number in [0, 100], got "hot"'],
    [['--max-tokens', '0'], '--max-tokens: expected integer ≥ 1, got "0"'],
    [['--greedy', '--temperature', '0.5'], 'expected --greedy or --temperature/--top-p, got both'],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('bad flags %j exit 2 with one line', (args, message) => {
    const r = cli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(oneLine(r.stderr)).toBe(true);
    expect(r.stderr).toContain(message);
  });

  it('a truncated checkpoint exits 1 with one line naming the file and the byte counts', () => {
    const file = path.join(tmpDir(), 'cut.bin');
    const full = fs.readFileSync('models/stories260K/stories260K.bin');
    fs.writeFileSync(file, full.subarray(0, 5000));
    const r = cli(['--model', file]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toBe(true);
    expect(r.stderr).toBe(`distillery: error: ${file}: expected ${full.length} bytes for this llama2.c header, got 5000\n`);
  });

  it('a missing model file exits 1 with one line', () => {
    const r = cli(['--model', '/nonexistent/model.bin']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('distillery: error: /nonexistent/model.bin: cannot read checkpoint (ENOENT)\n');
  });
});
