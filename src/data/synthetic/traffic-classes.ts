// The built-in dataset's classes: one script per application, written as what that application does on the wire.
import type { SimulationRng } from './random.ts';
import { FlowPath, type SimPacket } from './flow-path.ts';
import { TcpConnection } from './tcp-connection.ts';
import { udpIpv4Packet } from './frames.ts';
import { applicationData, clientFinished, clientHello, concatBytes, serverFirstFlight, sessionTickets } from './tls.ts';
import {
  INTERACTIVE_CLIENT_BANNERS,
  SERVER_BANNERS,
  TRANSFER_CLIENT_BANNERS,
  sshBanner,
  sshEncryptedPacket,
  sshEncryptedStream,
  sshKexInit,
  sshKeyExchange,
  sshNewKeys,
} from './ssh.ts';
import { DnsType, dnsQuery, dnsResponse, randomHostName } from './dns.ts';
import { RtpStream } from './rtp.ts';
import { WIREGUARD_INNER_MTU, WIREGUARD_PORT, wireGuardEncapsulate } from './wireguard.ts';

/** Simulates one flow of an application over `path`, starting at `start`, with TCP segments of at most `mss`. */
type FlowScript = (rng: SimulationRng, path: FlowPath, start: number, mss: number) => SimPacket[];

/** One class of the built-in dataset. */
export interface TrafficClass {
  /** Folder name and label. */
  readonly name: string;
  readonly description: string;
  /** Transport of the flow as captured (a tunnel is UDP whatever it carries). */
  readonly protocol: 'tcp' | 'udp';
  /** The server's port for one flow. */
  serverPort(rng: SimulationRng): number;
  /** The client's port, where the application picks it (RTP); otherwise the host's ephemeral range. */
  clientPort?(rng: SimulationRng): number;
  /** DSCP/ECN byte of the client's packets. */
  clientTos(rng: SimulationRng): number;
  /** Simulates one flow over `path` (the path between the capture point and the server or tunnel endpoint). */
  simulate(rng: SimulationRng, path: FlowPath, start: number): SimPacket[];
}

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));
const ETHERNET_MSS = [1460, 1460, 1460, 1452, 1400, 1360]; // plain Ethernet, PPPoE, and clamped paths
// Inside WireGuard: 1420-byte inner MTU minus 40 bytes of IPv4 + TCP headers.
const TUNNEL_MSS = WIREGUARD_INNER_MTU - 40;

function tcpSession(rng: SimulationRng, path: FlowPath, start: number, mss: number, talk: (tcp: TcpConnection) => void): SimPacket[] {
  const tcp = new TcpConnection(path, rng, start, { mss });
  tcp.open();
  talk(tcp);
  return tcp.packets;
}

interface TlsProfile {
  /** ClientHello record size range: it depends on the client software, not on what it will fetch. */
  hello: [number, number];
  /** Encrypted server flight range (certificate chain + signatures). */
  certificate: [number, number];
}

/** ClientHello, then the server's first flight one RTT (+ its crypto time) later. */
function tlsHandshake(tcp: TcpConnection, rng: SimulationRng, profile: TlsProfile): void {
  tcp.send(true, clientHello(rng, rng.int(...profile.hello), randomHostName(rng)), rng.uniform(0.2e-3, 3e-3));
  const serverFlight = serverFirstFlight(rng, rng.int(...profile.certificate));
  tcp.send(false, serverFlight, tcp.jitter(tcp.path.rtt) + rng.logUniform(0.5e-3, 15e-3));
}

/** TLS 1.3 clients send Finished and the first request in one write; the session tickets lead the server's answer. */
function firstTlsExchange(tcp: TcpConnection, rng: SimulationRng, request: Uint8Array, response: Uint8Array, serverTime: number): void {
  const gap = rng.uniform(0.3e-3, 4e-3);
  tcp.exchange(concatBytes([clientFinished(rng), request]), concatBytes([sessionTickets(rng), response]), gap, serverTime);
}

