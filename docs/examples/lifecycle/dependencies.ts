import { Application } from 'stackware';

/** A stand-in for a database session: opened per request, closed when the request is over. */
export class Session {
  open = true;
  readonly log: string[] = [];
  close(): void {
    this.open = false;
  }
}

export const sessions: Session[] = [];

/** The dependency: the code before `yield` is setup, after it is the exit code. */
export async function* getSession(): AsyncGenerator<Session> {
  const session = new Session();
  sessions.push(session);
  try {
    yield session;
  } finally {
    session.close();
  }
}

export const app = new Application();

app.post('/orders', async (request) => {
  const session = await request.depends(getSession);
  // The task runs after the response was sent, before the session closes.
  request.backgroundTasks.addTask(() => session.log.push(`audit while open=${session.open}`));
  return { created: true };
});
