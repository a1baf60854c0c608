import { globMatcher } from '../../lib/cli/watch';

describe('reload globs (matched from the right, as uvicorn matches with PurePath.match)', () => {
  it.each([
    ['*.ts', ['src', 'app.ts'], true],
    ['*.ts', ['app.tsx'], false],
    ['src/*.ts', ['lib', 'src', 'app.ts'], true],
    ['src/*.ts', ['lib', 'app.ts'], false],
    ['.*', ['.app.ts.swp'], true],
    ['*~', ['app.ts~'], true],
    ['app.[jt]s', ['app.js'], true],
    ['app.[!j]s', ['app.js'], false],
    ['?.json', ['a.json'], true],
    ['node_modules', ['pkg', 'node_modules'], true],
    ['a+b(c).ts', ['a+b(c).ts'], true],
  ])('%s against %j is %s', (pattern, segments, expected) => {
    expect(globMatcher(pattern)(segments)).toBe(expected);
  });
});
