import { TimestampSigner } from 'stackware';

const SECRET = 'example';
/** The moment Starlette's test vector was signed at (itsdangerous's timestamp `awJDjA`). */
const VECTOR_TIME = 1795310476 * 1000;

describe('itsdangerous', () => {
  describe('TimestampSigner', () => {
    it('round-trips a value and refuses what it did not sign', () => {
      const signer = new TimestampSigner(SECRET, () => VECTOR_TIME);
      expect(signer.sign('eyJhIjogMX0=')).toBe('eyJhIjogMX0=.awJDjA.R3AehPwF3JliIdbrp4ozTWxk8_g');
      expect(signer.unsign('eyJhIjogMX0=.awJDjA.R3AehPwF3JliIdbrp4ozTWxk8_g', 0)).toBe('eyJhIjogMX0=');
      expect(signer.unsign('eyJhIjogMX0=.awJDjA.R3AehPwF3JliIdbrp4ozTWxk8_A')).toBeNull();
      // `_h` decodes to the same bytes as `_g` (only unused bits differ): refused all the same.
      expect(signer.unsign('eyJhIjogMX0=.awJDjA.R3AehPwF3JliIdbrp4ozTWxk8_h')).toBeNull();
      expect(new TimestampSigner('other', () => VECTOR_TIME).unsign('eyJhIjogMX0=.awJDjA.R3AehPwF3JliIdbrp4ozTWxk8_g')).toBeNull();
    });

    it('accepts only the canonical spelling of the signature: not other last characters with the same bytes, padding or stray characters', () => {
      const signer = new TimestampSigner(SECRET, () => VECTOR_TIME);
      const signed = 'eyJhIjogMX0=.awJDjA.R3AehPwF3JliIdbrp4ozTWxk8_g';
      expect(signer.unsign(signed)).toBe('eyJhIjogMX0=');
      // 'g' carries 4 bits of the digest and 2 zero bits: 'h', 'i' and 'j' decode to the same bytes.
      for (const last of ['h', 'i', 'j']) expect(signer.unsign(`${signed.slice(0, -1)}${last}`)).toBeNull();
      expect(signer.unsign(`${signed}=`)).toBeNull();
      expect(signer.unsign(`${signed.slice(0, -2)}+g`)).toBeNull();
      expect(signer.unsign(`${signed.slice(0, -1)}`)).toBeNull();
    });

    it('encodes the time 0 as an empty timestamp, as itsdangerous', () => {
      const signed = new TimestampSigner(SECRET, () => 0).sign('v');
      expect(signed).toMatch(/^v\.\.[A-Za-z0-9_-]{27}$/);
      expect(new TimestampSigner(SECRET, () => 0).unsign(signed, 10)).toBe('v');
    });
  });
});
