import { HTTPException } from 'stackware';

describe('HTTPException', () => {
  it('tests/test_exceptions.py::test_http_str: String() is the status code and the detail', () => {
    expect(String(new HTTPException(404))).toBe('404: Not Found');
    expect(String(new HTTPException(404, 'Not Found: foo'))).toBe('404: Not Found: foo');
    expect(String(new HTTPException(404, undefined, { key: 'value' }))).toBe('404: Not Found');
  });

  it('reads the same in a template literal, and shows a structured detail as JSON', () => {
    expect(`${new HTTPException(418, 'Session error')}`).toBe('418: Session error');
    expect(String(new HTTPException(422, [{ loc: ['query', 'q'], msg: 'missing' }]))).toBe('422: [{"loc":["query","q"],"msg":"missing"}]');
  });

  it('keeps the detail as its message, so the stack trace names the error as before', () => {
    const error = new HTTPException(404, 'Item not found');
    expect(error.message).toBe('Item not found');
    expect(error.stack?.startsWith('HTTPException: Item not found')).toBe(true);
  });
});
