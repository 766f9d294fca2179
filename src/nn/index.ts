export * from './linear.js';
export * from './lora-linear.js';
export * from './init.js';
export * from './adamw.js';
export * from './schedule.js';
export * from './clip.js';
