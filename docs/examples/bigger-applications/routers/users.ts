import { APIRouter, HTTPException, Middleware } from 'stackware';
import { RequireToken, type AppState } from '../middleware';

const users = new Map([[1, { id: 1, name: 'Rick' }]]);

export const router = new APIRouter<AppState>({ prefix: '/users', tags: ['users'] });

router.get('/', () => [...users.values()], { name: 'listUsers' });

router.get(
  '/{userId:int}',
  (request) => {
    // `userId` is a number: the template says `int`.
    const user = users.get(request.pathParams.userId);
    if (user === undefined) throw new HTTPException(404, 'User not found');
    return user;
  },
  { name: 'readUser' },
);

// Only this route needs the token: middleware for one route of the router.
router.post(
  '/',
  async (request) => {
    const { name } = (await request.json()) as { name: string };
    const user = { id: users.size + 1, name };
    users.set(user.id, user);
    return { ...user, createdBy: request.state.user, url: request.urlFor('readUser', { userId: user.id }).href };
  },
  { statusCode: 201, middleware: [new Middleware(RequireToken, { token: process.env.USERS_TOKEN ?? 'secret-token' })] },
);
