import type { ReactNode } from 'react';

/** Form-level errors (the envelope's messages that name no field of the form). Renders nothing when empty. */
export function ErrorAlert({ messages, id }: { messages: readonly string[]; id?: string }) {
  if (messages.length === 0) return null;
  return (
    <div id={id} className="alert alert-error" role="alert">
      {messages.length === 1 ? (
        <p>{messages[0]}</p>
      ) : (
        <ul>
          {messages.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Notice({ tone = 'info', children }: { tone?: 'info' | 'success' | 'warning'; children: ReactNode }) {
  return <div className={`alert alert-${tone}`}>{children}</div>;
}