const webBrowsing: FlowScript = (rng, path, start, mss) =>
  tcpSession(rng, path, start, mss, (tcp) => {
    tlsHandshake(tcp, rng, { hello: [512, 600], certificate: [2500, 5000] });
    const responseSize = (): number => clamp(rng.logNormal(6000, 1.1), 300, 40000);
    const serverTime = (): number => rng.logUniform(2e-3, 150e-3);
    // HTTP/2: connection preface + SETTINGS + WINDOW_UPDATE, then the first HEADERS frame.
    const firstRequest = concatBytes([applicationData(rng, rng.int(60, 130)), applicationData(rng, rng.int(180, 650))]);
    firstTlsExchange(tcp, rng, firstRequest, applicationData(rng, responseSize()), serverTime());
    for (let i = rng.int(0, 3); i > 0; i--) {
      const think = clamp(rng.logNormal(0.5, 1.2), 0.02, 12); // the reader clicks on
      tcp.exchange(applicationData(rng, rng.int(120, 700)), applicationData(rng, responseSize()), think, serverTime());
    }
    tcp.close(rng.chance(0.7), rng.logUniform(0.3, 10));
  });

const videoStreaming: FlowScript = (rng, path, start, mss) =>
  tcpSession(rng, path, start, mss, (tcp) => {
    tlsHandshake(tcp, rng, { hello: [260, 520], certificate: [2000, 4500] });
    // The manifest first, then media segments: back to back while the buffer fills, then paced by playback.
    firstTlsExchange(
      tcp,
      rng,
      applicationData(rng, rng.int(300, 700)),
      applicationData(rng, rng.int(1500, 8000)),
      rng.logUniform(5e-3, 60e-3),
    );
    const segments = rng.int(2, 3);
    for (let i = 0; i < segments; i++) {
      const gap = i === 0 ? rng.uniform(0.01, 0.15) : rng.uniform(0.5, 3);
      tcp.exchange(
        applicationData(rng, rng.int(250, 600)),
        applicationData(rng, rng.int(8000, 24000)),
        gap,
        rng.logUniform(3e-3, 40e-3),
      );
    }
    tcp.close(rng.chance(0.5), rng.uniform(1, 5));
  });

const bulkDownload: FlowScript = (rng, path, start, mss) =>
  tcpSession(rng, path, start, mss, (tcp) => {
    tlsHandshake(tcp, rng, { hello: [230, 520], certificate: [1500, 4500] });
    const file = (): Uint8Array => applicationData(rng, rng.logUniform(20e3, 80e3));
    firstTlsExchange(tcp, rng, applicationData(rng, rng.int(90, 420)), file(), rng.logUniform(2e-3, 80e-3));
    if (rng.chance(0.15)) {
      tcp.exchange(applicationData(rng, rng.int(90, 420)), file(), rng.uniform(0.01, 1), rng.logUniform(2e-3, 80e-3));
    }
    tcp.close(rng.chance(0.6), rng.uniform(0.001, 0.5));
  });

const bulkUpload: FlowScript = (rng, path, start, mss) =>
  tcpSession(rng, path, start, mss, (tcp) => {
    tlsHandshake(tcp, rng, { hello: [250, 450], certificate: [3000, 5000] });
    // Request headers with Finished; the body follows once the server's tickets show the session is up.
    firstTlsExchange(tcp, rng, applicationData(rng, rng.int(300, 900)), new Uint8Array(0), rng.uniform(0.2e-3, 2e-3));
    tcp.send(true, applicationData(rng, rng.logUniform(20e3, 80e3)), rng.uniform(0.2e-3, 2e-3));
    tcp.send(false, applicationData(rng, rng.int(80, 600)), tcp.jitter(tcp.path.rtt) + rng.logUniform(5e-3, 300e-3));
    tcp.close(rng.chance(0.5), rng.uniform(0.001, 2));
  });

