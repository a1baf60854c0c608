import { caseApp, drivers, fetchDriver, nodeDriver, type CaseResult } from './drivers';
import { expectResult, sharedCases, type SharedCase } from './shared-cases';

async function run(driver: (typeof drivers)[number], testCase: SharedCase): Promise<CaseResult> {
  const app = caseApp(testCase.options);
  const check = testCase.setup(app);
  const result = await driver.send(app, testCase.request);
  expectResult(result, testCase.expect);
  if (check) await check(result);
  return result;
}

/** Headers only a socket writes (`date`, `connection`…) are the transport's, not the stack's. */
const TRANSPORT = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

function comparable(result: CaseResult): unknown {
  const headers = Object.fromEntries(Object.entries(result.headers).filter(([name]) => !TRANSPORT.has(name)));
  // Signed cookies carry a timestamp; compare their names and attributes.
  const setCookies = result.setCookies.map((cookie) => cookie.replace(/^([^=]+)=[^;]*/, '$1=…'));
  return { status: result.status, headers, setCookies, body: result.body.toString('base64') };
}

describe.each(drivers.map((driver) => [driver.name, driver] as const))('shared cases through the %s adapter', (_name, driver) => {
  it.each(sharedCases.map((testCase) => [testCase.name, testCase] as const))('%s', async (_caseName, testCase) => {
    await run(driver, testCase);
  });
});

describe('node and fetch adapters', () => {
  it.each(sharedCases.map((testCase) => [testCase.name, testCase] as const))('give the same response: %s', async (_caseName, testCase) => {
    const [viaNode, viaFetch] = [await run(nodeDriver, testCase), await run(fetchDriver, testCase)];
    expect(comparable(viaFetch)).toEqual(comparable(viaNode));
  });
});
