import { BaseHTTPMiddleware, HTTPException, type CallNext, type Request, type Response } from 'stackware';

/** What the application's requests carry in `request.state`. */
export interface AppState {
  user?: string;
}

/** Lets a request in only with a `Bearer` token, and names its user. */
export class RequireToken extends BaseHTTPMiddleware<{ token: string }, AppState> {
  async dispatch(request: Request<AppState>, callNext: CallNext<AppState>): Promise<Response> {
    if (request.headers.get('authorization') !== `Bearer ${this.options.token}`) throw new HTTPException(401, 'Not authenticated', { 'WWW-Authenticate': 'Bearer' });
    request.state.user = 'admin';
    return callNext(request);
  }
}

/** Labels every response with the template of the route that answered: the seam metrics and traces use. */
export class RouteLabel extends BaseHTTPMiddleware {
  async dispatch(request: Request, callNext: CallNext): Promise<Response> {
    const response = await callNext(request);
    response.headers.set('x-route', request.routeTemplate ?? 'unmatched');
    return response;
  }
}
