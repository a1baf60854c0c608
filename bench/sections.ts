// Sections of RESULTS.md written by other scripts than the main suite (the static-file benchmark,
// say), each between `<!-- section:NAME:begin -->` and `<!-- section:NAME:end -->`. The suite
// carries them over when it rewrites the file, and each script replaces only its own.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const SECTION = /<!-- section:([a-z0-9-]+):begin -->[\s\S]*?<!-- section:\1:end -->\n?/g;

const begin = (name: string): string => `<!-- section:${name}:begin -->`;
const end = (name: string): string => `<!-- section:${name}:end -->`;

/** `fresh` with the marked sections of `previous` appended, unless `fresh` already has them. */
export function carrySections(previous: string, fresh: string): string {
  const kept = [...previous.matchAll(SECTION)].filter((match) => !fresh.includes(begin(match[1])));
  if (kept.length === 0) return fresh;
  return `${fresh.trimEnd()}\n\n${kept.map((match) => match[0].trimEnd()).join('\n\n')}\n`;
}

/** Writes `markdown` as the section `name` of `file`: in place of the old one, else at the end. */
export function writeSection(file: string, name: string, markdown: string): void {
  const block = `${begin(name)}\n${markdown.trimEnd()}\n${end(name)}\n`;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const at = text.indexOf(begin(name));
  const stop = text.indexOf(end(name));
  const next =
    at !== -1 && stop > at ? `${text.slice(0, at)}${block}${text.slice(stop + end(name).length).replace(/^\n/, '')}` : `${text.trimEnd()}\n\n${block}`;
  writeFileSync(file, next);
}
