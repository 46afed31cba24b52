// Public surface of the model-input features: DCL-MoE feature sets, the standardiser, TrafficMoE byte tokens.
export { DEFAULT_FEATURE_SET, getFeatureSet, listFeatureSets, registerFeatureSet, type FeatureSet } from './feature-set.ts';
export { packetSequence, PACKET_SEQUENCE_PACKETS } from './packet-sequence.ts';
export { flowStatistics } from './flow-statistics.ts';
export { extractFeatures, type FeatureMatrix } from './feature-matrix.ts';
export { Standardiser, type StandardiserJson } from './standardiser.ts';
export {
  extractTrafficMoeInputs,
  trafficMoeLayout,
  TRAFFIC_MOE_PRESETS,
  type TrafficMoeByteOptions,
  type TrafficMoeInputs,
  type TrafficMoeLayout,
  type TrafficMoePreset,
} from './traffic-moe-bytes.ts';
