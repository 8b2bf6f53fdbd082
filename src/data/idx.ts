import fs from 'node:fs';
import zlib from 'node:zlib';
import { DistilleryError } from '../errors.js';

/** An idx array (LeCun's MNIST format): unsigned bytes with their dimensions. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Magic numbers of the two MNIST files: 0x00000803 (ubyte, 3 dims) and 0x00000801 (ubyte, 1 dim). */
export const IDX_IMAGES_MAGIC = 2051;
export const IDX_LABELS_MAGIC = 2049;

/**
 * Reads an idx file (raw, or gzip when it starts with the gzip magic) and validates magic, dims and size.
 *
 * @example const { dims, data } = readIdx('train-images-idx3-ubyte', 2051) // dims [60000, 28, 28]
 */
export function readIdx(file: string, expectedMagic: number): IdxArray {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch {
    throw new DistilleryError('DATA_MISSING', `${file}: file not found or unreadable`);
  }
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = zlib.gunzipSync(buf);
    } catch (e) {
      throw new DistilleryError('DATA_FORMAT', `${file}: corrupt gzip stream (${(e as Error).message})`);
    }
  }
  if (buf.length < 8) {
    throw new DistilleryError('DATA_FORMAT', `${file}: expected an idx header of at least 8 bytes, got ${buf.length}`);
  }
  const magic = buf.readUInt32BE(0);
  if (magic !== expectedMagic) {
    throw new DistilleryError('DATA_FORMAT', `${file}: expected idx magic ${expectedMagic}, got ${magic}`);
  }
  const ndim = magic & 0xff;
  const header = 4 + 4 * ndim;
  if (buf.length < header) {
    throw new DistilleryError('DATA_FORMAT', `${file}: expected a ${header}-byte header for ${ndim} dims, got ${buf.length} bytes`);
  }
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  const expectedBytes = dims.reduce((a, b) => a * b, 1);
  const got = buf.length - header;
  if (got !== expectedBytes) {
    throw new DistilleryError(
      'DATA_FORMAT',
      `${file}: expected ${expectedBytes} data bytes for dims [${dims.join(', ')}], got ${got} (truncated or padded file)`,
    );
  }
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + header, expectedBytes) };
}

/** Writes a raw idx file (used by tests and by tools that export MNIST-format data). */
export function idxBytes(magic: number, dims: number[], data: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}
