// A new password typed twice and saved on the signed-in user (PATCH /me). The server's
// password rules answer a weak one with a 422 naming `password`; its words are shown.
import { useId, useState, type FormEvent } from "react";
import { ApiError, request } from "../../core/api";
import { addMessages, useT } from "../../i18n";
import messages from "./messages";

addMessages(messages);

interface Props {
  /** Called once the password is saved. */
  onSaved: () => void | Promise<void>;
  autoFocus?: boolean;
}

export function PasswordForm({ onSaved, autoFocus = false }: Props) {
  const t = useT();
  const hintId = useId();
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    if (password !== repeat) {
      setError(t("password.mismatch"));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await request("/me", { method: "PATCH", body: { password } });
      setPassword("");
      setRepeat("");
      setSaved(true);
      await onSaved();
    } catch (caught) {
      const said = caught instanceof ApiError ? caught.forField("password") : [];
      setError(said.length ? said.join(" ") : t("password.failed"));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="password-form" onSubmit={submit} noValidate>
      <label className="field">
        <span className="field-label">{t("password.new")}</span>
        <input
          type="password"
          name="new-password"
          autoComplete="new-password"
          required
          autoFocus={autoFocus}
          aria-describedby={hintId}
          aria-invalid={error ? true : undefined}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </label>
      <label className="field">
        <span className="field-label">{t("password.repeat")}</span>
        <input
          type="password"
          name="repeat-password"
          autoComplete="new-password"
          required
          value={repeat}
          onChange={(e) => setRepeat(e.target.value)}
        />
      </label>
      <p className="hint" id={hintId}>
        {t("password.hint")}
      </p>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {saved && !error && (
        <p className="notice" role="status">
          {t("password.saved")}
        </p>
      )}
      <button type="submit" className="button primary" disabled={busy || !password || !repeat}>
        {busy ? t("password.busy") : t("password.submit")}
      </button>
    </form>
  );
}
