export { connectMiddleware, ConnectMiddleware, type ConnectLayerOptions, type ConnectMiddlewareClass, type ConnectMiddlewareOptions } from './middleware';
export { fromNodeHandler, NodeHandlerApp } from './node-handler';
export { connectRequest } from './request';
export { connectError } from './errors';
export type { ConnectHandler, ConnectNext, ConnectRequestFields } from './run';
