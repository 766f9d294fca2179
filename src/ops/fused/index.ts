export * from './rotary.js';
export * from './glu.js';