interface SshProfile {
  clientBanners: readonly string[];
  postQuantumShare: number;
  /** Share of sessions that log in with a typed password rather than a key (scripts and sync tools never type). */
  passwordShare: number;
}

/** Banners, key exchange, NEWKEYS, user authentication and a channel open: what every SSH session starts with. */
function sshPreamble(tcp: TcpConnection, rng: SimulationRng, profile: SshProfile): void {
  const rtt = (): number => tcp.jitter(tcp.path.rtt);
  tcp.send(true, sshBanner(rng, profile.clientBanners), rng.uniform(0.3e-3, 2e-3));
  // The server's banner and KEXINIT were sent when it accepted the connection: they arrive about one RTT in.
  tcp.send(false, concatBytes([sshBanner(rng, SERVER_BANNERS), sshKexInit(rng)]), rtt() - tcp.path.rtt * 0.3);
  tcp.send(true, sshKexInit(rng), rng.uniform(0.3e-3, 3e-3));
  const kex = sshKeyExchange(rng, profile.postQuantumShare);
  tcp.send(true, kex.init, rng.uniform(0.1e-3, 2e-3));
  tcp.send(false, concatBytes([kex.reply, sshNewKeys(rng)]), rtt() + rng.logUniform(1e-3, 15e-3));
  // NEWKEYS + SERVICE_REQUEST("ssh-userauth"), then user authentication.
  tcp.exchange(
    concatBytes([sshNewKeys(rng), sshEncryptedPacket(rng, 17)]),
    sshEncryptedPacket(rng, rng.pick([17, 40])),
    rng.uniform(0.2e-3, 2e-3),
    0.3e-3,
  );
  if (rng.chance(profile.passwordShare)) {
    // "none" is refused with the allowed methods, then a person types the password: seconds of silence.
    tcp.exchange(
      sshEncryptedPacket(rng, rng.int(40, 60)),
      sshEncryptedPacket(rng, rng.int(30, 50)),
      rng.uniform(1e-3, 20e-3),
      rng.uniform(0.3e-3, 3e-3),
    );
    tcp.exchange(
      sshEncryptedPacket(rng, rng.int(60, 100)),
      sshEncryptedPacket(rng, 1),
      clamp(rng.logNormal(4, 0.5), 1.5, 15),
      rng.uniform(5e-3, 300e-3),
    );
  } else {
    // Public key: a query, the server's PK_OK, then the signed request (an agent or key file signs in milliseconds).
    tcp.exchange(
      sshEncryptedPacket(rng, rng.int(300, 600)),
      sshEncryptedPacket(rng, rng.int(300, 600)),
      rng.uniform(1e-3, 20e-3),
      rng.uniform(0.3e-3, 3e-3),
    );
    tcp.exchange(
      sshEncryptedPacket(rng, rng.int(400, 700)),
      sshEncryptedPacket(rng, 1),
      rng.logUniform(2e-3, 200e-3),
      rng.uniform(1e-3, 10e-3),
    );
  }
  // OpenSSH servers then announce their host keys (hostkeys-00@openssh.com).
  if (rng.chance(0.7)) tcp.send(false, sshEncryptedPacket(rng, rng.int(600, 1800)), rng.uniform(0.1e-3, 1e-3));
  tcp.exchange(sshEncryptedPacket(rng, 24), sshEncryptedPacket(rng, 17), rng.uniform(0.5e-3, 5e-3), rng.uniform(0.2e-3, 2e-3));
}

