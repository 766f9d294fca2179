export * from './tape.js';
export { gradPoolStats, releaseGradBuffers } from './grad-pool.js';
