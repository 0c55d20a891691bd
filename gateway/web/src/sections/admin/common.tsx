// What the administration pages share: loading a collection, a copy button, and error text.
import { useCallback, useEffect, useState } from "react";
import { ApiError, get } from "../../core/api";
import { useT } from "../../i18n";
import { problemText } from "../../views/Dialog";

export interface Versioned {
  id: string;
  version: number;
}

/** A collection's `items` (null while loading), with a way to load it again. */
export function useItems<T>(path: string): { items: T[] | null; failed: boolean; reload: () => void } {
  const [items, setItems] = useState<T[] | null>(null);
  const [failed, setFailed] = useState(false);
  const reload = useCallback(() => {
    get<{ items: T[] }>(path).then(
      (body) => {
        setItems(body.items ?? []);
        setFailed(false);
      },
      (error) => !(error instanceof ApiError && error.status === 401) && setFailed(true),
    );
  }, [path]);
  useEffect(reload, [reload]);
  return { items, failed, reload };
}

/** A refusal as the user reads it: a stale version, no right, or the field messages. */
export function useProblemText() {
  const t = useT();
  return (error: unknown) => {
    if (error instanceof ApiError && error.status === 409 && !error.errors.length) return t("record.conflict");
    if (error instanceof ApiError && error.status === 403) return t("error.forbiddenChange");
    return problemText(error, t("error.saveFailedRecord"));
  };
}

/** Copy text to the clipboard (the API where allowed, else a selected textarea). */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall back below
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  let done = false;
  try {
    done = document.execCommand("copy");
  } catch {
    done = false;
  }
  area.remove();
  return done;
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const t = useT();
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  return (
    <button
      type="button"
      className="button small"
      onClick={() => {
        void copyText(text).then((ok) => {
          setState(ok ? "copied" : "failed");
          window.setTimeout(() => setState("idle"), 2500);
        });
      }}
      aria-live="polite"
    >
      {state === "copied" ? t("admin.copied") : state === "failed" ? t("admin.copyFailed") : label}
    </button>
  );
}

export function Problem({ text }: { text: string | null }) {
  return text ? (
    <p className="banner danger" role="alert">
      {text}
    </p>
  ) : null;
}
