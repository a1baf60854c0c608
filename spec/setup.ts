// Any unhandled rejection or uncaught exception during a test fails that test.
const escaped: unknown[] = [];
const record = (error: unknown): void => {
  escaped.push(error);
};

process.on('unhandledRejection', record);
process.on('uncaughtException', record);

afterEach(() => {
  if (escaped.length === 0) return;
  const errors = escaped.splice(0);
  throw new Error(`Unhandled rejection or uncaught exception during the test: ${errors.map(String).join('; ')}`);
});

afterAll(() => {
  process.off('unhandledRejection', record);
  process.off('uncaughtException', record);
});