const sshInteractive: FlowScript = (rng, path, start, mss) =>
  tcpSession(rng, path, start, mss, (tcp) => {
    sshPreamble(tcp, rng, { clientBanners: INTERACTIVE_CLIENT_BANNERS, postQuantumShare: 0.6, passwordShare: 0.4 });
    // pty-req (terminal modes), env, shell; the server prints the motd and a prompt.
    tcp.exchange(
      sshEncryptedStream(rng, [rng.int(250, 420), rng.int(30, 60), 14]),
      sshEncryptedStream(rng, [rng.int(300, 1500), rng.int(20, 80)]),
      rng.uniform(0.5e-3, 3e-3),
      rng.uniform(5e-3, 60e-3),
    );
    let sinceEnter = 0;
    let lineLength = rng.int(3, 15);
    for (let keys = rng.int(8, 30); keys > 0; keys--) {
      const think = clamp(rng.logNormal(0.18, 0.6), 0.04, 3); // inter-keystroke time of a typist
      if (sinceEnter++ < lineLength) {
        // One character (CHANNEL_DATA with 1 byte: the 36-byte packet) and its echo.
        tcp.exchange(
          sshEncryptedPacket(rng, 10),
          sshEncryptedPacket(rng, rng.pick([10, 10, 10, 11, 13])),
          think,
          rng.uniform(0.1e-3, 1e-3),
        );
      } else {
        // Enter: the command runs and its output comes back in one or more packets.
        const output = Array.from({ length: rng.int(1, 3) }, () => rng.int(40, 1400));
        tcp.exchange(sshEncryptedPacket(rng, 10), sshEncryptedStream(rng, output), think, rng.logUniform(1e-3, 80e-3));
        sinceEnter = 0;
        lineLength = rng.int(3, 15);
      }
    }
    // "exit": EOF, exit-status, CLOSE; the server closes the connection.
    tcp.exchange(
      sshEncryptedStream(rng, [10, 10]),
      sshEncryptedStream(rng, [rng.int(20, 60), 33, 5, 5]),
      rng.uniform(0.2, 1.5),
      rng.uniform(1e-3, 10e-3),
    );
    tcp.close(false, rng.uniform(1e-3, 20e-3));
  });

const sshFileTransfer: FlowScript = (rng, path, start, mss) =>
  tcpSession(rng, path, start, mss, (tcp) => {
    sshPreamble(tcp, rng, { clientBanners: TRANSFER_CLIENT_BANNERS, postQuantumShare: 0.25, passwordShare: 0.1 });
    // exec "scp -t <path>" or the sftp subsystem, then the transfer in 32 KiB CHANNEL_DATA packets.
    tcp.exchange(
      sshEncryptedPacket(rng, rng.int(40, 120)),
      sshEncryptedStream(rng, [5, rng.int(5, 40)]),
      rng.uniform(0.5e-3, 5e-3),
      rng.uniform(2e-3, 30e-3),
    );
    const upload = rng.chance(0.5);
    const total = rng.logUniform(20e3, 80e3);
    const chunks: number[] = [];
    for (let left = total; left > 0; left -= 32768) chunks.push(9 + Math.min(32768, Math.ceil(left)));
    tcp.send(upload, sshEncryptedStream(rng, chunks), rng.uniform(0.5e-3, 5e-3) + (upload ? 0 : tcp.jitter(tcp.path.rtt)));
    // The receiver confirms (scp's status byte or sftp's STATUS) and the client closes the channel.
    tcp.send(
      !upload,
      sshEncryptedPacket(rng, rng.int(10, 40)),
      (upload ? tcp.jitter(tcp.path.rtt) : 0) + rng.uniform(1e-3, 20e-3),
    );
    tcp.exchange(
      sshEncryptedStream(rng, [5, 5]),
      sshEncryptedStream(rng, [rng.int(20, 40), 5]),
      rng.uniform(1e-3, 10e-3),
      rng.uniform(0.5e-3, 5e-3),
    );
    tcp.close(false, rng.uniform(1e-3, 20e-3));
  });

