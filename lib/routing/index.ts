export { APIRouter, type APIRouterOptions, type IncludeOptions, type RouteDefinition, type RouterMethod } from './api-router';
export { CONVERTORS, type Convertor } from './convertors';
export type { Endpoint } from './endpoint';
export { Mount, type MountOptions } from './mount';
export type { Collect, ConvertorValue, Flatten, ParamEntry, PathParams } from './params';
export { NoMatchFound } from './reverse';
export { Match, Route, type BaseRoute, type CompiledRoute, type RouteOptions } from './route';
export { Router, type RouterOptions } from './router';
export { compilePath, DEFAULT_MAX_PARAM_LENGTH, type CompiledPath } from './template';
