// Optimisers, schedules and regularisation.

export { Optimizer, type OptimizerState } from './optimizer.ts';
export {
  setDeviceOptimizers, deviceOptimizers,
  type DeviceGradientOptions, type DeviceOptimizerOptions, type DeviceOptimizerKind, type DeviceOptimizerFactories,
} from './device-optimizer.ts';
export { Sgd, type SgdOptions } from './sgd.ts';
export { Adam, AdamW, DEFAULT_WEIGHT_DECAY, type AdamOptions } from './adam.ts';
export { applyL2Penalty, l2PenaltyValue, clipGradNorm } from './regularisation.ts';
export { constantSchedule, warmupCosineSchedule, type Schedule } from './schedule.ts';
