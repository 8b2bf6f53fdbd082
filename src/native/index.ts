import { DistilleryError } from '../errors.js';

/** Registers the `native` TF.js backend. Until the addon lands, it is reported as unavailable. */
export function registerNativeBackend(_opts: { threads?: number } = {}): void {
  throw new DistilleryError('BACKEND', 'backend native: addon not built (install libopenblas-dev, then npm rebuild)');
}
