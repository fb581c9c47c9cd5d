/** IPv4/IPv6 address and CIDR parsing for the /ws allow-list. */

export interface Cidr {
  family: 4 | 6;
  base: bigint;
  prefix: number;
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  let head = text;
  let tail = "";
  const doubleColon = text.indexOf("::");
  if (doubleColon !== -1) {
    head = text.slice(0, doubleColon);
    tail = text.slice(doubleColon + 2);
    if (tail.includes("::")) return undefined;
  }
  const toGroups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const groups: number[] = [];
    const pieces = part.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseIpv4(piece);
        if (v4 === undefined) return undefined;
        groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) {
        groups.push(parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return groups;
  };
  const headGroups = toGroups(head);
  const tailGroups = toGroups(tail);
  if (!headGroups || !tailGroups) return undefined;
  const missing = 8 - headGroups.length - tailGroups.length;
  if (doubleColon === -1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...headGroups, ...new Array<number>(doubleColon === -1 ? 0 : missing).fill(0), ...tailGroups];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** Parses an IP address; IPv4-mapped IPv6 addresses (::ffff:1.2.3.4) come back as IPv4. */
export function parseIp(text: string): { family: 4 | 6; value: bigint } | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseIpv6(text.replace(/^\[|\]$/g, "").replace(/%.*$/, ""));
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === 0xffffn) return { family: 4, value: v6 & 0xffffffffn };
  return { family: 6, value: v6 };
}

/** Parses "10.0.0.0/8" or a bare address (a /32 or /128). */
export function parseCidr(text: string): Cidr | undefined {
  const [address, prefixText, extra] = text.trim().split("/");
  if (address === undefined || extra !== undefined) return undefined;
  const ip = parseIp(address);
  if (!ip) return undefined;
  const bits = ip.family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= bits)) return undefined;
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
  return { family: ip.family, base: ip.value & mask, prefix };
}

/** Parses a comma-separated list; reports the entries that are not addresses or ranges. */
export function parseCidrList(text: string): { ok: boolean; cidrs: Cidr[]; invalid: string[] } {
  const cidrs: Cidr[] = [];
  const invalid: string[] = [];
  for (const entry of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const cidr = parseCidr(entry);
    if (cidr) cidrs.push(cidr);
    else invalid.push(entry);
  }
  return { ok: invalid.length === 0 && cidrs.length > 0, cidrs, invalid };
}

/** True when the address falls inside any of the ranges. */
export function ipAllowed(address: string, cidrs: readonly Cidr[]): boolean {
  const ip = parseIp(address);
  if (!ip) return false;
  return cidrs.some((c) => {
    if (c.family !== ip.family) return false;
    const bits = c.family === 4 ? 32 : 128;
    const shift = BigInt(bits - c.prefix);
    return ip.value >> shift === c.base >> shift;
  });
}
