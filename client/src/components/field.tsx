import type { InputHTMLAttributes } from 'react';

interface FieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'name' | 'className' | 'prefix'> {
  id: string;
  name: string;
  label: string;
  /** The envelope's message for this field, shown under it and tied to it with aria-describedby. */
  error?: string;
  hint?: string;
  /** Text shown inside the box before the value, e.g. "$". */
  prefix?: string;
}

/** A labelled input whose error is announced (role="alert") and linked to it for screen readers. */
export function Field({ id, name, label, error, hint, prefix, ...inputProps }: FieldProps) {
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  const input = (
    <input
      id={id}
      name={name}
      className="input"
      aria-invalid={error ? true : undefined}
      aria-describedby={describedBy}
      {...inputProps}
    />
  );
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p id={hintId} className="hint">
          {hint}
        </p>
      )}
      {prefix ? (
        <div className="input-group">
          <span className="input-addon" aria-hidden="true">
            {prefix}
          </span>
          {input}
        </div>
      ) : (
        input
      )}
      {error && (
        <p id={errorId} className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
