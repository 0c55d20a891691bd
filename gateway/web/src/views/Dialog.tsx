// A modal dialog (the native <dialog>, so focus stays inside and Escape closes it).
import { useEffect, useId, useRef, type FormEvent, type ReactNode } from "react";

interface Props {
  title: string;
  onClose: () => void;
  /** With a submit handler the body is a form (Enter submits). */
  onSubmit?: () => void;
  children: ReactNode;
  actions: ReactNode;
  wide?: boolean;
  className?: string;
}

export function Dialog({ title, onClose, onSubmit, children, actions, wide, className }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    event.stopPropagation();
    onSubmit?.();
  };
  return (
    <dialog
      ref={dialog}
      className={["dialog", wide ? "wide" : "", className ?? ""].filter(Boolean).join(" ")}
      aria-labelledby={`${id}-title`}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <form onSubmit={submit} noValidate>
        <h2 id={`${id}-title`}>{title}</h2>
        {children}
        <div className="dialog-actions">{actions}</div>
      </form>
    </dialog>
  );
}

/** What went wrong, as one line a person can read (field messages joined). */
export function problemText(error: unknown, fallback: string): string {
  if (error && typeof error === "object" && "errors" in error && Array.isArray((error as { errors: unknown }).errors)) {
    const list = (error as { errors: Array<{ field?: string; message?: string }> }).errors;
    const joined = list.map((e) => (e.field && e.field !== "data" ? `${e.field}: ${e.message}` : e.message)).filter(Boolean).join("; ");
    if (joined) return joined;
  }
  return error instanceof Error && error.message ? error.message : fallback;
}
