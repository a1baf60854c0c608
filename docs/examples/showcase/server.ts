import { app } from './app';

const port = Number(process.env.PORT ?? 8000);
const host = process.env.HOST ?? '127.0.0.1';

app.listen(port, host).then((server) => {
  console.log(`stackware: serving the showcase app on http://${host}:${port}`);
  const stop = (): void => {
    server.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
});
