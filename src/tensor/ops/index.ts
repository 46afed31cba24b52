// The functional op API, all families: `import * as ops` gives every op as a function.

export * from './elementwise.ts';
export * from './reduce.ts';
export * from './movement.ts';
export * from './linalg.ts';
export * from './conv.ts';
export * from './normalization.ts';
export * from './recurrent.ts';
export * from './attention.ts';
export * from './loss.ts';
export * from './routing.ts';
export { backward } from '../../autograd/backward.ts';
