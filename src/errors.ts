/**
 * Every failure a user can cause surfaces as a DistilleryError: a stable code and a one-line message
 * that names the file, field or shape, with what was expected and what came.
 */
export type ErrorCode =
  | 'DATA_MISSING'
  | 'DATA_FORMAT'
  | 'CONFIG'
  | 'USAGE'
  | 'BACKEND'
  | 'SHAPE'
  | 'CHECKPOINT'
  | 'MODEL'
  /** A remote teacher refused or kept failing (auth, unknown model, retries exhausted). */
  | 'TEACHER';

export class DistilleryError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'DistilleryError';
    this.code = code;
  }
}

export const isDistilleryError = (e: unknown): e is DistilleryError => e instanceof DistilleryError;

/** `[32, 10]` — how shapes are written in every message. */
export const fmtShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;
