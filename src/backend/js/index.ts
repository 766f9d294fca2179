// The pure-TypeScript reference backend: the living definition of every kernel.
import type { Backend } from '../kernels.js';
import { attentionBackward, attentionDecodeHalf, attentionForward } from './attention.js';
import * as ew from './elementwise.js';
import { crossEntropyBackward, crossEntropyForward, crossEntropyFused, embeddingBackward, embeddingForward, embeddingForwardHalf } from './embedding.js';

import { matmul, matmulBf16Dot, matmulBias, matmulHalf, matmulInt8, matmulScaledAdd } from './matmul.js';
import * as norm from './norm.js';
import * as red from './reduce.js';
import { rotaryBackward, rotaryForward } from './rotary.js';
import { stridedCopy, stridedScatter } from './strided.js';

export const jsBackend: Backend = {
  name: 'js',
  matmul, matmulHalf, matmulInt8,
  ...ew,
  ...red,
  ...norm,
  embeddingForward, embeddingBackward, embeddingForwardHalf, crossEntropyForward, crossEntropyBackward, crossEntropyFused,
  attentionForward, attentionBackward, attentionDecodeHalf,
  stridedCopy, stridedScatter,
  rotaryForward, rotaryBackward,
  matmulBias, matmulScaledAdd,
  matmulBf16Dot,
};
