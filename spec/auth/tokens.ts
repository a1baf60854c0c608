// Real JWTs made with node:crypto, independent of jose: the tokens the backend must accept, and
// the forged ones (alg none, HMAC keyed with the public key) it must refuse.
import { createHmac, sign, type KeyObject } from 'node:crypto';

const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT with `header` and `payload`, signed HS256/384/512 with `secret`. */
export function hmacToken(header: Record<string, unknown>, payload: object, secret: string | Buffer): string {
  const input = `${part(header)}.${part(payload)}`;
  const bits = String(header.alg).slice(2);
  return `${input}.${createHmac(`sha${bits}`, secret).update(input).digest('base64url')}`;
}

/** A JWT signed RS256 (or ES256, with `dsaEncoding: 'ieee-p1363'`) with `privateKey`. */
export function signedToken(header: Record<string, unknown>, payload: object, privateKey: KeyObject): string {
  const input = `${part(header)}.${part(payload)}`;
  const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/** An unsecured JWT (`alg: none`, empty signature). */
export function unsignedToken(payload: object): string {
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(payload)}.`;
}

/** Seconds since the epoch, `offset` seconds from now. */
export const now = (offset = 0): number => Math.floor(Date.now() / 1000) + offset;
