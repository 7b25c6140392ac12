import { splitErrors, type ApiErrorItem } from './envelope';

/**
 * What a form shows after its server action answered, the state `useActionState` keeps. The same object is
 * rendered into the page the server sends back when the form was posted without JavaScript (or before
 * hydration), so it holds only what the form may show: the values typed (never a password) and the API's
 * messages, split between the fields they name and the form itself.
 */
export interface FormState<Field extends string> {
  /** What the visitor typed, to fill the form in again. */
  values: Partial<Record<Field, string>>;
  /** The API's message for each field it named, shown under that field. */
  fieldErrors: Partial<Record<Field, string>>;
  /** The API's other messages, shown at the top of the form. */
  formErrors: string[];
  /** Counts refused attempts, so the form moves the keyboard to the first invalid field after each one. */
  attempt: number;
}

/** Before any attempt: nothing typed, nothing refused. */
export function initialFormState<Field extends string>(): FormState<Field> {
  return { values: {}, fieldErrors: {}, formErrors: [], attempt: 0 };
}

/** The state after the API refused the values: its messages under their fields, the values kept. */
export function refusedFormState<Field extends string>(
  previous: Pick<FormState<Field>, 'attempt'>,
  errors: readonly ApiErrorItem[],
  fields: readonly Field[],
  values: Partial<Record<Field, string>>,
): FormState<Field> {
  const split = splitErrors(errors, fields);
  return {
    values,
    fieldErrors: split.fieldErrors as Partial<Record<Field, string>>,
    formErrors: split.formErrors,
    attempt: nextAttempt(previous),
  };
}

/**
 * The count after one more refused attempt. The previous state comes back from the browser with each call of
 * the action, so it is not taken on trust either: anything but a count starts again at 1.
 */
export function nextAttempt(previous: { attempt: unknown }): number {
  const attempt = previous.attempt;
  return typeof attempt === 'number' && Number.isSafeInteger(attempt) && attempt >= 0 ? attempt + 1 : 1;
}

/**
 * A text field of a posted form, or '' when it is missing. A server action is a public endpoint: anything may
 * arrive, including a file where text was expected, so nothing is taken on trust (the API validates the rest).
 */
export function formText(formData: FormData, name: string): string {
  const value = formData.get(name);
  return typeof value === 'string' ? value : '';
}
