// Which pcap link types we decode, and readable names for the ones we meet but do not.
import { LinkType } from '../types.ts';

/** Link types the frame decoder understands. */
export const SUPPORTED_LINK_TYPES: ReadonlySet<number> = new Set<number>(Object.values(LinkType));

/** Names for warnings ("link type 127 (IEEE802_11_RADIOTAP) is not supported"); from the tcpdump.org registry. */
const LINK_TYPE_NAMES: Record<number, string> = {
  0: 'NULL',
  1: 'ETHERNET',
  6: 'IEEE802_5',
  8: 'SLIP',
  9: 'PPP',
  10: 'FDDI',
  50: 'PPP_HDLC',
  51: 'PPP_ETHER',
  101: 'RAW',
  104: 'C_HDLC',
  105: 'IEEE802_11',
  107: 'FRELAY',
  108: 'LOOP',
  113: 'LINUX_SLL',
  119: 'IEEE802_11_PRISM',
  127: 'IEEE802_11_RADIOTAP',
  138: 'APPLE_IP_OVER_IEEE1394',
  143: 'DOCSIS',
  147: 'USER0',
  163: 'IEEE802_11_AVS',
  187: 'BLUETOOTH_HCI_H4',
  192: 'PPI',
  195: 'IEEE802_15_4_WITHFCS',
  201: 'BLUETOOTH_HCI_H4_WITH_PHDR',
  220: 'USB_LINUX_MMAPPED',
  227: 'CAN_SOCKETCAN',
  228: 'IPV4',
  229: 'IPV6',
  235: 'DVB_CI',
  239: 'NFLOG',
  249: 'USBPCAP',
  252: 'WIRESHARK_UPPER_PDU',
  264: 'ISO_14443',
  276: 'LINUX_SLL2',
};

export function linkTypeName(linkType: number): string {
  return LINK_TYPE_NAMES[linkType] ?? 'unknown';
}
