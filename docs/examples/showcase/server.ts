import { app } from '../middleware/tutorial002/main';

const port = Number(process.env.PORT ?? 8000);
const host = process.env.HOST ?? '127.0.0.1';

app.listen(port, host).then((server) => {
  console.log(`stackware: serving the tutorial app on http://${host}:${port}`);
  const stop = (): void => {
    server.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
});
