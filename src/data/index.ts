// Public surface of the data pipeline: captures, flows, model inputs, dataset sources, splits, cache, synthetic data.
export * from './types.ts';
export * from './capture/index.ts';
export * from './flows/index.ts';
export * from './features/index.ts';
export * from './sources/index.ts';
export * from './split.ts';
export * from './cache.ts';
export * from './synthetic/index.ts';
