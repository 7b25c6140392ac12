import { readApiResponse, splitErrors, UNAVAILABLE_MESSAGE } from '@/lib/envelope';

function response(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body === '' ? null : body, { status, headers });
}

describe('reading an API answer', () => {
  it('when the API succeeds, then the page gets the parsed body, the status and the headers', async () => {
    const result = await readApiResponse<{ id: string }>(
      response(201, '{"id":"t1"}', { link: '</api/tickets?cursor=abc>; rel="next"' }),
    );

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.status).toBe(201);
    expect(result.data).toEqual({ id: 't1' });
    expect(result.headers.get('link')).toBe('</api/tickets?cursor=abc>; rel="next"');
  });

  it('when the API refuses with the error envelope, then its messages and fields reach the form as they are', async () => {
    const envelope = { errors: [{ message: 'Title is required', field: 'title' }, { message: 'Not allowed' }] };

    const result = await readApiResponse(response(400, JSON.stringify(envelope)));

    expect(result).toEqual({ ok: false, status: 400, errors: envelope.errors });
  });

  it('when the envelope holds malformed items, then only the well-formed ones are kept', async () => {
    const body = JSON.stringify({
      errors: [{ message: 'Kept' }, { message: 42 }, 'text', { message: 'Too', field: 1 }],
    });

    const result = await readApiResponse(response(409, body));

    expect(result).toEqual({ ok: false, status: 409, errors: [{ message: 'Kept' }] });
  });

  it.each([
    [429, 'text/plain body', 'Too many attempts. Please wait a minute and try again.'],
    [500, '<html>Internal Server Error</html>', UNAVAILABLE_MESSAGE],
    [418, '', 'The request failed (HTTP 418).'],
  ])('when a %i answer is not the envelope, then the visitor still reads a sentence', async (status, body, message) => {
    expect(await readApiResponse(response(status, body))).toEqual({ ok: false, status, errors: [{ message }] });
  });

  it.each([502, 504])(
    'when the gateway answers %i for a stopped service, then the visitor reads "unavailable", not its envelope',
    async (status) => {
      const body = JSON.stringify({ errors: [{ message: 'Bad gateway: orders is not answering' }] });

      expect(await readApiResponse(response(status, body))).toEqual({
        ok: false,
        status,
        errors: [{ message: UNAVAILABLE_MESSAGE }],
      });
    },
  );
});

describe('a 503 from a service', () => {
  it('when a service answers 503 with its own envelope, then the visitor reads its message (what to wait for), not a generic one', async () => {
    const envelope = {
      errors: [{ message: 'Your order is still being set up for payment; please try again in a moment' }],
    };

    const result = await readApiResponse(response(503, JSON.stringify(envelope), { 'retry-after': '1' }));

    expect(result).toEqual({ ok: false, status: 503, errors: envelope.errors });
  });

  it('when a 503 is not the envelope (an edge in front of a stopped service), then the visitor reads "unavailable"', async () => {
    expect(await readApiResponse(response(503, 'no healthy upstream'))).toEqual({
      ok: false,
      status: 503,
      errors: [{ message: UNAVAILABLE_MESSAGE }],
    });
  });
});

describe('placing envelope errors on a form', () => {
  it('when errors name fields of the form, then each shows next to its field and the rest at the top', () => {
    const split = splitErrors(
      [
        { message: 'Title is required', field: 'title' },
        { message: 'Price must be at least $0.50', field: 'price' },
        { message: 'The ticket is reserved', field: 'orderId' },
        { message: 'Try again later' },
      ],
      ['title', 'price'],
    );

    expect(split).toEqual({
      fieldErrors: { title: 'Title is required', price: 'Price must be at least $0.50' },
      formErrors: ['The ticket is reserved', 'Try again later'],
    });
  });

  it('when a field has two errors, then the first shows next to it and the second at the top, and no message twice', () => {
    const split = splitErrors(
      [
        { message: 'Email is required', field: 'email' },
        { message: 'Email is invalid', field: 'email' },
        { message: 'Try again later' },
        { message: 'Try again later' },
      ],
      ['email', 'password'],
    );

    expect(split).toEqual({
      fieldErrors: { email: 'Email is required' },
      formErrors: ['Email is invalid', 'Try again later'],
    });
  });
});
