import { startTransition, useEffect, type FormEvent, type RefObject } from 'react';

/*
 * Helpers for the forms whose `action` is a server action held by `useActionState`. Without JavaScript (or
 * before hydration) such a form is a plain HTML form posting to the action; these only refine what happens
 * once the page runs scripts.
 */

/**
 * The form's onSubmit: calls the action itself rather than letting React do it, which keeps what the visitor
 * typed in the fields. React resets a form whose action it ran once the action ends, putting back the values of
 * the last render; that reset can land after the visitor has started to correct a field, and would wipe it.
 */
export function submitKeepingValues(action: (formData: FormData) => void) {
  return (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const formData = new FormData(event.currentTarget, (event.nativeEvent as SubmitEvent).submitter);
    startTransition(() => action(formData));
  };
}

/**
 * After each refused attempt (`attempt` counts them), puts the keyboard on the first field the API named, so a
 * keyboard or screen-reader user lands on what needs fixing. Without JavaScript the page the server sends back
 * shows the same messages; only this convenience is missing.
 */
export function useFocusFirstInvalid(form: RefObject<HTMLFormElement | null>, attempt: number): void {
  useEffect(() => {
    if (attempt === 0) return;
    form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [form, attempt]);
}
