// The streaming client. --mode=fast reads as fast as it can until the end of the body;
// --mode=slow reads at --rate bytes per second for --seconds, then asks the server for its
// /stats (on another connection) and goes away. Prints one JSON line.
import { Agent, get } from 'node:http';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const i = a.indexOf('=');
    return [a.slice(2, i), a.slice(i + 1)];
  }),
);
const url = args.url;
const mode = args.mode ?? 'fast';
const rate = Number(args.rate ?? 8 * 1024 * 1024);
const seconds = Number(args.seconds ?? 3);
const limit = Number(args.timeout ?? 60) * 1000;

function getJSON(target) {
  return new Promise((resolve, reject) => {
    get(target, { agent: new Agent({ keepAlive: false }) }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve(JSON.parse(text)));
    }).on('error', reject);
  });
}

const timer = setTimeout(() => {
  process.stdout.write(JSON.stringify({ error: `timed out after ${limit} ms` }) + '\n');
  process.exit(1);
}, limit);

const start = process.hrtime.bigint();
const elapsed = () => Number(process.hrtime.bigint() - start) / 1e6;
let bytes = 0;
const req = get(url, (res) => {
  const headers = Object.fromEntries(Object.entries(res.headers).filter(([k]) => k.startsWith('x-mw-')));
  const finish = (extra) => {
    clearTimeout(timer);
    process.stdout.write(JSON.stringify({ status: res.statusCode, headers, bytes, ms: elapsed(), ...extra }) + '\n');
  };
  if (mode === 'fast') {
    res.on('data', (chunk) => (bytes += chunk.length));
    res.on('end', () => finish({ complete: true }));
    return;
  }
  let stopping = false;
  let resumeTimer;
  res.on('data', (chunk) => {
    bytes += chunk.length;
    const ahead = (bytes / rate) * 1000 - elapsed();
    if (ahead > 1 && !stopping) {
      res.pause();
      resumeTimer = setTimeout(() => res.resume(), ahead);
    }
  });
  res.on('end', () => finish({ complete: true }));
  setTimeout(async () => {
    stopping = true;
    clearTimeout(resumeTimer);
    res.pause();
    const received = bytes;
    const stats = await getJSON(new URL('/stats', url));
    bytes = received;
    finish({ complete: false, stats });
    req.destroy();
    setTimeout(() => process.exit(0), 50);
  }, seconds * 1000);
});
req.on('error', (error) => {
  if (bytes > 0 && mode === 'slow') return;
  clearTimeout(timer);
  process.stdout.write(JSON.stringify({ error: String(error) }) + '\n');
  process.exit(1);
});
