import { Application, ProxyHeadersMiddleware } from 'stackware';

export const app = new Application();

app.get('/whoami', (request) => ({ client: request.client?.host, url: request.url.href }));

// Added last, so it is the outermost layer: every other layer sees the client's view.
app.addMiddleware(ProxyHeadersMiddleware, { trustedHosts: ['127.0.0.1', '10.0.0.0/8'] });
