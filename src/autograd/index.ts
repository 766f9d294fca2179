export * from './tape.js';
export { gradPoolStats, recycleGradBuffer, releaseGradBuffers, takeGradBuffer } from './grad-pool.js';
