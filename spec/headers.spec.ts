import { Headers } from 'stackware';

describe('Headers', () => {
  it('looks names up case-insensitively', () => {
    const headers = new Headers({ 'Content-Type': 'text/plain' });
    expect(headers.get('content-type')).toBe('text/plain');
    expect(headers.get('CONTENT-TYPE')).toBe('text/plain');
    expect(headers.has('Content-type')).toBe(true);
    expect(headers.get('missing')).toBeNull();
  });

  it('replaces every value on set and keeps them on append', () => {
    const headers = new Headers();
    headers.append('x-a', '1');
    headers.append('X-A', '2');
    expect(headers.getAll('x-a')).toEqual(['1', '2']);
    expect(headers.get('x-a')).toBe('1, 2');
    headers.set('x-a', '3');
    expect(headers.getAll('x-a')).toEqual(['3']);
    headers.delete('X-A');
    expect(headers.has('x-a')).toBe(false);
  });

  it('keeps several set-cookie values apart', () => {
    const headers = new Headers();
    headers.append('Set-Cookie', 'a=1');
    headers.append('set-cookie', 'b=2');
    expect(headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect([...headers]).toEqual([
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
    ]);
  });

  it('refuses values with CR, LF or NUL, so a response cannot be split', () => {
    const headers = new Headers();
    expect(() => headers.set('x-evil', 'a\r\nSet-Cookie: x=1')).toThrow(/CR, LF and NUL/);
    expect(() => headers.append('x-evil', 'a\nb')).toThrow(TypeError);
    expect(() => headers.set('x-evil', 'a\0b')).toThrow(TypeError);
    expect(() => new Headers({ 'x-evil': 'a\rb' })).toThrow(TypeError);
    expect(headers.has('x-evil')).toBe(false);
  });

  it('refuses a header name that is not a token', () => {
    expect(() => new Headers().set('bad name', 'v')).toThrow(/Invalid header name/);
    expect(() => new Headers().set('x:y', 'v')).toThrow(/Invalid header name/);
  });

  it('builds from an object with array values, from pairs and from another Headers', () => {
    const fromObject = new Headers({ a: ['1', '2'], b: '3', c: undefined });
    expect(fromObject.getAll('a')).toEqual(['1', '2']);
    expect(fromObject.has('c')).toBe(false);
    const fromPairs = new Headers([['x', 'y']]);
    expect(fromPairs.get('x')).toBe('y');
    const copy = new Headers(fromObject);
    copy.set('b', 'changed');
    expect(fromObject.get('b')).toBe('3');
    expect(copy.toJSON()).toEqual({ a: '1, 2', b: 'changed' });
  });

  it('keeps the other names in order when one is set again', () => {
    const headers = new Headers([
      ['a', '1'],
      ['b', '2'],
      ['a', '3'],
      ['c', '4'],
    ]);
    headers.set('a', '5');
    expect([...headers.keys()]).toEqual(['a', 'b', 'c']);
    expect(headers.toFlatList()).toEqual(['a', '5', 'b', '2', 'c', '4']);
  });

  it('does not confuse a value with a name when setting', () => {
    const headers = new Headers([['x-name', 'target']]);
    headers.set('target', 'value');
    expect(headers.get('x-name')).toBe('target');
    expect(headers.get('target')).toBe('value');
  });
});

describe('Headers values Node would refuse', () => {
  it('refuses control characters and characters above U+00FF at set time', () => {
    expect(() => new Headers().set('x', 'a\x01b')).toThrow(/control characters/);
    expect(() => new Headers().set('x', 'snow ☃')).toThrow(/above U\+00FF/);
    expect(() => new Headers().set('x', 'tab\tand latin-1 é')).not.toThrow();
  });
});

describe('Headers.addVary', () => {
  it('merges into one vary header and never lists a token twice', () => {
    const headers = new Headers([
      ['vary', 'Accept'],
      ['vary', 'Cookie'],
    ]);
    headers.addVary('Origin');
    headers.addVary('origin');
    headers.addVary('Cookie');
    expect(headers.getAll('vary')).toEqual(['Accept, Cookie, Origin']);
    const fresh = new Headers();
    fresh.addVary('Accept-Encoding');
    expect(fresh.get('vary')).toBe('Accept-Encoding');
    const star = new Headers({ vary: '*' });
    star.addVary('Origin');
    expect(star.get('vary')).toBe('*');
  });
});
