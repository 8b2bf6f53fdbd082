import fs from 'node:fs';
import { DistilleryError } from '../../errors.js';

export const BOS = 1;
export const EOS = 2;

/** A llama2.c / sentencepiece vocabulary: pieces with merge scores. Ids 3..258 are the byte tokens `<0x00>`..`<0xFF>`. */
export interface LlamaTokenizer {
  pieces: Uint8Array[];
  scores: Float32Array;
  maxTokenLength: number;
  /** Piece bytes (as latin1 string) -> id, for the merge search. */
  ids: Map<string, number>;
}

const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');

/**
 * Reads a llama2.c `tokenizer.bin`: int32 max_token_length, then per token f32 score, i32 length, bytes.
 *
 * @example
 * const tok = readLlamaTokenizer('models/stories260K/tok512.bin');
 * decode(tok, [BOS, ...encode(tok, 'Once upon a time')]); // 'Once upon a time'
 */
export function readLlamaTokenizer(file: string): LlamaTokenizer {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new DistilleryError('DATA_MISSING', `${file}: cannot read tokenizer (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const pieces: Uint8Array[] = [];
  const scores: number[] = [];
  if (buf.byteLength < 4) throw new DistilleryError('DATA_FORMAT', `${file}: expected at least 4 bytes, got ${buf.byteLength}`);
  const maxTokenLength = view.getInt32(0, true);
  let at = 4;
  while (at < buf.byteLength) {
    if (at + 8 > buf.byteLength) {
      throw new DistilleryError('DATA_FORMAT', `${file}: token ${pieces.length}: expected 8 bytes of score and length at byte ${at}, got ${buf.byteLength - at}`);
    }
    const score = view.getFloat32(at, true);
    const len = view.getInt32(at + 4, true);
    at += 8;
    if (len < 0 || at + len > buf.byteLength) {
      throw new DistilleryError('DATA_FORMAT', `${file}: token ${pieces.length}: expected ${len} bytes at byte ${at}, got ${Math.max(0, buf.byteLength - at)}`);
    }
    pieces.push(new Uint8Array(buf.subarray(at, at + len)));
    scores.push(score);
    at += len;
  }
  const ids = new Map<string, number>();
  pieces.forEach((p, i) => {
    const key = latin1(p);
    if (!ids.has(key)) ids.set(key, i);
  });
  return { pieces, scores: Float32Array.from(scores), maxTokenLength, ids };
}

const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;

/** The bytes a token stands for after `prev`: a `<0xXX>` byte token is that byte; after BOS the leading space is dropped. */
export function pieceBytes(tok: LlamaTokenizer, prev: number, id: number): Uint8Array {
  let piece = tok.pieces[id];
  if (!piece) throw new DistilleryError('USAGE', `token id: expected 0..${tok.pieces.length - 1}, got ${id}`);
  if (prev === BOS && piece[0] === 0x20) piece = piece.subarray(1);
  const m = BYTE_PIECE.exec(latin1(piece));
  return m ? Uint8Array.of(parseInt(m[1], 16)) : piece;
}

/**
 * Decodes ids to text the way llama2.c prints them: BOS/EOS vanish, the space after BOS is dropped,
 * byte tokens join into UTF-8. The first id is read as following BOS when `prev` is BOS (the default).
 */
export function decode(tok: LlamaTokenizer, ids: readonly number[], prev = BOS): string {
  const parts: Uint8Array[] = [];
  for (const id of ids) {
    if (id !== BOS && id !== EOS) parts.push(pieceBytes(tok, prev, id));
    prev = id;
  }
  return Buffer.concat(parts).toString('utf8');
}

/**
 * Sentencepiece-style BPE, as in llama2.c: a dummy-prefix space, one token per UTF-8 character
 * (or its bytes as `<0xXX>` tokens when the character is not in the vocabulary), then repeatedly
 * merge the adjacent pair whose joined piece has the highest score.
 */
export function encode(tok: LlamaTokenizer, text: string, opts: { bos?: boolean; eos?: boolean } = {}): number[] {
  const out: number[] = [];
  if (text !== '') {
    const bytes = Buffer.from(text, 'utf8');
    const space = tok.ids.get(' ');
    if (space !== undefined) out.push(space);
    for (let i = 0; i < bytes.length; ) {
      let n = 1;
      while (i + n < bytes.length && (bytes[i + n] & 0xc0) === 0x80 && n < 4) n++; // continuation bytes
      const id = tok.ids.get(bytes.subarray(i, i + n).toString('latin1'));
      if (id !== undefined) out.push(id);
      else for (let j = 0; j < n; j++) out.push(bytes[i + j] + 3);
      i += n;
    }
    for (;;) {
      let best = -Infinity;
      let bestId = -1;
      let bestAt = -1;
      for (let i = 0; i + 1 < out.length; i++) {
        const id = tok.ids.get(latin1(tok.pieces[out[i]]) + latin1(tok.pieces[out[i + 1]]));
        if (id !== undefined && tok.scores[id] > best) {
          best = tok.scores[id];
          bestId = id;
          bestAt = i;
        }
      }
      if (bestAt < 0) break;
      out.splice(bestAt, 2, bestId);
    }
  }
  if (opts.bos) out.unshift(BOS);
  if (opts.eos) out.push(EOS);
  return out;
}
