import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', '..');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'examples' ? [] : markdownFiles(path);
    return name.endsWith('.md') ? [path] : [];
  });
}

/** Each ```ts block whose first line is `// docs/examples/...` must be that file, word for word. */
describe('documentation code blocks', () => {
  const files = markdownFiles(join(root, 'docs'));

  it.each(files.map((f) => [relative(root, f)]))('%s: every TypeScript block is a file under docs/examples', (file) => {
    const text = readFileSync(join(root, file), 'utf8');
    const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    for (const block of blocks) {
      const [first, ...rest] = block.split('\n');
      const match = /^\/\/ (docs\/examples\/\S+\.ts)$/.exec(first);
      expect(match).not.toBeNull();
      const source = readFileSync(join(root, match![1]), 'utf8');
      expect(rest.join('\n').trimEnd()).toBe(source.trimEnd());
    }
  });
});
