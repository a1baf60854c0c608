// docs/testing.md: the example test files are real test files; importing them runs them here.
import '../../docs/examples/testing/app.test';
import '../../docs/examples/testing/in-process.test';
