import { Application } from 'stackware';

/** A stand-in for a connection pool. */
export class Pool {
  open = true;
  async close(): Promise<void> {
    this.open = false;
  }
}

export const app = new Application({
  async *lifespan() {
    const pool = new Pool();
    yield { pool };
    await pool.close();
  },
  shutdownTimeout: 10,
});

app.get('/health', (request) => ({ database: (request.state.pool as Pool).open }));
