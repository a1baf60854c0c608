export { requires, RequiresMiddleware, type RequiresMiddlewareOptions, type RequiresOptions } from './requires';
export type { Authenticated, Challenge, UserOf } from './slot';
export { BearerTokenBackend, InvalidRequest, type BearerOptions, type VerifiedUser } from './bearer';
export { BasicAuthBackend, safeEqual, type BasicAuthOptions } from './basic';
export { JWTBackend, JWTUser, type HMACAlgorithm, type JWTOptions, type JWTPayload, type PublicKeyAlgorithm } from './jwt';
