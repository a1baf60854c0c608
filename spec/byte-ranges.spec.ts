import fc from 'fast-check';
import { MAX_RANGES, parseRange } from 'stackware';

describe('parseRange', () => {
  it('reads single, open-ended and suffix ranges, end excluded', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ kind: 'ranges', ranges: [{ start: 0, end: 10 }] });
    expect(parseRange('bytes=90-', 100)).toEqual({ kind: 'ranges', ranges: [{ start: 90, end: 100 }] });
    expect(parseRange('bytes=-10', 100)).toEqual({ kind: 'ranges', ranges: [{ start: 90, end: 100 }] });
    expect(parseRange('Bytes = 1-1', 100)).toEqual({ kind: 'ranges', ranges: [{ start: 1, end: 2 }] });
  });

  it('merges overlapping and adjacent ranges and sorts them', () => {
    expect(parseRange('bytes=50-59, 0-9, 10-19, 55-70', 100)).toEqual({
      kind: 'ranges',
      ranges: [
        { start: 0, end: 20 },
        { start: 50, end: 71 },
      ],
    });
  });

  it('sends the whole representation for another unit, an empty one, or too many ranges', () => {
    expect(parseRange('items=0-1', 100)).toEqual({ kind: 'whole' });
    expect(parseRange('bytes=0-1', 0)).toEqual({ kind: 'whole' });
    expect(parseRange(`bytes=${'0-0,'.repeat(MAX_RANGES)}0-0`, 100)).toEqual({ kind: 'whole' });
  });

  it('tells unsatisfiable from malformed', () => {
    expect(parseRange('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=5-4', 100).kind).toBe('malformed');
    expect(parseRange('bytes=', 100).kind).toBe('malformed');
    expect(parseRange('0-1', 100).kind).toBe('malformed');
  });

  it('never throws, and only ever gives sorted, disjoint ranges inside the representation', () => {
    const spec = fc.oneof(
      fc.tuple(fc.nat(2000), fc.option(fc.nat(2000))).map(([a, b]) => `${a}-${b ?? ''}`),
      fc.nat(2000).map((n) => `-${n}`),
      fc.string({ maxLength: 8 }),
    );
    const header = fc.array(spec, { maxLength: 8 }).map((specs) => `bytes=${specs.join(',')}`);
    fc.assert(
      fc.property(fc.oneof(header, fc.string({ maxLength: 40 })), fc.nat(1500), (value, size) => {
        const result = parseRange(value, size);
        if (result.kind !== 'ranges') return;
        expect(result.ranges.length).toBeGreaterThan(0);
        result.ranges.forEach((range, i) => {
          expect(range.start).toBeGreaterThanOrEqual(0);
          expect(range.start).toBeLessThan(range.end);
          expect(range.end).toBeLessThanOrEqual(size);
          if (i > 0) expect(range.start).toBeGreaterThan(result.ranges[i - 1].end);
        });
      }),
    );
  });
});
