import { useState, type FormEvent } from "react";
import { ApiError, request } from "../core/api";
import { LOCALES, useT, type Locale } from "../i18n";
import { Logo } from "./Icon";

interface Props {
  expired: boolean;
  locale: Locale;
  onLocale: (locale: Locale) => void;
  onSignedIn: () => Promise<void>;
}

export function SignIn({ expired, locale, onLocale, onSignedIn }: Props) {
  const t = useT();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await request("/auth/login", { method: "POST", body: { email, password }, expect401: true });
      await onSignedIn();
    } catch (caught) {
      const status = caught instanceof ApiError ? caught.status : 0;
      setError(status === 401 || status === 422 ? t("signIn.wrong") : t("error.unreachable"));
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <form className="sign-in-card" onSubmit={submit} aria-labelledby="sign-in-title">
        <div className="sign-in-brand">
          <Logo />
          <span>{t("app.name")}</span>
        </div>
        <h1 id="sign-in-title">{t("signIn.title")}</h1>
        {expired && (
          <p className="notice" role="status">
            {t("signIn.expired")}
          </p>
        )}
        <label className="field">
          <span className="field-label">{t("signIn.email")}</span>
          <input
            type="email"
            name="email"
            autoComplete="username"
            required
            autoFocus
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <label className="field">
          <span className="field-label">{t("signIn.password")}</span>
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="button primary wide" disabled={busy}>
          {busy ? t("signIn.busy") : t("signIn.submit")}
        </button>
        <label className="sign-in-language">
          <span className="visually-hidden">{t("settings.language")}</span>
          <select value={locale} onChange={(e) => onLocale(e.target.value as Locale)}>
            {LOCALES.map((code) => (
              <option key={code} value={code}>
                {t(`language.${code}`)}
              </option>
            ))}
          </select>
        </label>
      </form>
    </main>
  );
}
