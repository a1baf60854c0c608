// One case of micro-cases.mjs run K times in a row, for counting instructions: micro-count.ts runs
// this process under `perf stat -e instructions:u` for two values of K, and the difference of the
// two counts over the difference of the Ks is the instructions of one dispatch (the process's
// start-up, imports and set-up cancel). Arguments: --case=<name> --variant=pass|header --layers=N
// --count=K. Prints nothing; exits with 1 when the first result fails validation.
import { CASES } from './micro-cases.mjs';

const arg = (name) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  if (a === undefined) throw new Error(`missing --${name}=`);
  return a.slice(name.length + 3);
};
const name = arg('case');
const variant = arg('variant');
const n = Number(arg('layers'));
const count = Number(arg('count'));
const make = CASES[name];
if (make === undefined) throw new Error(`unknown case ${name}: ${Object.keys(CASES).join(', ')}`);

const { run, check } = make(n, variant);
if (!check(await run())) throw new Error(`${name} ${variant} N=${n}: the result failed validation`);
for (let i = 1; i < count; i++) await run();