const dns: FlowScript = (rng, path, start) => {
  const packets: SimPacket[] = [];
  const datagram = (time: number, fromClient: boolean, payload: Uint8Array): void => {
    const from = fromClient ? path.client : path.server;
    const to = fromClient ? path.server : path.client;
    packets.push({ time, fromClient, ip: udpIpv4Packet(path.ipFields(fromClient), from.port, to.port, payload) });
  };
  const name = randomHostName(rng);
  const edns = rng.chance(0.6);
  // glibc asks for A and AAAA over the same socket in parallel; others ask one question per socket.
  const types = rng.chance(0.5) ? [DnsType.A, DnsType.AAAA] : [rng.pick([DnsType.A, DnsType.A, DnsType.AAAA, DnsType.HTTPS])];
  const cacheMiss = rng.chance(0.4); // the resolver has to recurse: tens to hundreds of ms more
  const cname = rng.chance(0.4);
  let t = start;
  const questions = types.map((type) => {
    const q = { id: rng.int(0, 0xffff), name, type };
    datagram(t, true, dnsQuery(q, edns));
    t += rng.uniform(30e-6, 300e-6);
    return q;
  });
  let answerTime = start + path.rtt * rng.uniform(0.9, 1.2) + (cacheMiss ? rng.logUniform(10e-3, 300e-3) : 0);
  for (const q of questions) {
    datagram(answerTime, false, dnsResponse(rng, q, rng.int(1, 8), cname, edns));
    answerTime += rng.uniform(50e-6, 5e-3);
  }
  return packets;
};

const voip: FlowScript = (rng, path, start) => {
  const packets: SimPacket[] = [];
  const codec = rng.pick([
    { payloadType: 0, step: 160, size: (): number => 160 }, // G.711 u-law, 20 ms
    { payloadType: 8, step: 160, size: (): number => 160 }, // G.711 A-law
    { payloadType: 9, step: 160, size: (): number => 160 }, // G.722
    { payloadType: 111, step: 960, size: (): number => rng.int(70, 188) }, // Opus: variable bit rate
  ]);
  const duration = rng.uniform(0.8, 2);
  for (const fromClient of [true, false]) {
    const stream = new RtpStream(rng, codec.payloadType, codec.step);
    const from = fromClient ? path.client : path.server;
    const to = fromClient ? path.server : path.client;
    // The callee's media starts once it has answered; both then tick every 20 ms, the far side with network jitter.
    let t = start + (fromClient ? 0 : path.rtt + rng.uniform(0.02, 0.3));
    const jitter = fromClient ? 0.2e-3 : rng.uniform(0.3e-3, 4e-3);
    for (let clock = t; clock < start + duration; clock += 0.02) {
      t = Math.max(t + 1e-4, clock + Math.abs(rng.normal(0, jitter)));
      if (!fromClient && rng.chance(0.01)) continue; // a packet lost upstream of the capture point
      const payload = stream.next(rng, codec.size());
      packets.push({ time: t, fromClient, ip: udpIpv4Packet(path.ipFields(fromClient), from.port, to.port, payload) });
    }
  }
  return packets;
};

const chat: FlowScript = (rng, path, start, mss) =>
  tcpSession(rng, path, start, mss, (tcp) => {
    tlsHandshake(tcp, rng, { hello: [200, 400], certificate: [1000, 3000] });
    // Log in and receive the account state, then a trickle of messages, receipts, typing notices and pings.
    firstTlsExchange(
      tcp,
      rng,
      applicationData(rng, rng.int(200, 600)),
      applicationData(rng, rng.int(300, 3000)),
      rng.logUniform(5e-3, 100e-3),
    );
    for (let events = rng.int(3, 12); events > 0; events--) {
      const gap = clamp(rng.logNormal(2.5, 1.0), 0.2, 15);
      const kind = rng.uniform();
      if (kind < 0.4) {
        // An outgoing message and the server's receipt.
        const receipt = applicationData(rng, rng.int(30, 60));
        tcp.exchange(applicationData(rng, rng.int(60, 500)), receipt, gap, rng.uniform(5e-3, 40e-3));
      } else if (kind < 0.75) {
        tcp.send(false, applicationData(rng, rng.int(80, 600)), gap); // an incoming message
      } else if (kind < 0.9) {
        tcp.send(true, applicationData(rng, rng.int(25, 40)), gap); // typing indicator
      } else {
        tcp.exchange(applicationData(rng, rng.int(20, 30)), applicationData(rng, rng.int(20, 30)), gap, 1e-3); // ping
      }
    }
    tcp.close(rng.chance(0.5), rng.uniform(0.5, 10));
  });

