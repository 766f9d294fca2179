export * from './tape.js';
export * from './checkpoint.js';
export { gradPoolStats, recycleGradBuffer, releaseGradBuffers, takeGradBuffer } from './grad-pool.js';
