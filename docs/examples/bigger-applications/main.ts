import { Application } from 'stackware';
import { RouteLabel, type AppState } from './middleware';
import { router as users } from './routers/users';

export const app = new Application<AppState>();
app.addMiddleware(RouteLabel);

app.get('/', () => ({ message: 'Hello Bigger Applications!' }));

// Every route of the router, under /v1/users.
app.includeRouter(users, { prefix: '/v1' });
