/**
 * A WebSocket client over a raw TCP socket, for frames a conforming client cannot send (a text frame
 * that is not UTF-8). Handshake, masked frames out, server frames parsed (text and close).
 */
export interface RawWebSocket {
  /** Sends one frame with `opcode` (1 text, 2 binary, 8 close) carrying exactly `payload`. */
  sendFrame(opcode: number, payload: Uint8Array): void;
  sendText(text: string): void;
  /** Text frames from the server, in order. */
  readonly texts: string[];
  /** The close code the server sent (undefined until a close frame arrives). */
  readonly closeCode: number | undefined;
  readonly closed: Promise<void>;
  end(): void;
}

/** Encodes one client frame: FIN set, masked, with a 7-, 16- or 64-bit length. */
function encodeFrame(opcode: number, payload: Uint8Array): Uint8Array {
  const mask = crypto.getRandomValues(new Uint8Array(4));
  const n = payload.length;
  const lengthBytes = n < 126 ? [0x80 | n] : n < 65_536 ? [0x80 | 126, n >> 8, n & 0xff] : [0x80 | 127, 0, 0, 0, 0, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  const head = [0x80 | opcode, ...lengthBytes, ...mask];
  const out = new Uint8Array(head.length + n);
  out.set(head);
  for (let i = 0; i < n; i++) out[head.length + i] = payload[i]! ^ mask[i & 3]!;
  return out;
}

/**
 * Opens `path` on 127.0.0.1:`port` with the extra upgrade `headers`; resolves once the server
 * answered 101 (rejects on any other status).
 */
export async function openRawWebSocket(port: number, path: string, headers: Record<string, string> = {}): Promise<RawWebSocket> {
  let buffered = new Uint8Array(0);
  let upgraded = false;
  const texts: string[] = [];
  let closeCode: number | undefined;
  let onUpgrade!: (ok: boolean) => void;
  const upgrade = new Promise<boolean>((resolve) => (onUpgrade = resolve));
  let markClosed!: () => void;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));

  const parse = () => {
    if (!upgraded) {
      const text = new TextDecoder().decode(buffered);
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) return;
      upgraded = true;
      onUpgrade(text.startsWith("HTTP/1.1 101"));
      buffered = buffered.subarray(end + 4);
    }
    for (;;) {
      if (buffered.length < 2) return;
      const opcode = buffered[0]! & 0x0f;
      let length = buffered[1]! & 0x7f;
      let offset = 2;
      if (length === 126) [length, offset] = [(buffered[2]! << 8) | buffered[3]!, 4];
      else if (length === 127) [length, offset] = [Number(new DataView(buffered.buffer, buffered.byteOffset + 2, 8).getBigUint64(0)), 10];
      if (buffered.length < offset + length) return;
      const payload = buffered.subarray(offset, offset + length);
      if (opcode === 1) texts.push(new TextDecoder().decode(payload));
      if (opcode === 8) closeCode = payload.length >= 2 ? (payload[0]! << 8) | payload[1]! : 1005;
      buffered = buffered.subarray(offset + length);
    }
  };

  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_socket, data) {
        const next = new Uint8Array(buffered.length + data.length);
        next.set(buffered);
        next.set(data, buffered.length);
        buffered = next;
        parse();
      },
      close() {
        onUpgrade(false);
        markClosed();
      },
    },
  });
  const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join("");
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`);
  if (!(await upgrade)) throw new Error(`the server refused the WebSocket upgrade of ${path}`);
  return {
    sendFrame: (opcode, payload) => void socket.write(encodeFrame(opcode, payload)),
    sendText: (text) => void socket.write(encodeFrame(1, new TextEncoder().encode(text))),
    texts,
    get closeCode() {
      return closeCode;
    },
    closed,
    end: () => socket.end(),
  };
}
