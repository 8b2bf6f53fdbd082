import * as tf from '@tensorflow/tfjs-core';
import './setup.js';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DistilleryError } from '../errors.js';

export const BACKENDS = ['auto', 'native', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

export interface BackendInfo {
  /** The backend actually in use. */
  name: Exclude<BackendChoice, 'auto'>;
  /** Why auto chose it, or why a preferred backend was skipped. */
  note?: string;
}

const require = createRequire(import.meta.url);

async function useWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  // In Node the .wasm binaries are read from the installed package, never fetched.
  wasm.setWasmPaths(path.join(dir, 'dist') + path.sep);
  if (!(await tf.setBackend('wasm'))) throw new DistilleryError('BACKEND', 'backend wasm: failed to initialize');
}

async function useNative(threads?: number): Promise<void> {
  const native = await import('../native/index.js');
  native.registerNativeBackend({ threads }); // throws DistilleryError('BACKEND', ...) with an install hint
  if (!(await tf.setBackend('native'))) throw new DistilleryError('BACKEND', 'backend native: failed to initialize');
}

/** Throws the one-line USAGE error for a name that is not a backend. */
export function checkBackendChoice(choice: string): asserts choice is BackendChoice {
  if (!(BACKENDS as readonly string[]).includes(choice)) {
    throw new DistilleryError('USAGE', `--backend: expected one of ${BACKENDS.join('|')}, got "${choice}"`);
  }
}

/**
 * Selects the TF.js backend: native (OpenBLAS addon) > wasm > cpu for `auto`.
 * An explicitly requested backend that cannot start is an error, never a silent fallback.
 */
export async function selectBackend(choice: string = 'auto', opts: { threads?: number } = {}): Promise<BackendInfo> {
  checkBackendChoice(choice);
  const threads = opts.threads ?? (process.env.DISTILLERY_THREADS ? Number(process.env.DISTILLERY_THREADS) : undefined);
  if (choice === 'native') {
    await useNative(threads);
    return { name: 'native' };
  }
  if (choice === 'wasm') {
    await useWasm();
    return { name: 'wasm' };
  }
  if (choice === 'cpu') {
    await tf.setBackend('cpu');
    return { name: 'cpu' };
  }
  let note: string | undefined;
  try {
    await useNative(threads);
    return { name: 'native' };
  } catch (e) {
    note = `native unavailable (${(e as Error).message}); using wasm`;
  }
  try {
    await useWasm();
    return { name: 'wasm', note };
  } catch (e) {
    await tf.setBackend('cpu');
    return { name: 'cpu', note: `${note}; wasm unavailable (${(e as Error).message}); using cpu` };
  }
}
