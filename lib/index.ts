export { Application, type ApplicationOptions, type ListenOptions, type MethodRoute, type MiddlewareLayer, type RouteParams } from './application';
export type { MiddlewareState, StateChecked, StateMismatch } from './state';
export { createRequestListener, type RequestListener, type UpgradeHook } from './adapters/node';
export type { ConnectionLimits } from './adapters/node-connection';
export { createUpgradeListener, type OpenSockets, type UpgradeListener, type WebSocketUpgradeListener } from './adapters/node-upgrade';
export { WebSocket, type AcceptOptions, type JsonMode } from './websockets/websocket';
export { HTTPConnection } from './websockets/http-connection';
export { WebSocketRoute, type WebSocketHandler, type WebSocketRouteOptions } from './websockets/route';
export { WebSocketUpgrade } from './websockets/upgrade';
export { WebSocketCloseCode, WebSocketDisconnect, WebSocketException, WebSocketState } from './websockets/errors';
export {
  DEFAULT_WEBSOCKET_LIMITS,
  type ResolvedWebSocketLimits,
  type WebSocketBytesMessage,
  type WebSocketDisconnectMessage,
  type WebSocketLimits,
  type WebSocketMessage,
  type WebSocketTextMessage,
} from './websockets/connection';
export { createFetchHandler, type FetchHandler } from './adapters/fetch';
export { BackgroundTasks, type BackgroundTask, type TaskErrorReporter } from './background';
export { parseCookies, serializeCookie, type CookieOptions } from './cookies';
export { HTTPException } from './exceptions';
export { Headers, type HeadersInit } from './headers';
export {
  BaseHTTPMiddleware,
  FunctionMiddleware,
  Middleware,
  type CallNext,
  type DispatchFunction,
  type HTTPApp,
  type MiddlewareClass,
  type MiddlewareSpec,
} from './middleware/base';
export { ServerErrorMiddleware, type ErrorLogger } from './middleware/errors';
export {
  ExceptionHandlers,
  ExceptionMiddleware,
  defaultHTTPExceptionHandler,
  type ErrorClass,
  type ExceptionHandler,
  type ExceptionHandlerKey,
} from './middleware/exceptions';
export { Request, type Client, type ConnectionOverride, type MatchedRoute, type RequestApp, type RequestSource } from './requests';
export type { NodeMessage } from './request-source';
export type { FinishListener, ResponseFinished } from './finish';
export {
  HTMLResponse,
  JSONResponse,
  PlainTextResponse,
  RedirectResponse,
  Response,
  StreamingResponse,
  type BodyChunk,
  type ResponseInit,
  type StreamContent,
} from './responses';
export { FileResponse, type FileResponseInit } from './file-response';
export {
  MAX_RANGES,
  parseRange,
  type ByteRange,
  type MalformedRange,
  type RangeRequest,
  type SatisfiableRanges,
  type UnsatisfiableRange,
  type WholeRepresentation,
} from './byte-ranges';
export {
  checkPreconditions,
  evaluatePreconditions,
  type ConditionalRequest,
  type PreconditionOutcome,
  type Validators,
} from './preconditions';
export {
  APIRouter,
  CONVERTORS,
  DEFAULT_MAX_PARAM_LENGTH,
  Match,
  Mount,
  NoMatchFound,
  Route,
  Router,
  compilePath,
  type APIRouterOptions,
  type BaseRoute,
  type Collect,
  type IncludeOptions,
  type RouteDefinition,
  type RouterMethod,
  type CompiledPath,
  type CompiledRoute,
  type Flatten,
  type ParamEntry,
  type Convertor,
  type ConvertorValue,
  type Endpoint,
  type MountOptions,
  type PathParams,
  type RouteOptions,
  type RouterOptions,
} from './routing';
export { CORSMiddleware, type CORSOptions } from './middleware/cors';
export { ENFORCE_DOMAIN_WILDCARD, TrustedHostMiddleware, type TrustedHostOptions } from './middleware/trustedhost';
export {
  AuthCredentials,
  AuthenticationError,
  AuthenticationMiddleware,
  requestAuth,
  hasRequiredScope,
  InvalidCredentials,
  requestUser,
  SimpleUser,
  UnauthenticatedUser,
  type AuthenticationBackend,
  type AuthenticationOptions,
  type BaseUser,
} from './middleware/authentication';
export { requires, RequiresMiddleware, type GuardedWebSocket, type RequiresMiddlewareOptions, type RequiresOptions } from './auth/requires';
export type { Authenticated, Challenge, UserOf } from './auth/slot';
export { BearerTokenBackend, InvalidRequest, type BearerOptions, type UserWithScopes, type VerifiedUser } from './auth/bearer';
export { BasicAuthBackend, safeEqual, type BasicAuthOptions } from './auth/basic';
export { JWTBackend, JWTUser, type HMACAlgorithm, type JWKSOptions, type JWTCommonOptions, type JWTOptions, type JWTPublicKeyOptions, type JWTSecretOptions, type JWTPayload, type PublicKeyAlgorithm } from './auth/jwt';
export { HTTPSRedirectMiddleware, type HTTPSRedirectOptions } from './middleware/httpsredirect';
export { ProxyHeadersMiddleware, type ProxyHeadersOptions } from './middleware/proxyheaders';
export { AccessLogMiddleware, type AccessLogOptions, type AccessLogRecord } from './middleware/accesslog';
export { ConcurrencyLimitMiddleware, type ConcurrencyLimitOptions } from './middleware/concurrency';
export { SessionMiddleware, type SessionOptions } from './middleware/sessions';
export { SecurityHeadersMiddleware, DEFAULT_CSP_DIRECTIVES, type CSPDirectiveValue, type CSPOptions, type HSTSOptions, type SecurityHeadersOptions } from './middleware/securityheaders';
export { CSRFMiddleware, csrfToken, type CSRFOptions, type CSRFTokenOptions, type SecFetchSite } from './middleware/csrf';
export { RateLimitMiddleware, type RateLimitOptions } from './middleware/ratelimit';
export { MemoryStore, RedisStore, type MemoryStoreOptions, type RedisCommandClient, type RedisStoreOptions, type Store, type WindowHit } from './stores';
export { TimestampSigner, pythonJSONDumps } from './itsdangerous';
export { GZipMiddleware, type GZipOptions } from './middleware/gzip';
export { FormData, UploadFile, type FormOptions, type FormValue } from './forms';
export type { PoisoningAction, PoisoningOptions } from './poisoning';
export {
  DependencyScopeError,
  ExitStack,
  type DependencyResult,
  type DependencyScope,
  type DependencyValue,
  type DependsOptions,
} from './dependencies';
export { StaticFiles, type DotfilesPolicy, type StaticFilesOptions } from './staticfiles';
export { LifespanRunner, type Lifespan } from './lifespan';
export { InFlight, makeGraceful } from './server';
export { RequestIdMiddleware, requestId, type RequestIdOptions } from './middleware/requestid';
export { ServerTiming, ServerTimingMiddleware, serverTiming } from './middleware/servertiming';
export { TimeoutMiddleware, type TimeoutOptions } from './middleware/timeout';
export { bodyless, discardBody, sendsNoBody } from './responses';
export { PrometheusMiddleware, metricsEndpoint, methodLabel, type MetricsRegistry, type PrometheusOptions } from './middleware/prometheus';
export { OpenTelemetryMiddleware, type MeterProviderLike, type OpenTelemetryOptions, type TracerProviderLike } from './middleware/opentelemetry';
export { RequestLogger, pinoBackend, type LogBackend, type LoggedRequest, type PinoLike, type RequestLogFields } from './request-log';
export {
  ConnectMiddleware,
  NodeHandlerApp,
  connectError,
  connectMiddleware,
  connectRequest,
  fromNodeHandler,
  type ConnectHandler,
  type ConnectLayerOptions,
  type ConnectMiddlewareClass,
  type ConnectMiddlewareOptions,
  type ConnectNext,
  type ConnectRequestFields,
} from './connect';
