export { requires, RequiresMiddleware, type RequiresMiddlewareOptions, type RequiresOptions } from './requires';
export type { Authenticated, Challenge, UserOf } from './slot';
export { BearerTokenBackend, InvalidRequest, type BearerOptions, type UserWithScopes, type VerifiedUser } from './bearer';
export { BasicAuthBackend, safeEqual, type BasicAuthOptions } from './basic';
export { JWTBackend, JWTUser, type HMACAlgorithm, type JWKSOptions, type JWTCommonOptions, type JWTOptions, type JWTPublicKeyOptions, type JWTSecretOptions, type JWTPayload, type PublicKeyAlgorithm } from './jwt';
