// Public surface of the synthetic traffic generator.
export { SimulationRng } from './random.ts';
export { internetChecksum, pseudoHeaderSum, sumWords, finishChecksum } from './checksum.ts';
export { tcpIpv4Packet, udpIpv4Packet, ethernetFrame, ipv4FromString, ipv4ToString, TcpFlag, type Ipv4Fields, type TcpFields } from './frames.ts';
export { PcapWriter, type PcapWriterOptions } from './pcap-writer.ts';
export { FlowPath, type Endpoint, type SimPacket } from './flow-path.ts';
export { TcpConnection, type TcpConnectionOptions } from './tcp-connection.ts';
export { TRAFFIC_CLASSES, type TrafficClass } from './traffic-classes.ts';
export { generateSyntheticDataset, type SyntheticDatasetOptions, type SyntheticDatasetSummary, type SyntheticClassSummary } from './generate.ts';
export { ensureBuiltinDataset, builtinDatasetDir, SYNTHETIC_GENERATOR_VERSION, BUILTIN_SEED, BUILTIN_FLOWS_PER_CLASS } from './builtin.ts';
