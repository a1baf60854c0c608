// Compile-time checks of typed path parameters, run by `tsc --noEmit` in `npm test`: the line
// after each expect-error directive must fail to compile.
import { APIRouter, Application, Route, type PathParams, type Request } from 'stackware';

const app = new Application<{ user?: string }>();

app.get('/items/{itemId:int}', (request) => {
  const id: number = request.pathParams.itemId;
  // @ts-expect-error an int parameter is a number, not a string
  const text: string = request.pathParams.itemId;
  // @ts-expect-error a name that is not in the template
  return { id, text, other: request.pathParams.other };
});

app.post('/prices/{x:float}/{s}/{t:str}/{p:path}/{u:uuid}', (request) => {
  const { x, s, t, p, u } = request.pathParams;
  const number: number = x;
  const strings: string[] = [s, t, p, u];
  // @ts-expect-error a str parameter is a string
  const wrong: number = s;
  // The application's State is there as well.
  const user: string | undefined = request.state.user;
  return { number, strings, wrong, user };
});

// A helper taking a plain Request accepts the typed one.
const describeRequest = (request: Request<{ user?: string }>): string => request.method;
app.get('/plain/{a}', (request) => describeRequest(request));

// A template only known as a string gives an open record.
const dynamic: string = '/x/{y}';
app.get(dynamic, (request) => request.pathParams.anything);

// On a Route.
new Route('/users/{userId:int}', (request) => {
  const id: number = request.pathParams.userId;
  // @ts-expect-error a name that is not in the template
  return [id, request.pathParams.userid];
});

// On an APIRouter, its prefix's parameters included.
const router = new APIRouter<{ user?: string }, '/orgs/{org}'>({ prefix: '/orgs/{org}' });
router.get('/members/{memberId:int}', (request) => {
  const org: string = request.pathParams.org;
  const member: number = request.pathParams.memberId;
  // @ts-expect-error a name that is not in the template
  return [org, member, request.pathParams.team];
});
const inferred = new APIRouter({ prefix: '/teams/{team}' });
inferred.put('/{n:int}', (request) => {
  const n: number = request.pathParams.n;
  const team: string = request.pathParams.team;
  return [n, team];
});
app.includeRouter(router);
// @ts-expect-error a router for another State
app.includeRouter(new APIRouter<{ tenant: number }>());

// A mounted application declares what its mount's prefix gives.
const admin = new Application<Record<string, unknown>, { tenant: string }>();
admin.get('/users/{id:int}', (request) => {
  const tenant: string = request.pathParams.tenant;
  const id: number = request.pathParams.id;
  return [tenant, id];
});

// The type itself.
const params: PathParams<'/a/{x:int}/{y}'> = { x: 1, y: 'two' };
// @ts-expect-error y is a string
const bad: PathParams<'/a/{x:int}/{y}'> = { x: 1, y: 2 };
export { params, bad };
