/** The kernel's table of this machine's IPv4 TCP sockets (Linux /proc/net/tcp): what a process still holds of a connection, and its unsent bytes. */
import { readFileSync } from "node:fs";

export interface TcpSocket {
  state: "established" | "syn_sent" | "syn_recv" | "fin_wait1" | "fin_wait2" | "time_wait" | "close" | "close_wait" | "last_ack" | "listen" | "closing" | "unknown";
  localPort: number;
  remotePort: number;
  /** Bytes written by the process and not yet acknowledged by the peer (tx_queue). */
  sendQueueBytes: number;
  /** The socket's inode: /proc/<pid>/fd links name it as socket:[inode]. */
  inode: string;
}

const STATES: Record<string, TcpSocket["state"]> = {
  "01": "established",
  "02": "syn_sent",
  "03": "syn_recv",
  "04": "fin_wait1",
  "05": "fin_wait2",
  "06": "time_wait",
  "07": "close",
  "08": "close_wait",
  "09": "last_ack",
  "0A": "listen",
  "0B": "closing",
};

const portOf = (address: string) => Number.parseInt(address.split(":")[1] ?? "0", 16);

/** Every IPv4 and IPv6 TCP socket of this machine (/proc/net/tcp and tcp6). */
export function readTcpTable(): TcpSocket[] {
  const sockets: TcpSocket[] = [];
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.trim().split("\n").slice(1)) {
      const [, local = "", remote = "", st = "", queues = "", , , , , inode = ""] = line.trim().split(/\s+/);
      sockets.push({
        state: STATES[st.toUpperCase()] ?? "unknown",
        localPort: portOf(local),
        remotePort: portOf(remote),
        sendQueueBytes: Number.parseInt(queues.split(":")[0] ?? "0", 16),
        inode,
      });
    }
  }
  return sockets;
}

/**
 * Sockets with `port` as their local or remote port, listeners left out.
 * @example tcpSockets(gateway.port).filter((s) => s.localPort === gateway.port) // the gateway's side of each call
 */
export function tcpSockets(port: number): TcpSocket[] {
  return readTcpTable().filter((s) => s.state !== "listen" && (s.localPort === port || s.remotePort === port));
}
