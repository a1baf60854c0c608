import { Application } from 'stackware';
import { recordingLogger, serve } from './helpers';

type Served = Awaited<ReturnType<typeof serve>>;

function postForm(server: Served, path: string, body: string): Promise<Response> {
  return fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
}

const fields = (count: number, name = 'f'): string => Array.from({ length: count }, (_, i) => `${name}${i}=v`).join('&');

describe('urlencoded forms: maxFields and maxFieldNameSize', () => {
  let server: Served;
  let parsed = 0;
  beforeAll(async () => {
    const app = new Application({ logger: recordingLogger() });
    app.post('/', async (request) => {
      const form = await request.form();
      parsed += 1;
      return { fields: [...form].length };
    });
    app.post('/five', async (request) => ({ fields: [...(await request.form({ maxFields: 5, maxFieldNameSize: 8 }))].length }));
    server = await serve(app);
  });
  afterAll(() => server.close());

  it('parses 1000 fields, the default maxFields, and answers 400 to 1001', async () => {
    expect(await (await postForm(server, '/', fields(1000))).json()).toEqual({ fields: 1000 });
    const over = await postForm(server, '/', fields(1001));
    expect(over.status).toBe(400);
    expect(await over.json()).toEqual({ detail: 'Too many fields in the form: more than 1000' });
  });

  it('refuses 524,288 fields within the 1 MiB body limit without parsing them', async () => {
    const body = Array.from({ length: 524_288 }, () => 'a').join('&'); // 1 MiB - 1 byte
    expect(body.length).toBeLessThan(1024 * 1024);
    const before = parsed;
    const res = await postForm(server, '/', body);
    expect(res.status).toBe(400);
    expect(parsed).toBe(before);
  });

  it('counts fields as the parser does: empty ones between separators are not fields', async () => {
    expect(await (await postForm(server, '/five', 'a=1&&&b=2&&c=3&d=4&e=5&')).json()).toEqual({ fields: 5 });
    expect((await postForm(server, '/five', 'a=1&b=2&c=3&d=4&e=5&f=6')).status).toBe(400);
  });

  it('answers 400 to a field name longer than maxFieldNameSize bytes once decoded (1024 by default)', async () => {
    expect((await postForm(server, '/', `${'n'.repeat(1024)}=v`)).status).toBe(200);
    const long = await postForm(server, '/', `${'n'.repeat(1025)}=v`);
    expect(long.status).toBe(400);
    expect(await long.json()).toEqual({ detail: 'A form field name is longer than 1024 bytes' });
    // Bytes, not characters: four two-byte letters fit in 8 bytes, five do not.
    expect((await postForm(server, '/five', `${encodeURIComponent('éééé')}=v`)).status).toBe(200);
    expect((await postForm(server, '/five', `${encodeURIComponent('ééééé')}=v`)).status).toBe(400);
  });
});
