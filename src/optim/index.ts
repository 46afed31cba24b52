// Optimisers, schedules and regularisation.

export { Optimizer, type OptimizerState } from './optimizer.ts';
export { setDeviceAdamFactory, deviceAdamFactory, type DeviceAdamFactory } from './device-optimizer.ts';
export { Sgd, type SgdOptions } from './sgd.ts';
export { Adam, AdamW, type AdamOptions } from './adam.ts';
export { applyL2Penalty, l2PenaltyValue, clipGradNorm } from './regularisation.ts';
export { constantSchedule, warmupCosineSchedule, type Schedule } from './schedule.ts';
