export type { Store, WindowHit } from './store';
export { MemoryStore, type MemoryStoreOptions } from './memory';
export { RedisStore, type RedisCommandClient, type RedisStoreOptions } from './redis';