/**
 * The same application inside a WireGuard tunnel: the inner flow runs between tunnel addresses (inner MSS 1380,
 * the RTT grown by the detour through the VPN server), sometimes after a DNS lookup through the tunnel, and the
 * capture sees only the outer UDP flow.
 */
function tunnelled(
  script: FlowScript,
  innerPort: (rng: SimulationRng) => number,
): (rng: SimulationRng, outer: FlowPath, start: number) => SimPacket[] {
  return (rng, outer, start) => {
    const detour = rng.logUniform(3e-3, 40e-3);
    const tunnelClient = (0x0a000000 | rng.int(0x020000, 0xfffffe)) >>> 0; // 10.x.y.z handed out by the VPN
    const endpoint = (address: number, port: number, ttl: number): FlowPath['client'] => ({
      address, port, ttl, ipId: rng.int(0, 0xffff), tos: 0, dontFragment: true,
    });
    const makeInner = (serverAddress: number, serverPort: number): FlowPath =>
      new FlowPath(
        endpoint(tunnelClient, rng.int(32768, 60999), 64),
        endpoint(serverAddress, serverPort, rng.pick([64, 128]) - rng.int(6, 20)),
        outer.rtt + detour,
        Math.min(outer.bandwidth, rng.logUniform(20e6, 200e6)),
      );
    const inner: SimPacket[] = [];
    let t = start + outer.rtt * 1.2; // after the WireGuard handshake
    if (rng.chance(0.5)) {
      const lookup = dns(rng, makeInner(rng.pick([0x0a400001, 0x01010101, 0x08080808]), 53), t, TUNNEL_MSS);
      inner.push(...lookup);
      t = Math.max(...lookup.map((p) => p.time)) + rng.uniform(0.5e-3, 5e-3);
    }
    inner.push(...script(rng, makeInner(publicAddress(rng), innerPort(rng)), t, TUNNEL_MSS));
    return wireGuardEncapsulate(rng, outer, inner, start);
  };
}

// First octets of large public allocations (cloud providers, CDNs, ISPs); none is private, loopback or multicast.
const PUBLIC_FIRST_OCTETS = [3, 13, 20, 23, 31, 34, 35, 45, 52, 54, 64, 66, 74, 77, 81, 89, 91, 104, 107, 142, 151, 157, 172, 185, 193, 199];

/** A random address outside private, loopback, multicast and reserved ranges, good enough for a server. */
export function publicAddress(rng: SimulationRng): number {
  const first = rng.pick(PUBLIC_FIRST_OCTETS);
  // 172 is public only outside 172.16/12.
  const second = first === 172 ? rng.int(64, 255) : rng.int(0, 255);
  return ((first << 24) | (second << 16) | (rng.int(0, 255) << 8) | rng.int(1, 254)) >>> 0;
}

const direct = (script: FlowScript) => (rng: SimulationRng, path: FlowPath, start: number): SimPacket[] =>
  script(rng, path, start, rng.pick(ETHERNET_MSS));
const https = (rng: SimulationRng): number => (rng.chance(0.95) ? 443 : 8443);
const noTos = (): number => 0;
const wireGuardPort = (rng: SimulationRng): number => (rng.chance(0.7) ? WIREGUARD_PORT : rng.int(1024, 65535));
const rtpPort = (rng: SimulationRng): number => 2 * rng.int(5000, 30000); // RTP uses even ports
// Many phones mark voice EF (DSCP 46); many soft clients do not.
const voiceTos = (rng: SimulationRng): number => (rng.chance(0.5) ? 0xb8 : 0);

