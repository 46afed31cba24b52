// Layers: the Module base and the building blocks models are assembled from.

export { Module, type NamedParameter, type ParameterOptions } from './module.ts';
export { Dense, type DenseOptions, type Activation } from './dense.ts';
export { Conv1D, type Conv1DOptions } from './conv1d.ts';
export { MaxPool1D, Flatten } from './pooling.ts';
export { Dropout, reseedDropout } from './dropout.ts';
export { Lstm, type LstmLayerOptions } from './lstm.ts';
export { Sequential } from './sequential.ts';
