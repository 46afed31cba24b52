// Public surface of the capture readers: pcap/pcapng files or bytes in, decoded IP packets out.
export { readCaptureBytes, readCaptureFile } from './capture-reader.ts';
export type { CaptureHandlers, CaptureReadOptions, CaptureStats, CapturedPacket } from './capture-types.ts';
export { isCapturedPacket } from './capture-types.ts';
export { SUPPORTED_LINK_TYPES, linkTypeName } from './link-types.ts';
export { formatAddress, formatIpv4, formatIpv6, parseAddress } from './ip-address.ts';
export type { AddressWords } from './ip-address.ts';