/** The classes of the built-in dataset, in label order. */
export const TRAFFIC_CLASSES: readonly TrafficClass[] = [
  {
    name: 'web-browsing',
    description: 'HTTPS page loads: TLS 1.3, a few requests with think times',
    protocol: 'tcp',
    serverPort: https,
    clientTos: noTos,
    simulate: direct(webBrowsing),
  },
  {
    name: 'video-streaming',
    description: 'HTTPS manifest then media segments in paced bursts',
    protocol: 'tcp',
    serverPort: https,
    clientTos: noTos,
    simulate: direct(videoStreaming),
  },
  {
    name: 'bulk-download',
    description: 'one HTTPS request, a 20-80 KB response in slow-start flights',
    protocol: 'tcp',
    serverPort: https,
    clientTos: noTos,
    simulate: direct(bulkDownload),
  },
  {
    name: 'bulk-upload',
    description: 'HTTPS upload of 20-80 KB, a short response',
    protocol: 'tcp',
    serverPort: https,
    clientTos: noTos,
    simulate: direct(bulkUpload),
  },
  {
    name: 'ssh-interactive',
    description: 'SSH shell: 36-byte keystrokes and echoes at typing speed, command output',
    protocol: 'tcp',
    serverPort: (rng) => (rng.chance(0.9) ? 22 : rng.int(2000, 65000)),
    clientTos: (rng) => (rng.chance(0.5) ? 0x10 : 0),
    simulate: direct(sshInteractive),
  },
  {
    name: 'ssh-file-transfer',
    description: 'scp/sftp: SSH preamble then 32 KiB channel-data packets one way',
    protocol: 'tcp',
    serverPort: (rng) => (rng.chance(0.9) ? 22 : rng.int(2000, 65000)),
    clientTos: (rng) => (rng.chance(0.5) ? 0x08 : 0),
    simulate: direct(sshFileTransfer),
  },
  {
    name: 'dns',
    description: 'UDP DNS lookups: A and/or AAAA queries and their answers',
    protocol: 'udp',
    serverPort: () => 53,
    clientTos: noTos,
    simulate: direct(dns),
  },
  {
    name: 'voip',
    description: 'RTP voice both ways every 20 ms (G.711, G.722 or Opus)',
    protocol: 'udp',
    serverPort: rtpPort,
    clientPort: rtpPort,
    clientTos: voiceTos,
    simulate: direct(voip),
  },
  {
    name: 'chat',
    description: 'TLS messaging: login, sparse small messages, receipts, pings',
    protocol: 'tcp',
    serverPort: (rng) => rng.pick([443, 443, 5222, 5223]),
    clientTos: noTos,
    simulate: direct(chat),
  },
  {
    name: 'vpn-web-browsing',
    description: 'web-browsing inside a WireGuard tunnel',
    protocol: 'udp',
    serverPort: wireGuardPort,
    clientTos: noTos,
    simulate: tunnelled(webBrowsing, https),
  },
  {
    name: 'vpn-video-streaming',
    description: 'video-streaming inside a WireGuard tunnel',
    protocol: 'udp',
    serverPort: wireGuardPort,
    clientTos: noTos,
    simulate: tunnelled(videoStreaming, https),
  },
  {
    name: 'vpn-bulk-download',
    description: 'bulk-download inside a WireGuard tunnel',
    protocol: 'udp',
    serverPort: wireGuardPort,
    clientTos: noTos,
    simulate: tunnelled(bulkDownload, https),
  },
  {
    name: 'vpn-voip',
    description: 'voip inside a WireGuard tunnel',
    protocol: 'udp',
    serverPort: wireGuardPort,
    clientTos: noTos,
    simulate: tunnelled(voip, rtpPort),
  },
  {
    name: 'vpn-chat',
    description: 'chat inside a WireGuard tunnel',
    protocol: 'udp',
    serverPort: wireGuardPort,
    clientTos: noTos,
    simulate: tunnelled(chat, https),
  },
];
