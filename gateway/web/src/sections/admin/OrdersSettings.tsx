// Orders settings (administrators): whether a won deal gets a proposed draft order, and
// our company as every invoice prints it (name, address, tax id, contacts, bank details).
import { useEffect, useId, useState } from "react";
import { ApiError, get, ifMatch, request } from "../../core/api";
import { addMessages, useT } from "../../i18n";
import { Problem, useProblemText } from "./common";
import ordersMessages from "./messages.orders";

addMessages(ordersMessages);

const COMPANY_FIELDS = [
  ["company_name", false],
  ["company_address", true],
  ["company_tax_id", false],
  ["company_email", false],
  ["company_phone", false],
  ["company_bank", true],
] as const;

type CompanyField = (typeof COMPANY_FIELDS)[number][0];

interface Settings extends Record<CompanyField, string> {
  propose_order_on_win: boolean;
  version: number;
  updated_at: string | null;
}

export function OrdersSettings() {
  const t = useT();
  const id = useId();
  const explain = useProblemText();
  const [settings, setSettings] = useState<Settings | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    get<Settings>("/orders-settings").then(setSettings, (error) => {
      if (!(error instanceof ApiError && error.status === 401)) setProblem(explain(error));
    });
  }, []); // eslint-disable-line react-hooks/exhaustive-deps

  const [company, setCompany] = useState<Record<CompanyField, string> | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  useEffect(() => {
    if (settings && company === null) {
      setCompany(Object.fromEntries(COMPANY_FIELDS.map(([name]) => [name, settings[name] ?? ""])) as Record<CompanyField, string>);
    }
  }, [settings, company]);

  const save = async (body: Partial<Settings>) => {
    if (!settings) return;
    setBusy(true);
    setProblem(null);
    setStatus(null);
    setFieldErrors({});
    try {
      const response = await request<Settings>("/orders-settings", {
        method: "PUT",
        body,
        headers: ifMatch(settings.version),
      });
      setSettings(response.data);
      setStatus(t("ordersSettings.saved"));
    } catch (error) {
      if (error instanceof ApiError && error.errors.length) {
        setFieldErrors(Object.fromEntries(error.errors.map((e) => [e.field, e.message])));
      }
      setProblem(explain(error));
      get<Settings>("/orders-settings").then(setSettings, () => undefined);
    } finally {
      setBusy(false);
    }
  };
  const change = (value: boolean) => save({ propose_order_on_win: value });
  const companyChanged = Boolean(settings && company && COMPANY_FIELDS.some(([name]) => (settings[name] ?? "") !== company[name]));

  return (
    <section className="card orders-settings" aria-labelledby={`${id}-title`}>
      <div className="page-head">
        <h2 id={`${id}-title`} className="grow">
          {t("ordersSettings.title")}
        </h2>
        {status && (
          <span className="muted" role="status">
            {status}
          </span>
        )}
      </div>
      <Problem text={problem} />
      {!settings && !problem && <div className="loading" aria-busy="true" />}
      {settings && (
        <>
          <label className="check">
            <input
              type="checkbox"
              checked={settings.propose_order_on_win}
              disabled={busy}
              aria-describedby={`${id}-hint`}
              onChange={(e) => void change(e.target.checked)}
            />
            {t("ordersSettings.proposeOnWin")}
          </label>
          <p id={`${id}-hint`} className="muted small">
            {t("ordersSettings.proposeOnWinHint")}
          </p>
          <p className="muted small">
            {settings.updated_at ? t("ordersSettings.changed", { when: t.dateTime(settings.updated_at) }) : t("ordersSettings.never")}
          </p>
          {company && (
            <form
              className="company-form"
              noValidate
              aria-labelledby={`${id}-company`}
              onSubmit={(event) => {
                event.preventDefault();
                void save(company);
              }}
            >
              <h3 id={`${id}-company`}>{t("ordersSettings.company")}</h3>
              <p className="muted small">{t("ordersSettings.companyHint")}</p>
              {COMPANY_FIELDS.map(([name, multiline]) => (
                <label key={name} className="field">
                  <span>{t(`ordersSettings.${name}`)}</span>
                  {multiline ? (
                    <textarea
                      rows={3}
                      value={company[name]}
                      aria-invalid={fieldErrors[name] ? true : undefined}
                      onChange={(e) => setCompany({ ...company, [name]: e.target.value })}
                    />
                  ) : (
                    <input
                      type={name === "company_email" ? "email" : "text"}
                      value={company[name]}
                      aria-invalid={fieldErrors[name] ? true : undefined}
                      onChange={(e) => setCompany({ ...company, [name]: e.target.value })}
                    />
                  )}
                  {fieldErrors[name] && (
                    <span className="field-error" role="alert">
                      {fieldErrors[name]}
                    </span>
                  )}
                </label>
              ))}
              <div className="form-actions">
                <button type="submit" className="button primary" disabled={busy || !companyChanged}>
                  {t("ordersSettings.saveCompany")}
                </button>
              </div>
            </form>
          )}
        </>
      )}
    </section>
  );
}
