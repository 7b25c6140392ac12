import { formText, initialFormState, nextAttempt, refusedFormState } from '@/lib/form-state';

describe('the state a form shows after its server action answered', () => {
  it('when the API names fields, then each message goes under its field, the others at the top, and what was typed is kept', () => {
    const state = refusedFormState(
      initialFormState<'title' | 'price'>(),
      [
        { field: 'price', message: 'Price must be from 0.50 to 999999.99 with at most 2 decimals' },
        { field: 'price', message: 'a second message for the same field' },
        { field: 'sellerId', message: 'a field this form does not have' },
        { message: 'Ticket is reserved' },
      ],
      ['title', 'price'],
      { title: 'Front row', price: '0.49' },
    );
    expect(state).toEqual({
      values: { title: 'Front row', price: '0.49' },
      fieldErrors: { price: 'Price must be from 0.50 to 999999.99 with at most 2 decimals' },
      formErrors: ['a second message for the same field', 'a field this form does not have', 'Ticket is reserved'],
      attempt: 1,
    });
  });

  it('when attempts are refused one after another, then each counts, and a count the browser tampered with starts again', () => {
    expect(nextAttempt({ attempt: 0 })).toBe(1);
    expect(nextAttempt({ attempt: 41 })).toBe(42);
    for (const tampered of ['1', -1, 1.5, Number.MAX_SAFE_INTEGER + 1, null, undefined, {}]) {
      expect(nextAttempt({ attempt: tampered })).toBe(1);
    }
  });

  it('when a posted field is missing or a file, then it reads as empty text', () => {
    const formData = new FormData();
    formData.set('email', 'a@example.com');
    formData.set('upload', new Blob(['x']), 'x.txt');
    expect(formText(formData, 'email')).toBe('a@example.com');
    expect(formText(formData, 'upload')).toBe('');
    expect(formText(formData, 'missing')).toBe('');
  });
});
