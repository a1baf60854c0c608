// The route tables of the routing benchmark (bench/routing-bench.ts), in stackware's template
// syntax, with the paths each run requests. Every server builds the same table from here.

/** Paths shaped like GitHub's REST API: static and parametrized, a few levels deep. */
const GITHUB = [
  '/user', '/user/repos', '/user/emails', '/user/followers', '/users/{username}', '/users/{username}/repos',
  '/users/{username}/followers', '/users/{username}/gists', '/orgs/{org}', '/orgs/{org}/repos', '/orgs/{org}/members',
  '/orgs/{org}/teams', '/orgs/{org}/teams/{team_slug}', '/orgs/{org}/teams/{team_slug}/members', '/repos/{owner}/{repo}',
  '/repos/{owner}/{repo}/issues', '/repos/{owner}/{repo}/issues/{issue_number:int}', '/repos/{owner}/{repo}/issues/{issue_number:int}/comments',
  '/repos/{owner}/{repo}/pulls', '/repos/{owner}/{repo}/pulls/{pull_number:int}', '/repos/{owner}/{repo}/pulls/{pull_number:int}/files',
  '/repos/{owner}/{repo}/commits', '/repos/{owner}/{repo}/commits/{ref}', '/repos/{owner}/{repo}/branches',
  '/repos/{owner}/{repo}/branches/{branch}', '/repos/{owner}/{repo}/releases', '/repos/{owner}/{repo}/releases/latest',
  '/repos/{owner}/{repo}/releases/{release_id:int}', '/repos/{owner}/{repo}/actions/runs', '/repos/{owner}/{repo}/actions/runs/{run_id:int}',
  '/repos/{owner}/{repo}/actions/runs/{run_id:int}/jobs', '/events', '/feeds', '/gists', '/gists/public', '/gists/starred',
  '/gists/{gist_id}', '/notifications', '/rate_limit', '/search/code', '/search/issues', '/search/repositories',
];

/** A template filled in with values: every parameter becomes `7`. */
const fill = (template) => template.replace(/\{[^}]+\}/g, '7');

/**
 * The table `kind` with about `count` routes, and the paths to request: the last route, the one in
 * the middle, and a path no route matches (a 404).
 *   param:  `/api/res{i}/{id:int}`, i < count (issue 12's table)
 *   github: the GitHub-like paths, repeated under `/enterprises/e{k}` prefixes up to count routes
 */
export function routeTable(kind, count) {
  if (kind === 'attack') return attackTable();
  let templates;
  if (kind === 'param') templates = Array.from({ length: count }, (_, i) => `/api/res${i}/{id:int}`);
  else if (kind === 'github') {
    templates = [];
    for (let k = 0; templates.length < count; k++) {
      for (const path of GITHUB) if (templates.length < count) templates.push(k === 0 ? path : `/enterprises/e${k}${path}`);
    }
  } else throw new Error(`unknown route table ${kind}`);
  const targets = {
    last: fill(templates[templates.length - 1]),
    middle: fill(templates[templates.length >> 1]),
    miss: kind === 'param' ? '/api/nope/7' : '/repos/7/7/nope/7',
  };
  return { templates, targets };
}

/**
 * Issue 20's path-template attack: an ordinary table plus templates with several `path`
 * parameters and several parameters in one segment, and 15 KB URLs aimed at them.
 */
function attackTable() {
  const templates = ['/three/{a:path}/{b:path}/{c:path}/z', '/two/{a:path}/{b:path}', '/t/{a}-{b}-{c}x'];
  for (let i = 0; i < 100; i++) templates.push(`/api/res${i}/{id:int}`);
  const targets = {
    normal: '/api/res99/7',
    threePaths: `/three/${'a/'.repeat(7_600)}`,
    oneSegment: `/t/${'a-'.repeat(7_600)}`,
    trailingSlashes: `/x${'/'.repeat(15_000)}`,
    longSegment: `/${'a'.repeat(15_000)}`,
  };
  return { templates, targets };
}

/** A template in the `:name` syntax of Fastify, Hono and Koa (their parameters take any segment). */
export function colonSyntax(template) {
  return template.replace(/\{([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-z]+)?\}/g, ':$1');
}

/** `--table=kind:count` of a server's command line. */
export function tableOption() {
  const arg = process.argv.find((a) => a.startsWith('--table='));
  const [kind, count] = (arg?.slice('--table='.length) ?? 'param:10').split(':');
  return routeTable(kind, Number(count));
}
