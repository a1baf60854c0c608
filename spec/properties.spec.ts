import { validateHeaderValue } from 'node:http';
import fc from 'fast-check';
import { HTTPException, Headers, compilePath, parseCookies, serializeCookie, type Request } from 'stackware';
import { fakeRequest } from './helpers';

function requestFor(target: string): Request {
  return fakeRequest({ target });
}

const segment = fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/);

describe('property-based checks', () => {
  it('path templates: a path built from a template and values matches it and gives the values back', () => {
    fc.assert(
      fc.property(segment, fc.nat(), fc.array(segment, { minLength: 1, maxLength: 4 }), (name, id, rest) => {
        const compiled = compilePath('/users/{name}/items/{id:int}/{rest:path}');
        const params: Record<string, unknown> = {};
        expect(compiled.match(`/users/${name}/items/${id}/${rest.join('/')}`, params)).toBe(true);
        expect(params).toEqual({ name, id, rest: rest.join('/') });
      }),
    );
  });

  it('path templates: matching any string never throws', () => {
    const compiled = [compilePath('/a/{x}'), compilePath('/b/{n:int}/{f:float}'), compilePath('/c/{u:uuid}/{p:path}')];
    fc.assert(
      fc.property(fc.string(), (path) => {
        for (const template of compiled) expect(typeof template.match(path, {})).toBe('boolean');
      }),
    );
  });

  it('headers: any valid name/value round-trips, case-insensitively; a value with CR, LF or NUL is always refused', () => {
    const name = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,20}$/);
    const value = fc.string({ unit: 'binary' }).filter((v) => /^[\t\x20-\x7e\x80-\xff]*$/.test(v));
    fc.assert(
      fc.property(name, value, (n, v) => {
        const headers = new Headers();
        headers.set(n, v);
        expect(headers.get(n.toUpperCase())).toBe(v);
        expect(headers.getAll(n.toLowerCase())).toEqual([v]);
      }),
    );
    fc.assert(
      fc.property(name, fc.string({ unit: 'binary' }), fc.constantFrom('\r', '\n', '\0'), fc.string({ unit: 'binary' }), (n, before, bad, after) => {
        expect(() => new Headers().set(n, before + bad + after)).toThrow(TypeError);
      }),
    );
  });

  it('headers: a value is accepted exactly when node:http would accept it, short or long', () => {
    const nodeAccepts = (value: string): boolean => {
      try {
        validateHeaderValue('x', value);
        return true;
      } catch {
        return false;
      }
    };
    // Mostly characters Node accepts, so that a single bad one decides the answer.
    const char = fc.oneof(
      { weight: 30, arbitrary: fc.integer({ min: 0x20, max: 0xff }) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x1ff }) },
      { weight: 1, arbitrary: fc.constantFrom(0x09, 0x7f, 0x100, 0x2028, 0xd800) },
    );
    const value = fc.string({ unit: char.map((c) => String.fromCharCode(c)), maxLength: 90 });
    fc.assert(
      fc.property(value, (v) => {
        let accepted = true;
        try {
          new Headers().set('x', v);
        } catch {
          accepted = false;
        }
        expect(accepted).toBe(nodeAccepts(v));
      }),
      { numRuns: 2000 },
    );
  });

  it('cookies: parsing any header never throws, and a serialized cookie parses back to its value', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (header) => {
        expect(typeof parseCookies(header)).toBe('object');
      }),
    );
    const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,16}$/);
    fc.assert(
      fc.property(name, fc.string({ unit: 'grapheme' }), (n, v) => {
        const cookie = serializeCookie(n, v).split(';')[0];
        expect(parseCookies(cookie)[n]).toBe(v);
      }),
    );
  });

  it('query strings: any target gives query parameters or a 400 HTTPException, nothing else', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (query) => {
        const request = requestFor(`/search?${query}`);
        try {
          expect(request.queryParams).toBeInstanceOf(URLSearchParams);
        } catch (error) {
          expect(error).toBeInstanceOf(HTTPException);
          expect((error as HTTPException).statusCode).toBe(400);
        }
      }),
    );
  });

  it('query strings: encoded pairs round-trip', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ minLength: 1, unit: 'grapheme' }), fc.string({ unit: 'grapheme' }))), (pairs) => {
        const query = new URLSearchParams(pairs).toString();
        expect([...requestFor(`/?${query}`).queryParams]).toEqual(pairs);
      }),
    );
  });

  it('request paths: any target gives a path, a URL, or a 400 HTTPException, nothing else', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (raw) => {
        const request = requestFor(`/${raw}`);
        expect(request.url).toBeInstanceOf(URL);
        try {
          expect(typeof request.path).toBe('string');
        } catch (error) {
          expect(error).toBeInstanceOf(HTTPException);
        }
      }),
    );
  });
});
