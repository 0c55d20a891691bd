// The page a user sees after signing in with a password somebody else made (a temporary
// one): nothing else answers them until they choose their own (gateway/auth.py).
import { useT } from "../../i18n";
import { Logo } from "../Icon";
import { PasswordForm } from "./PasswordForm";

interface Props {
  email: string;
  onChanged: () => Promise<void>;
  onSignOut: () => Promise<void>;
}

export function ChangePassword({ email, onChanged, onSignOut }: Props) {
  const t = useT();
  return (
    <main className="sign-in">
      <section className="sign-in-card" aria-labelledby="change-password-title">
        <div className="sign-in-brand">
          <Logo />
          <span>{t("app.name")}</span>
        </div>
        <h1 id="change-password-title">{t("password.required.title")}</h1>
        <p className="hint">{email}</p>
        <p>{t("password.required.intro")}</p>
        {/* the email, for password managers that file the new password under it */}
        <input type="email" autoComplete="username" value={email} readOnly hidden />
        <PasswordForm onSaved={onChanged} autoFocus />
        <button type="button" className="button ghost" onClick={() => void onSignOut()}>
          {t("password.signOut")}
        </button>
      </section>
    </main>
  );
}
