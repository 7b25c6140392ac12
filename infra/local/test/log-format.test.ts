import { formatLogLine } from '../src/log-format';

describe('formatLogLine (what npm start shows of a service log)', () => {
  it('when the line is pino JSON, then it shows time, level, message and the details, without the noise', () => {
    const line = JSON.stringify({
      level: 30,
      time: '2026-11-22T16:14:49.390Z',
      service: 'auth',
      pid: 12,
      msg: 'request completed',
      req: { method: 'POST', url: '/api/users/signup' },
      res: { statusCode: 201 },
    });
    expect(formatLogLine(line)).toBe(
      '16:14:49 info  request completed  req.method=POST req.url=/api/users/signup res.statusCode=201',
    );
  });

  it('when an error is logged, then its stack follows on its own lines', () => {
    const line = JSON.stringify({
      level: 50,
      time: '2026-11-22T16:14:49.390Z',
      msg: 'unhandled error',
      err: { message: 'boom', stack: 'Error: boom\n    at x' },
    });
    expect(formatLogLine(line)).toBe(
      '16:14:49 error unhandled error  err.message=boom err.stack=\nError: boom\n    at x',
    );
  });

  it('when the line is not pino JSON, then it passes through unchanged', () => {
    expect(formatLogLine('plain text')).toBe('plain text');
    expect(formatLogLine('{not json')).toBe('{not json');
    expect(formatLogLine('{"a":1}')).toBe('{"a":1}');
  });
});
