import { isIPv6 } from 'node:net';

/** The 8 groups of an IPv6 address, `::` expanded; an embedded IPv4 tail becomes two groups. */
function ipv6Groups(address: string): string[] {
  let text = address.split('%')[0]!.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4 !== null) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, v4.index) + ((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16);
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  if (tail === undefined) return left;
  const right = tail === '' ? [] : tail.split(':');
  return [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
}

/**
 * The rate-limit key of a client address: an IPv4 address as it is, an IPv6 address grouped by
 * its /64 (one subscriber usually holds a whole /64, so per-address limits would not hold), an
 * IPv4-mapped IPv6 address as its IPv4 address.
 */
export function clientAddressKey(host: string): string {
  if (!isIPv6(host)) return host;
  const groups = ipv6Groups(host);
  if (groups.slice(0, 6).every((group, i) => (i < 5 ? Number.parseInt(group, 16) === 0 : group === 'ffff'))) {
    const [high, low] = [Number.parseInt(groups[6]!, 16), Number.parseInt(groups[7]!, 16)];
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return `${groups.slice(0, 4).map((group) => Number.parseInt(group, 16).toString(16)).join(':')}::/64`;
}
