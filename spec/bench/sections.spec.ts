import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// bench/ is an ES-module package run by tsx, which jest's CommonJS transform cannot load: the
// module is driven through tsx in a child process, the assertions stay here.
const sections = pathToFileURL(join(__dirname, '..', '..', 'bench', 'sections.ts')).href;

function run(code: string): string {
  return execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `import * as s from ${JSON.stringify(sections)};\n${code}`], {
    encoding: 'utf8',
    timeout: 20_000,
  });
}

describe('bench/sections: script-written sections of RESULTS.md', () => {
  it('writes a section at the end, then replaces it in place, leaving the rest alone', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'stackware-sections-')), 'RESULTS.md');
    writeFileSync(file, '# results\n\nsuite text\n');
    run(`const f = ${JSON.stringify(file)};
s.writeSection(f, 'static-files', '## first run');
s.writeSection(f, 'other', '## other branch');
s.writeSection(f, 'static-files', '## second run');`);
    expect(readFileSync(file, 'utf8')).toBe(
      '# results\n\nsuite text\n\n<!-- section:static-files:begin -->\n## second run\n<!-- section:static-files:end -->\n\n<!-- section:other:begin -->\n## other branch\n<!-- section:other:end -->\n',
    );
  });

  it('carries the sections of the old file into the one the suite writes afresh', () => {
    const old = '# old\n\n<!-- section:a:begin -->\nA\n<!-- section:a:end -->\n\n<!-- section:b:begin -->\nB\n<!-- section:b:end -->\n';
    const carried = JSON.parse(run(`console.log(JSON.stringify([s.carrySections(${JSON.stringify(old)}, '# new\\n'), s.carrySections('# none\\n', '# new\\n')]));`));
    expect(carried).toEqual(['# new\n\n<!-- section:a:begin -->\nA\n<!-- section:a:end -->\n\n<!-- section:b:begin -->\nB\n<!-- section:b:end -->\n', '# new\n']);
  });
});
