import { BlockList, isIP } from 'node:net';

/**
 * The peers whose proxy headers are believed (uvicorn's `forwarded_allow_ips`): IPv4 and IPv6
 * addresses, CIDR networks, `*` for every peer, and literals compared as they are (a peer that is
 * not an IP address). A malformed address or network is kept as a literal, as uvicorn does.
 */
export class TrustedProxies {
  /** True for `*`: every peer is trusted. */
  readonly trustsAll: boolean;
  private readonly addresses = new BlockList();
  private readonly literals = new Set<string>();

  /** `hosts`: a list, or one comma-separated string (`'127.0.0.1, 10.0.0.0/8'`). */
  constructor(hosts: string | readonly string[]) {
    const list = (typeof hosts === 'string' ? hosts.split(',') : hosts).map((host) => host.trim());
    this.trustsAll = list.includes('*');
    for (const host of list) {
      if (host === '' || host === '*') continue;
      if (!this.addNetwork(host)) this.literals.add(host);
    }
  }

  /** True when `host` (an address, or a literal) is trusted; never for an empty or missing host unless `*`. */
  has(host: string | null | undefined): boolean {
    if (this.trustsAll) return true;
    if (host === null || host === undefined || host === '') return false;
    const family = isIP(host);
    if (family === 0) return this.literals.has(host);
    return this.addresses.check(host, family === 4 ? 'ipv4' : 'ipv6');
  }

  /**
   * The client in a chain of forwarded addresses, leftmost the original client: walked from the
   * right, the first untrusted entry; the leftmost when every entry is trusted (a client on a
   * proxy's own machine). Entries are trimmed; an empty entry is untrusted, so it stops the walk.
   */
  clientOf(chain: readonly string[]): string {
    const hosts = chain.map((host) => host.trim());
    if (this.trustsAll) return hosts[0] ?? '';
    for (let i = hosts.length - 1; i >= 0; i--) if (!this.has(hosts[i])) return hosts[i];
    return hosts[0] ?? '';
  }

  private addNetwork(host: string): boolean {
    const slash = host.indexOf('/');
    const address = slash === -1 ? host : host.slice(0, slash);
    const family = isIP(address);
    if (family === 0) return false;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (slash === -1) {
      this.addresses.addAddress(address, type);
      return true;
    }
    const bits = host.slice(slash + 1);
    const prefix = Number(bits);
    if (!/^\d{1,3}$/.test(bits) || prefix > (family === 4 ? 32 : 128)) return false;
    this.addresses.addSubnet(address, prefix, type);
    return true;
  }
}
