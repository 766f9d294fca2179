export * from './config.js';
export * from './weights.js';
export * from './transformer.js';
export * from './kv-cache.js';
export * from './heads.js';
export * from './lora.js';
export * from './rope.js';
