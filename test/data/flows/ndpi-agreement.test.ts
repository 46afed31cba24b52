// Agreement with nDPI's own flow table for its test corpus (../shared/data/ndpi-pcaps/flows.csv, 3171 flows).
//
// A flow of nDPI's is "found" when one of our flows has the same protocol and endpoints (either orientation) and the
// same packet count in each direction.
//
// With our defaults we find 96.0% (3045 of 3171). Every miss is a deliberate policy difference, not a decoding one:
// with nDPI's policies switched on (`fragments: 'drop'`, no idle timeout, `tcpClose: 'never'`) we find 100%.
// The 126 misses:
//   - IPv4 fragments (114 flows, all in dnscrypt-v1-and-resolver-pings.pcap, whose DNSCrypt queries are fragmented):
//     ndpiReader discards non-first fragments ("IPv4 fragments are not handled by this demo"); we attach them to
//     their flow, so our client-to-server counts are higher.
//   - Idle timeout (11 flows): ndpiReader's test runs never expire flows. dnscrypt-v1-and-resolver-pings.pcap holds
//     the same traffic twice, one hour apart, which nDPI merges into one flow per 5-tuple (6 flows, 3 of which also
//     differ by fragments); sip.pcap, tls-appdata.pcap, tor.pcap (2) and zoom_p2p.pcapng have gaps over 120 s inside
//     a 5-tuple, where we start a new flow.
//   - TCP teardown (1 flow, edonkey.pcap): packets arrive on the 5-tuple more than 5 s after both FINs; nDPI keeps them
//     in the flow, we start a new one.
// Byte counts are not compared one to one: nDPI counts frame lengths (link-layer header and Ethernet padding
// included), the Flow contract counts IP lengths. The test checks the difference is exactly that overhead.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatAddress, parseAddress } from '../../../src/data/capture/index.ts';
import { readFlows } from '../../../src/data/flows/index.ts';
import type { FlowOptions } from '../../../src/data/flows/index.ts';
import type { Flow } from '../../../src/data/types.ts';

const ROOT = '../shared/data/ndpi-pcaps';
const L4: Record<string, number> = { TCP: 6, UDP: 17, ICMP: 1, ICMPV6: 58, AH: 51, IGMP: 2 };

interface NdpiFlow {
  pcap: string;
  protocol: number;
  src: string; // canonical "ip|port"
  dst: string;
  c2sPackets: number;
  c2sBytes: number;
  s2cPackets: number;
  s2cBytes: number;
}

/** "[2001:db8::1]:443" or "10.0.0.1:443" -> canonical "ip|port" (our address text, so both sides compare). */
function endpoint(text: string): string {
  const colon = text.lastIndexOf(':');
  const address = parseAddress(text.slice(0, colon));
  if (address === null) throw new Error(`flows.csv: cannot parse endpoint ${text}`);
  return `${formatAddress(address.version, address.words)}|${text.slice(colon + 1)}`;
}

function loadNdpiFlows(): NdpiFlow[] {
  const [header, ...lines] = readFileSync(`${ROOT}/flows.csv`, 'utf8').trim().split(/\r?\n/); // the file has CRLF line ends
  const col = Object.fromEntries(header.split(',').map((name, i) => [name, i]));
  return lines.map((line) => {
    const f = line.split(',');
    const protocol = L4[f[col.l4]];
    if (protocol === undefined) throw new Error(`flows.csv: unknown l4 ${f[col.l4]}`);
    return {
      pcap: f[col.pcap],
      protocol,
      src: endpoint(f[col.src]),
      dst: endpoint(f[col.dst]),
      c2sPackets: Number(f[col.c2s_pkts]),
      c2sBytes: Number(f[col.c2s_bytes]),
      s2cPackets: Number(f[col.s2c_pkts]),
      s2cBytes: Number(f[col.s2c_bytes]),
    };
  });
}

interface Match {
  ndpi: NdpiFlow;
  ours: Flow | null;
  /** True when our client is nDPI's dst. */
  swapped: boolean;
}

async function agreement(options: FlowOptions): Promise<Match[]> {
  const ndpi = loadNdpiFlows();
  const matches: Match[] = [];
  const files = [...new Set(ndpi.map((f) => f.pcap))];
  for (const file of files) {
    const { flows } = await readFlows(`${ROOT}/pcap/${file}`, options);
    const byKey = new Map<string, Flow[]>();
    for (const f of flows) {
      const k = `${f.protocol}|${f.clientIp}|${f.clientPort}|${f.serverIp}|${f.serverPort}`;
      byKey.set(k, [...(byKey.get(k) ?? []), f]);
    }
    for (const n of ndpi.filter((f) => f.pcap === file)) {
      const same = (byKey.get(`${n.protocol}|${n.src}|${n.dst}`) ?? []).find((f) => f.packetsClientToServer === n.c2sPackets && f.packetsServerToClient === n.s2cPackets);
      const swapped = (byKey.get(`${n.protocol}|${n.dst}|${n.src}`) ?? []).find((f) => f.packetsClientToServer === n.s2cPackets && f.packetsServerToClient === n.c2sPackets);
      matches.push({ ndpi: n, ours: same ?? swapped ?? null, swapped: same === undefined && swapped !== undefined });
    }
  }
  return matches;
}

describe('agreement with nDPI flows.csv', () => {
  it('finds at least 96% of nDPI flows with equal per-direction packet counts using our default policies', async () => {
    const matches = await agreement({});
    const found = matches.filter((m) => m.ours !== null).length;
    const share = found / matches.length;
    console.log(`nDPI agreement (defaults): ${found}/${matches.length} = ${(100 * share).toFixed(2)}%`);
    expect(matches.length).toBe(3171);
    expect(share).toBeGreaterThanOrEqual(0.96);
  });

  it("finds every nDPI flow once nDPI's policies (drop later fragments, no idle timeout, no FIN split) are chosen", async () => {
    const matches = await agreement({ fragments: 'drop', idleTimeout: Infinity, tcpClose: 'never' });
    const missing = matches.filter((m) => m.ours === null);
    console.log(`nDPI agreement (nDPI policies): ${matches.length - missing.length}/${matches.length}`);
    expect(missing.map((m) => `${m.ndpi.pcap} ${m.ndpi.src} ${m.ndpi.dst}`)).toEqual([]);

    // Bytes: nDPI's per-packet frame length exceeds our IP length by the link-layer overhead: 14 bytes of Ethernet
    // header, plus 4 per VLAN tag, plus Ethernet padding of short frames, plus the outer header of 6in4 tunnels.
    let exactlyEthernet = 0;
    for (const m of matches) {
      const f = m.ours as Flow;
      const [c2s, s2c] = m.swapped ? [f.bytesServerToClient, f.bytesClientToServer] : [f.bytesClientToServer, f.bytesServerToClient];
      const packets = m.ndpi.c2sPackets + m.ndpi.s2cPackets;
      const overhead = (m.ndpi.c2sBytes + m.ndpi.s2cBytes - c2s - s2c) / packets;
      expect(overhead).toBeGreaterThanOrEqual(0); // 0 for raw-IP captures
      expect(overhead).toBeLessThanOrEqual(66); // Ethernet + padding to 60 bytes, or Ethernet + outer IPv6 header
      if (overhead === 14) exactlyEthernet++;
    }
    expect(exactlyEthernet / matches.length).toBeGreaterThan(0.9);
  });
});
