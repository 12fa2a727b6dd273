/**
 * Tor's v3 onion addresses, checked the way tor builds them (rend-spec-v3): base32 of the service's ed25519 public
 * key, a two-byte checksum and the version 3.
 */
import { createHash } from 'node:crypto';

/** RFC 4648 base32, lowercase and unpadded as onion addresses write it. Throws for a character outside the alphabet. */
export function base32Decode(text: string): Buffer {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = '';
  for (const c of text) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${JSON.stringify(c)} in ${text}`);
    bits += v.toString(2).padStart(5, '0');
  }
  const out: number[] = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(out);
}

/** Whether `address` is a v3 onion address: 56 base32 characters + `.onion`, version 3, checksum = SHA3-256(".onion checksum" | key | 3)[:2]. */
export function isV3OnionAddress(address: string): boolean {
  if (!/^[a-z2-7]{56}\.onion$/.test(address)) return false;
  const raw = base32Decode(address.slice(0, 56));
  const key = raw.subarray(0, 32);
  const checksum = createHash('sha3-256').update(Buffer.concat([Buffer.from('.onion checksum'), key, Buffer.from([3])])).digest().subarray(0, 2);
  return raw[34] === 3 && raw.subarray(32, 34).equals(checksum);
}
