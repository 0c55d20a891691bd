import { Link } from "../core/router";
import { ACCENTS, isColour, useSession, type Theme } from "../core/session";
import { addMessages, LOCALES, useT, type Locale } from "../i18n";
import { ApiTokens } from "./ApiTokens";
import { PasswordForm } from "./password/PasswordForm";
import exchangeMessages from "./exchange/messages";
import googleMessages from "./google/messages";

addMessages(googleMessages);
addMessages(exchangeMessages);

export function Settings() {
  const t = useT();
  const { appearance, setAppearance } = useSession();
  return (
    <div className="page narrow">
      <header className="page-head">
        <h1>{t("settings.title")}</h1>
      </header>
      <section className="card settings">
        <fieldset>
          <legend>{t("settings.theme")}</legend>
          <div className="segmented">
            {(["light", "dark"] as Theme[]).map((theme) => (
              <label key={theme} className={appearance.theme === theme ? "selected" : undefined}>
                <input
                  type="radio"
                  name="theme"
                  value={theme}
                  checked={appearance.theme === theme}
                  onChange={() => void setAppearance({ theme })}
                />
                {t(`settings.theme.${theme}`)}
              </label>
            ))}
          </div>
        </fieldset>
        <fieldset>
          <legend>{t("settings.accent")}</legend>
          <div className="swatches">
            {ACCENTS.map((colour, index) => (
              <label key={colour} className="swatch" style={{ background: colour }}>
                <input
                  type="radio"
                  name="accent"
                  value={colour}
                  checked={appearance.accent.toLowerCase() === colour}
                  onChange={() => void setAppearance({ accent: colour })}
                />
                <span className="visually-hidden">{t("settings.accent.preset", { n: index + 1 })}</span>
              </label>
            ))}
            <label className="custom-colour">
              <span>{t("settings.accent.custom")}</span>
              <input
                type="color"
                value={appearance.accent}
                onChange={(e) => isColour(e.target.value) && void setAppearance({ accent: e.target.value })}
              />
            </label>
          </div>
        </fieldset>
        <label className="field">
          <span className="field-label">{t("settings.language")}</span>
          <select
            name="language"
            value={appearance.locale}
            onChange={(e) => void setAppearance({ locale: e.target.value as Locale })}
          >
            {LOCALES.map((code) => (
              <option key={code} value={code}>
                {t(`language.${code}`)}
              </option>
            ))}
          </select>
        </label>
        <p className="hint">{t("settings.formatSample", { date: t.dateTime(new Date().toISOString()), number: t.number(1234567.89) })}</p>
      </section>
      <section className="card settings" aria-labelledby="settings-password">
        <h2 id="settings-password">{t("password.change.title")}</h2>
        <p className="hint">{t("password.change.intro")}</p>
        <PasswordForm onSaved={() => undefined} />
      </section>
      <ApiTokens />
      <p className="settings-more">
        <Link to="/mail/settings">{t("mail.settingsLink")}</Link>
      </p>
      <p className="settings-more">
        <Link to="/settings/google">{t("google.settingsLink")}</Link>
      </p>
      <p className="settings-more">
        <Link to="/settings/exchange">{t("exchange.settingsLink")}</Link>
      </p>
    </div>
  );
}
