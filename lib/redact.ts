const SECRET = /secret|password|passwd|token|key$/i;

/**
 * A copy of `value` in which plain objects (and arrays of them, a few levels deep) have the values
 * of secret-looking keys (`secretKey`, `password`, `apiToken`…) replaced by `'[redacted]'`. Other
 * objects are kept as they are. For listings of options: `app.middlewareStack`, `stackware routes`.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 4 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, SECRET.test(key) ? '[redacted]' : redactSecrets(item, depth + 1)]),
  );
}
