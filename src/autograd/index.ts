export * from './tape.js';
export * from './checkpoint.js';
export { gradPoolStats, releaseGradBuffers } from './grad-pool.js';
