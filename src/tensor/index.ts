export * from './tensor.js';
export * from './shape.js';
export * from './create.js';
export * from './rng.js';
export * from './half.js';
