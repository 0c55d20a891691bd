// Settings → API tokens: a user's personal tokens for integrations. Made with a name,
// scopes (read/write per area, admin) and an expiry date; the token is shown once, with
// a copy button; afterwards only its first characters. Listed with what they may do and
// when they were last used; revoked here (an administrator also sees them per user).
import { useCallback, useEffect, useId, useState } from "react";
import { ApiError, get, request } from "../core/api";
import { useT } from "../i18n";
import { Dialog, problemText } from "../views/Dialog";
import "./api-tokens.css";

export interface PersonalToken {
  id: string;
  name: string;
  scopes: string[];
  prefix: string;
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
}

/** The areas in the order Osprey's sections come, each with read and write. */
export const AREAS = ["leads", "sales", "orders", "feed", "processes", "mail", "analytics", "data"] as const;
const ACCESS = ["read", "write"] as const;
const DEFAULT_DAYS = 90;

/** A calendar day `days` from today where the user is, as YYYY-MM-DD. */
export function dayFromToday(days: number, today: Date = new Date()): string {
  const day = new Date(today.getFullYear(), today.getMonth(), today.getDate() + days);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
}

/** The latest expiry the server takes: a year from today (29 Feb gives 28 Feb). */
export function latestExpiry(today: Date = new Date()): string {
  const year = today.getFullYear() + 1;
  const month = today.getMonth();
  const last = new Date(year, month + 1, 0).getDate();
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${year}-${pad(month + 1)}-${pad(Math.min(today.getDate(), last))}`;
}

/** The last day a token works (UTC): its expiry is the start of the next day. */
export function lastDay(expiresAt: string): string {
  return new Date(Date.parse(expiresAt) - 1).toISOString().slice(0, 10);
}

async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // not allowed here: fall back to a selected text area
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

export function ApiTokens() {
  const t = useT();
  const [tokens, setTokens] = useState<PersonalToken[] | null>(null);
  const [grantable, setGrantable] = useState<string[]>([]);
  const [failed, setFailed] = useState(false);
  const [creating, setCreating] = useState(false);
  const [made, setMade] = useState<{ name: string; token: string } | null>(null);
  const [revoking, setRevoking] = useState<PersonalToken | null>(null);

  const reload = useCallback(() => {
    get<{ items: PersonalToken[] }>("/me/tokens").then(
      (body) => {
        setTokens(body.items);
        setFailed(false);
      },
      (error) => !(error instanceof ApiError && error.status === 401) && setFailed(true),
    );
  }, []);
  useEffect(() => {
    reload();
    get<{ items: string[] }>("/me/token-scopes").then(
      (body) => setGrantable(body.items),
      () => setGrantable([]),
    );
  }, [reload]);

  return (
    <section className="card settings api-tokens" aria-labelledby="api-tokens-title">
      <div className="api-tokens-head">
        <h2 id="api-tokens-title">{t("tokens.title")}</h2>
        {!creating && (
          <button type="button" className="button primary" onClick={() => setCreating(true)}>
            {t("tokens.create")}
          </button>
        )}
      </div>
      <p className="hint">{t("tokens.intro")}</p>
      {made && <NewToken made={made} onDone={() => setMade(null)} />}
      {creating && (
        <TokenForm
          grantable={grantable}
          onCancel={() => setCreating(false)}
          onCreated={(token) => {
            setCreating(false);
            setMade(token);
            reload();
          }}
        />
      )}
      {failed && (
        <p className="banner danger" role="alert">
          {t("tokens.loadFailed")}
        </p>
      )}
      {/* A line while the list loads, the size of the "none" line, so that nothing below
          (the mail, Google and Exchange links) moves under a pointer about to click it. */}
      {tokens === null && !failed && (
        <p className="muted" aria-busy="true">
          {t("list.loading")}
        </p>
      )}
      {tokens && tokens.length === 0 && <p className="muted">{t("tokens.none")}</p>}
      {tokens && tokens.length > 0 && <TokenTable tokens={tokens} onRevoke={setRevoking} />}
      {revoking && (
        <RevokeDialog
          token={revoking}
          onClose={() => setRevoking(null)}
          onRevoked={() => {
            setRevoking(null);
            reload();
          }}
        />
      )}
    </section>
  );
}

function NewToken({ made, onDone }: { made: { name: string; token: string }; onDone: () => void }) {
  const t = useT();
  const id = useId();
  const [copy, setCopy] = useState<"idle" | "copied" | "failed">("idle");
  return (
    <div className="banner warning new-token" role="status">
      <strong>{t("tokens.made", { name: made.name })}</strong>
      <span className="new-token-warning">{t("tokens.onlyOnce")}</span>
      <label className="field new-token-value" htmlFor={`${id}-token`}>
        <span className="field-label">{t("tokens.token")}</span>
        <input
          id={`${id}-token`}
          readOnly
          value={made.token}
          spellCheck={false}
          onFocus={(e) => e.target.select()}
        />
      </label>
      <div className="new-token-actions">
        <button
          type="button"
          className="button small"
          aria-live="polite"
          onClick={() => {
            void copyText(made.token).then((ok) => {
              setCopy(ok ? "copied" : "failed");
              window.setTimeout(() => setCopy("idle"), 2500);
            });
          }}
        >
          {copy === "copied" ? t("tokens.copied") : copy === "failed" ? t("tokens.copyFailed") : t("tokens.copy")}
        </button>
        <button type="button" className="button small" onClick={onDone}>
          {t("tokens.done")}
        </button>
      </div>
    </div>
  );
}

function TokenForm({
  grantable,
  onCancel,
  onCreated,
}: {
  grantable: string[];
  onCancel: () => void;
  onCreated: (made: { name: string; token: string }) => void;
}) {
  const t = useT();
  const id = useId();
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>([]);
  const [expiresOn, setExpiresOn] = useState(dayFromToday(DEFAULT_DAYS));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // a field's refusal goes when the field is changed
  const clear = (field: string) => {
    setProblem(null);
    setErrors((current) => {
      const { [field]: _gone, ...rest } = current;
      return rest;
    });
  };
  const toggle = (scope: string, on: boolean) => {
    clear("scopes");
    setScopes((current) => (on ? [...current, scope] : current.filter((s) => s !== scope)));
  };
  const error = (field: string) =>
    errors[field] ? (
      <span className="field-error" id={`${id}-${field}-error`}>
        {errors[field]}
      </span>
    ) : null;

  const submit = async () => {
    setBusy(true);
    setErrors({});
    setProblem(null);
    try {
      const { data } = await request<PersonalToken & { token: string }>("/me/tokens", {
        method: "POST",
        body: { name, scopes, expires_on: expiresOn },
      });
      onCreated({ name: data.name, token: data.token });
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 401) return;
      if (caught instanceof ApiError && caught.errors.length) {
        setErrors(Object.fromEntries(caught.errors.map((e) => [e.field, e.message])));
      }
      setProblem(problemText(caught, t("error.saveFailedRecord")));
    } finally {
      setBusy(false);
    }
  };

  const areas = AREAS.filter((area) => ACCESS.some((access) => grantable.includes(`${area}:${access}`)));
  return (
    <form
      className="token-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <label className="field">
        <span className="field-label">{t("tokens.name")}</span>
        <input
          value={name}
          maxLength={100}
          placeholder={t("tokens.namePlaceholder")}
          aria-invalid={!!errors.name || undefined}
          aria-describedby={errors.name ? `${id}-name-error` : undefined}
          onChange={(e) => {
            clear("name");
            setName(e.target.value);
          }}
        />
        {error("name")}
      </label>
      <fieldset aria-describedby={errors.scopes ? `${id}-scopes-error` : undefined}>
        <legend>{t("tokens.scopes")}</legend>
        <table className="simple-table scope-table">
          <thead>
            <tr>
              <th scope="col">{t("tokens.area")}</th>
              <th scope="col">{t("tokens.access.read")}</th>
              <th scope="col">{t("tokens.access.write")}</th>
            </tr>
          </thead>
          <tbody>
            {areas.map((area) => (
              <tr key={area}>
                <th scope="row">{t(`tokens.area.${area}`)}</th>
                {ACCESS.map((access) => {
                  const scope = `${area}:${access}`;
                  return (
                    <td key={access}>
                      {grantable.includes(scope) && (
                        <label className="check">
                          <input
                            type="checkbox"
                            aria-label={t("tokens.scopeLabel", {
                              area: t(`tokens.area.${area}`),
                              access: t(`tokens.access.${access}`),
                            })}
                            checked={scopes.includes(scope)}
                            onChange={(e) => toggle(scope, e.target.checked)}
                          />
                          <code className="scope-code">{scope}</code>
                        </label>
                      )}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
        {grantable.includes("admin") && (
          <label className="check admin-scope">
            <input type="checkbox" checked={scopes.includes("admin")} onChange={(e) => toggle("admin", e.target.checked)} />
            <span>{t("tokens.adminScope")}</span>
          </label>
        )}
        {error("scopes")}
      </fieldset>
      <label className="field token-expiry">
        <span className="field-label">{t("tokens.expiresOn")}</span>
        <input
          type="date"
          value={expiresOn}
          min={dayFromToday(1)}
          max={latestExpiry()}
          aria-invalid={!!errors.expires_on || undefined}
          aria-describedby={errors.expires_on ? `${id}-expires_on-error` : undefined}
          onChange={(e) => {
            clear("expires_on");
            setExpiresOn(e.target.value);
          }}
        />
        <span className="hint">{t("tokens.expiresHint")}</span>
        {error("expires_on")}
      </label>
      {problem && !Object.keys(errors).length && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
      <div className="token-form-actions">
        <button type="submit" className="button primary" disabled={busy}>
          {t("tokens.createSubmit")}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          {t("tokens.cancel")}
        </button>
      </div>
    </form>
  );
}

function TokenTable({ tokens, onRevoke }: { tokens: PersonalToken[]; onRevoke: (token: PersonalToken) => void }) {
  const t = useT();
  const now = Date.now();
  return (
    <div className="token-table-wrap">
      <table className="simple-table token-table">
        <thead>
          <tr>
            <th scope="col">{t("tokens.name")}</th>
            <th scope="col">{t("tokens.scopes")}</th>
            <th scope="col">{t("tokens.token")}</th>
            <th scope="col">{t("tokens.created")}</th>
            <th scope="col">{t("tokens.expires")}</th>
            <th scope="col">{t("tokens.lastUsed")}</th>
            <th scope="col">
              <span className="visually-hidden">{t("tokens.actions")}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {tokens.map((token) => {
            const expired = Date.parse(token.expires_at) <= now;
            return (
              <tr key={token.id}>
                <td>{token.name}</td>
                <td>
                  {token.scopes.map((scope) => (
                    <code key={scope} className="scope-code">
                      {scope}
                    </code>
                  ))}
                </td>
                <td>
                  <code className="token-prefix">{token.prefix}…</code>
                </td>
                <td>{t.date(token.created_at)}</td>
                <td>
                  {t.date(lastDay(token.expires_at))}
                  {expired && <span className="badge">{t("tokens.expired")}</span>}
                </td>
                <td>{token.last_used_at ? t.dateTime(token.last_used_at) : t("tokens.never")}</td>
                <td>
                  <button
                    type="button"
                    className="button small danger-ghost"
                    aria-label={t("tokens.revokeNamed", { name: token.name })}
                    onClick={() => onRevoke(token)}
                  >
                    {t("tokens.revoke")}
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function RevokeDialog({ token, onClose, onRevoked }: { token: PersonalToken; onClose: () => void; onRevoked: () => void }) {
  const t = useT();
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const revoke = async () => {
    setBusy(true);
    try {
      await request(`/me/tokens/${token.id}`, { method: "DELETE" });
      onRevoked();
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 404) onRevoked();  // gone already
      else setProblem(problemText(caught, t("error.saveFailedRecord")));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      title={t("tokens.revokeTitle", { name: token.name })}
      onClose={onClose}
      onSubmit={() => void revoke()}
      actions={
        <>
          <button type="submit" className="button danger" disabled={busy}>
            {t("tokens.revoke")}
          </button>
          <button type="button" className="button" onClick={onClose}>
            {t("tokens.cancel")}
          </button>
        </>
      }
    >
      <p>{t("tokens.revokeText")}</p>
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
    </Dialog>
  );
}
