import { Application, CORSMiddleware, GZipMiddleware, HTTPException, SessionMiddleware } from 'stackware';

class TeapotError extends Error {}

describe('app.middlewareStack', () => {
  it('lists the layers outermost first, error layers included, with their options', () => {
    const app = new Application({ debug: true });
    app.addMiddleware(GZipMiddleware, { minimumSize: 10 });
    app.addMiddleware(CORSMiddleware, { allowOrigins: ['https://example.org'] });
    const logRequests = app.middleware('http')(async function logRequests(request, callNext) {
      return callNext(request);
    });
    app.exceptionHandler(404, () => {
      throw new HTTPException(404);
    });
    app.exceptionHandler(TeapotError, () => {
      throw new HTTPException(418);
    });
    expect(app.middlewareStack).toEqual([
      { name: 'ServerErrorMiddleware', options: { debug: true } },
      { name: 'FunctionMiddleware', options: logRequests },
      { name: 'CORSMiddleware', options: { allowOrigins: ['https://example.org'] } },
      { name: 'GZipMiddleware', options: { minimumSize: 10 } },
      { name: 'ExceptionMiddleware', options: { handlers: [404, TeapotError] } },
    ]);
  });

  it('is read-only and final once the application has started', () => {
    const app = new Application();
    app.addMiddleware(GZipMiddleware);
    app.callback();
    const stack = app.middlewareStack;
    expect(Object.isFrozen(stack)).toBe(true);
    expect(stack.map((layer) => layer.name)).toEqual(['ServerErrorMiddleware', 'GZipMiddleware', 'ExceptionMiddleware']);
    expect(() => app.addMiddleware(CORSMiddleware)).toThrow(/after an application has started/);
    expect(app.middlewareStack).toEqual(stack);
  });

  it('shows secret-looking options redacted, never in clear (attack sweep)', () => {
    const secretKey = 'a-session-secret-of-forty-bytes-long!!!!';
    const app = new Application();
    app.addMiddleware(SessionMiddleware, { secretKey, sessionCookie: 'sid' });
    const session = app.middlewareStack.find((layer) => layer.name === 'SessionMiddleware');
    expect(session?.options).toEqual({ secretKey: '[redacted]', sessionCookie: 'sid' });
    expect(JSON.stringify(app.middlewareStack)).not.toContain(secretKey);
    // The application still builds its middleware with the real key.
    expect(() => app.callback()).not.toThrow();
  });
});
