import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

describe('API reference (npm run docs)', () => {
  it('builds with TypeDoc with no warning: every public export is documented', async () => {
    const out = mkdtempSync(join(tmpdir(), 'stackware-api-'));
    try {
      const output = await new Promise<string>((resolve, reject) => {
        execFile(
          process.execPath,
          [join(root, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--out', out],
          { cwd: root, timeout: 120_000 },
          (error, stdout, stderr) => (error ? reject(new Error(`${stdout}\n${stderr}`)) : resolve(`${stdout}${stderr}`)),
        );
      });
      expect(output).not.toMatch(/warning/i);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 130_000);
});
