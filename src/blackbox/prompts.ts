/**
 * Prompt sets: a text dataset rendered through the config's template into chat requests, each with the
 * store key that identifies it. The same config always yields the same keys, which is what makes
 * collection resumable and lets training find its answers.
 */
import { readLabeledText, readTextLines, type TextExamples } from '../data/text.js';
import type { TeacherEndpointConfig } from './config.js';
import type { ChatMessage, ChatParams } from './http-teacher.js';
import { requestKey } from './store.js';

export interface PromptJob {
  key: string;
  /** `train:12`: split and line order. */
  promptId: string;
  sample: number;
  messages: ChatMessage[];
  params: ChatParams;
}

/** The chat messages for one text: optional system message, then the template with `{text}` filled in. */
export function renderMessages(teacher: Pick<TeacherEndpointConfig, 'system' | 'template'>, text: string): ChatMessage[] {
  const user: ChatMessage = { role: 'user', content: teacher.template.split('{text}').join(text) };
  return teacher.system ? [{ role: 'system', content: teacher.system }, user] : [user];
}

/**
 * One job per (text, sample): sample s asks with seed + s, so repeated samples differ when the server is seeded.
 *
 * @example promptJobs(config.teacher, 'train', readLabeledText(file, 2).texts)
 */
export function promptJobs(teacher: TeacherEndpointConfig, split: string, texts: string[]): PromptJob[] {
  const jobs: PromptJob[] = [];
  const { seed, ...rest } = teacher.params;
  texts.forEach((text, i) => {
    const messages = renderMessages(teacher, text);
    for (let s = 0; s < teacher.samples; s++) {
      const params: ChatParams = { ...rest, ...(seed !== undefined ? { seed: seed + s } : {}) };
      if (!params.logprobs) delete params.topLogprobs;
      jobs.push({ key: requestKey(teacher.model, messages, params, s), promptId: `${split}:${i}`, sample: s, messages, params });
    }
  });
  return jobs;
}

export interface TextTask {
  train: TextExamples;
  test: TextExamples;
  /** Unlabeled extra prompts (empty when the config names none). */
  transfer: string[];
  labels: string[];
}

/** The config's train and test files, read and checked against its label list. */
export function readTextTask(data: { train: string; test: string; labels: string[]; trainLimit?: number; testLimit?: number; transfer?: string; transferLimit?: number }): TextTask {
  const C = data.labels.length;
  return {
    train: readLabeledText(data.train, C, data.trainLimit),
    test: readLabeledText(data.test, C, data.testLimit),
    transfer: data.transfer ? readTextLines(data.transfer, data.transferLimit) : [],
    labels: data.labels,
  };
}
