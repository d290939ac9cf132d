/** A form's own messages: failures (role="alert") and a neutral note, e.g. that a wait is over. */
export function FormMessages({ messages, note }: { messages: string[]; note: string | null }) {
  return (
    <>
      {messages.length ? (
        <div className="form-error" role="alert">
          {messages.map((m) => (
            <p key={m}>{m}</p>
          ))}
        </div>
      ) : null}
      {note ? (
        <p className="form-note" role="status">
          {note}
        </p>
      ) : null}
    </>
  );
}
