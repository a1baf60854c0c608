import { existsSync } from 'node:fs';
import request from 'supertest';
import { Application, UploadFile } from 'stackware';
import { sleep } from './helpers';

describe('request.form()', () => {
  it('parses application/x-www-form-urlencoded, several values per name', async () => {
    const app = new Application();
    app.post('/', async (req) => {
      const form = await req.form();
      return { name: form.get('name'), tags: form.getAll('tag'), missing: form.get('missing') };
    });
    await request(app.callback())
      .post('/')
      .type('form')
      .send('name=Ada+Lovelace&tag=a&tag=b%20c')
      .expect({ name: 'Ada Lovelace', tags: ['a', 'b c'], missing: null });
  });

  it('parses multipart/form-data fields and files', async () => {
    const app = new Application();
    app.post('/', async (req) => {
      const form = await req.form();
      const file = form.get('upload') as UploadFile;
      return { title: form.get('title'), filename: file.filename, type: file.contentType, size: file.size, text: await file.text() };
    });
    await request(app.callback())
      .post('/')
      .field('title', 'hello')
      .attach('upload', Buffer.from('file body'), { filename: 'note.txt', contentType: 'text/plain' })
      .expect(200)
      .expect({ title: 'hello', filename: 'note.txt', type: 'text/plain', size: 9, text: 'file body' });
  });

  it('spools a file larger than spoolSize to a temporary file, removed after the response', async () => {
    let path: string | null = null;
    let existedDuringRequest = false;
    const content = Buffer.alloc(50_000, 97);
    const app = new Application();
    app.post('/', async (req) => {
      const form = await req.form({ spoolSize: 1024 });
      const file = form.get('upload') as UploadFile;
      path = file.path;
      existedDuringRequest = path !== null && existsSync(path);
      return { size: file.size, same: (await file.bytes()).equals(content) };
    });
    await request(app.callback()).post('/').attach('upload', content, 'big.bin').expect({ size: 50_000, same: true });
    expect(existedDuringRequest).toBe(true);
    const deadline = Date.now() + 2000;
    while (path !== null && existsSync(path) && Date.now() < deadline) await sleep(10);
    expect(path !== null && existsSync(path)).toBe(false);
  });

  it('keeps a small file in memory', async () => {
    const app = new Application();
    app.post('/', async (req) => ({ path: ((await req.form()).get('f') as UploadFile).path }));
    await request(app.callback()).post('/').attach('f', Buffer.from('tiny'), 'tiny.txt').expect({ path: null });
  });

  it('answers 415 for a form() of an unsupported content type', async () => {
    const app = new Application();
    app.post('/', async (req) => req.form());
    const res = await request(app.callback()).post('/').set('content-type', 'application/json').send('{}').expect(415);
    expect(res.body.detail).toMatch(/Unsupported media type/);
  });

  it('answers 400 for a malformed multipart body', async () => {
    const app = new Application();
    app.post('/', async (req) => req.form());
    const res = await request(app.callback())
      .post('/')
      .set('content-type', 'multipart/form-data; boundary=xyz')
      .send('--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\nunterminated')
      .expect(400);
    expect(res.body.detail).toMatch(/Malformed multipart/);
  });

  it('answers 400 for multipart without a boundary', async () => {
    const app = new Application();
    app.post('/', async (req) => req.form());
    await request(app.callback()).post('/').set('content-type', 'multipart/form-data').send('x').expect(400);
  });

  it('parses a form whose body a middleware already read whole', async () => {
    const app = new Application();
    app.middleware('http')(async (req, callNext) => {
      req.state.size = (await req.body()).byteLength;
      return callNext(req);
    });
    app.post('/', async (req) => ({ size: req.state.size, a: (await req.form()).get('a') }));
    await request(app.callback()).post('/').field('a', '1').expect(200).expect((res) => {
      expect(res.body.a).toBe('1');
      expect(res.body.size).toBeGreaterThan(0);
    });
  });

  it('caches the form: a middleware and the endpoint get the same parsed form', async () => {
    const app = new Application();
    app.middleware('http')(async (req, callNext) => {
      req.state.fromMiddleware = (await req.form()).get('a');
      return callNext(req);
    });
    app.post('/', async (req) => ({ middleware: req.state.fromMiddleware, endpoint: (await req.form()).get('a') }));
    await request(app.callback()).post('/').field('a', 'x').expect({ middleware: 'x', endpoint: 'x' });
  });
});
