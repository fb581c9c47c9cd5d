/** A loopback TCP proxy a test controls: put it between a gateway and a shared service to cut or stall the link without touching the service. */
import type { Socket, TCPSocketListener } from "bun";

/** pass: bytes flow; cut: every connection is closed and new ones are closed at once; stall: connections stay open, nothing flows. */
export type ProxyMode = "pass" | "cut" | "stall";

export interface TcpProxy {
  /** The proxy's port on 127.0.0.1. */
  readonly port: number;
  readonly mode: ProxyMode;
  /** Client connections open now. */
  readonly connections: number;
  /** Closes every connection and refuses new ones (closed right after accept) until `restore()`. */
  cut(): void;
  /** Keeps connections open but forwards nothing either way (a hung server or a black-holed route). */
  stall(): void;
  /** Bytes flow again; stalled bytes are dropped, as a lost route would have lost them. */
  restore(): void;
  stop(): void;
}

interface Link {
  upstream?: Socket<unknown>;
  /** Client bytes that arrived before the upstream connection opened. */
  early: Uint8Array[];
  /** Bytes the kernel did not take yet, per direction (written on drain). */
  toClient: Uint8Array[];
  toUpstream: Uint8Array[];
}

/** Writes what it can now and keeps the rest for the socket's drain. */
function send(socket: Socket<unknown> | undefined, backlog: Uint8Array[], bytes: Uint8Array): void {
  if (!socket) return;
  if (backlog.length > 0) {
    backlog.push(bytes.slice());
    return;
  }
  const written = socket.write(bytes);
  if (written < bytes.length) backlog.push(bytes.slice(Math.max(0, written)));
}

function flush(socket: Socket<unknown>, backlog: Uint8Array[]): void {
  while (backlog.length > 0) {
    const head = backlog[0]!;
    const written = socket.write(head);
    if (written < head.length) {
      backlog[0] = head.slice(Math.max(0, written));
      return;
    }
    backlog.shift();
  }
}

/**
 * Starts a proxy on 127.0.0.1 forwarding to `target`.
 * @example const proxy = await startTcpProxy({ port: 6379 }); // REDIS_URL=redis://127.0.0.1:${proxy.port}
 */
export async function startTcpProxy(target: { host?: string; port: number }): Promise<TcpProxy> {
  const host = target.host ?? "127.0.0.1";
  let mode: ProxyMode = "pass";
  const clients = new Set<Socket<Link>>();

  const closeLink = (client: Socket<Link>) => {
    clients.delete(client);
    client.data.upstream?.end();
    client.end();
  };

  const listener: TCPSocketListener<Link> = Bun.listen<Link>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(client) {
        client.data = { early: [], toClient: [], toUpstream: [] };
        if (mode === "cut") {
          client.end();
          return;
        }
        clients.add(client);
        void Bun.connect({
          hostname: host,
          port: target.port,
          socket: {
            data(_upstream, bytes) {
              if (mode === "pass") send(client, client.data.toClient, bytes);
            },
            drain(upstream) {
              flush(upstream, client.data.toUpstream);
            },
            close() {
              closeLink(client);
            },
            error() {
              closeLink(client);
            },
          },
        }).then(
          (upstream) => {
            if (!clients.has(client)) {
              upstream.end();
              return;
            }
            client.data.upstream = upstream;
            for (const bytes of client.data.early.splice(0)) send(upstream, client.data.toUpstream, bytes);
          },
          () => closeLink(client),
        );
      },
      data(client, bytes) {
        if (mode !== "pass") return;
        if (client.data.upstream) send(client.data.upstream, client.data.toUpstream, bytes);
        else client.data.early.push(bytes.slice());
      },
      drain(client) {
        flush(client, client.data.toClient);
      },
      close(client) {
        closeLink(client);
      },
      error(client) {
        closeLink(client);
      },
    },
  });

  return {
    port: listener.port,
    get mode() {
      return mode;
    },
    get connections() {
      return clients.size;
    },
    cut() {
      mode = "cut";
      for (const client of [...clients]) closeLink(client);
    },
    stall() {
      mode = "stall";
    },
    restore() {
      mode = "pass";
    },
    stop() {
      for (const client of [...clients]) closeLink(client);
      listener.stop(true);
    },
  };
}
