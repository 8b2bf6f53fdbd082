import { unzipSync } from 'fflate';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { IDX_IMAGES_MAGIC, loadModel, readIdx, selectBackend } from '../src/index.js';
import { startServer, type RunningServer } from '../src/server/serve.js';
import { tmpDir, writeMiniMnist } from './helpers.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let server: RunningServer;
let browser: Browser;
let page: Page;
let mnistDir: string;

beforeAll(async () => {
  server = await startServer({ port: 0, host: '127.0.0.1', dataDir: tmpDir('distillery-web-'), maxUploadMb: 20, concurrency: 1, workerNice: 0 });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  mnistDir = writeMiniMnist(tmpDir(), { train: 600, test: 200, gzip: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

it('dashboard: upload a dataset, run a job, watch it finish, compare, download the student and run it in the page', async () => {
  await page.goto(`${server.url}/#token=${server.token}`);
  await page.click('text=New job');
  await page.setInputFiles('#datasets-files', fs.readdirSync(mnistDir).map((f) => path.join(mnistDir, f)));
  await page.fill('#datasets-name', 'mini-mnist');
  await page.click('#datasets-upload');
  await expect.poll(() => page.textContent('#datasets-message')).toMatch(/^uploaded mini-mnist \(ds_[0-9a-f]{12}\)$/);
  await expect.poll(() => page.$eval('#dataset', (s) => (s as HTMLSelectElement).selectedOptions[0]?.textContent)).toBe('mini-mnist (600 train)');

  // The server validates the config; its message lands in the form, at the field it names.
  await page.selectOption('#backend', 'cpu');
  await page.fill('#batch-size', '32');
  await page.fill('#teacher-hidden', '64');
  await page.fill('#teacher-epochs', '3');
  await page.fill('#student-hidden', '16');
  await page.fill('#student-epochs', '3');
  await page.fill('#loss-temperature', '-1');
  await page.click('#submit-job');
  await expect.poll(() => page.textContent('#form-error')).toBe('config.students.1.loss.0.temperature: expected number > 0, got -1');
  expect(await page.getAttribute('#loss-temperature', 'aria-invalid')).toBe('true');

  await page.fill('#loss-temperature', '4');
  await page.fill('#job-name', 'browser test');
  await page.click('#submit-job');
  await page.waitForURL(/#\/jobs\/job_[0-9a-f]{12}$/);
  const jobId = /job_[0-9a-f]{12}/.exec(page.url())![0];
  await page.waitForSelector('#job-state.succeeded', { timeout: 90_000 });
  await page.waitForSelector('table.comparison');
  const runs = await page.$$eval('table.comparison tbody tr', (rows) => rows.map((r) => r.getAttribute('data-run')));
  expect(runs).toEqual(['teacher', 'baseline', 'student']);
  const headers = await page.$$eval('table.comparison th', (th) => th.map((x) => x.textContent));
  expect(headers).toEqual(expect.arrayContaining(['test accuracy', 'agreement', 'params', 'bytes', 'ms/sample (b=1)']));
  const curves = await page.evaluate(() => {
    const C = (window as unknown as { Chart: { getChart(id: string): { data: { datasets: { label: string; data: unknown[] }[] } } } }).Chart;
    return ['loss-chart', 'accuracy-chart'].map((id) => C.getChart(id)!.data.datasets.map((d) => [d.label, d.data.length]));
  });
  expect(curves[0]).toEqual([['teacher', 3], ['baseline', 3], ['student', 3]]);
  expect(curves[1]).toEqual([['teacher', 3], ['baseline', 3], ['student', 3]]);

  await page.fill('#dark-example', '0');
  await page.click('#dark-show');
  await page.waitForSelector('table.bars tbody tr:nth-child(10)');
  expect(await page.$$eval('table.bars th', (th) => th.map((x) => x.textContent))).toEqual(['class', 'T = 1', 'T = 4', 'T = 20']);

  const downloadEvent = page.waitForEvent('download');
  await page.click('#download-student');
  const download = await downloadEvent;
  expect(download.suggestedFilename()).toBe(`${jobId}-student.zip`);
  const files = unzipSync(fs.readFileSync((await download.path())!));
  expect(Object.keys(files).sort()).toEqual(['student/model.json', 'student/weights.bin']);

  // The downloaded student in Node and in the page (TF.js browser bundles): the same classes.
  const modelDir = tmpDir();
  for (const [n, b] of Object.entries(files)) fs.writeFileSync(path.join(modelDir, path.basename(n)), b);
  await selectBackend('cpu');
  const model = await loadModel(modelDir);
  const images = readIdx(path.join(mnistDir, 't10k-images-idx3-ubyte.gz'), IDX_IMAGES_MAGIC).data;
  const rows = Array.from({ length: 50 }, (_, i) => Array.from(images.subarray(i * 784, (i + 1) * 784), (p) => p / 255));
  const argmax = tf.tidy(() => tf.argMax(model.predict(tf.tensor2d(rows)) as tf.Tensor2D, 1));
  const nodeClasses = Array.from(argmax.dataSync());
  argmax.dispose();
  const pageClasses = await page.evaluate(async ({ jobId, rows }) => {
    const d = (window as unknown as { distillery: { loadStudent(j: string, r: string): Promise<unknown>; predictClasses(m: unknown, r: number[][]): number[] } }).distillery;
    return d.predictClasses(await d.loadStudent(jobId, 'student'), rows);
  }, { jobId, rows });
  expect(pageClasses).toEqual(nodeClasses);
  expect(new Set(nodeClasses).size).toBeGreaterThan(1);

  await page.click('#try-student');
  await expect.poll(() => page.textContent('#browser-result')).toMatch(/^student, in this browser: test example 0 is a \d \(label 7\)$/);

  // The README's screenshot: refreshed with DISTILLERY_SCREENSHOT=docs/dashboard.png, so test runs leave the tree alone.
  const shot = await page.screenshot({ path: process.env.DISTILLERY_SCREENSHOT, fullPage: true });
  expect(shot.length).toBeGreaterThan(10_000);

  // A saved report.json opens without a server run.
  const reportFile = path.join(tmpDir(), 'report.json');
  fs.writeFileSync(reportFile, await (await fetch(`${server.url}/api/jobs/${jobId}/report.json`, { headers: { Authorization: `Bearer ${server.token}` } })).text());
  await page.click('text=Open a report');
  await page.setInputFiles('#report-file', reportFile);
  await page.waitForSelector('table.comparison tbody tr[data-run="student"]');
  await page.click('text=Jobs');
  await page.waitForSelector(`tr[data-job="${jobId}"] .state.succeeded`);
});
