// Web forms (administrators): a form on a website creates leads. Each has the origins
// allowed to post, the source and channel its leads get, who owns them, a rate limit,
// and the HTML snippet to paste into the site.
import { useEffect, useId, useState } from "react";
import { get, ifMatch, request } from "../../core/api";
import { useWholeList } from "../../core/lookup";
import { Link, navigate } from "../../core/router";
import { useT } from "../../i18n";
import { ICONS, Icon } from "../../shell/Icon";
import { LookupPicker } from "../../views/LookupPicker";
import { useLookup } from "../../core/lookups";
import { CopyButton, Problem, useItems, useProblemText } from "./common";

interface WebForm {
  id: string;
  name: string;
  is_active: boolean;
  allowed_origins: string[];
  source: string | null;
  channel: string | null;
  team_id: string | null;
  owner_id: string | null;
  honeypot_field: string;
  rate_limit_per_minute: number;
  redirect_url: string | null;
  submissions: number;
  version: number;
  submit_url: string;
  embed_html: string;
}

/** One origin a line (or separated by commas/spaces), without trailing slashes. */
export function parseOrigins(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim().replace(/\/+$/, ""))
    .filter(Boolean);
}

export function WebForms({ formId }: { formId?: string }) {
  const t = useT();
  const { items, failed, reload } = useItems<WebForm>("/web-forms");
  return (
    <>
      <section className="card" aria-labelledby="forms-title">
        <div className="page-head">
          <h2 id="forms-title" className="grow">
            {t("admin.webForms")}
          </h2>
          {formId !== "new" && (
            <Link to="/admin/web-forms/new" className="button primary">
              <Icon path={ICONS.plus} size={16} />
              {t("forms.new")}
            </Link>
          )}
        </div>
        <p className="muted small">{t("forms.intro")}</p>
        {failed && <p className="form-error">{t("error.loadFailed")}</p>}
        {!items && !failed && <div className="loading" aria-busy="true" />}
        {items && items.length === 0 && <p className="muted empty-note">{t("forms.none")}</p>}
        {items && items.length > 0 && (
          <ul className="plain-list">
            {items.map((form) => (
              <li key={form.id} className={form.is_active ? "plain-row" : "plain-row admin-row-off"} data-form={form.name}>
                <div className="grow">
                  <Link to={`/admin/web-forms/${form.id}`} aria-current={form.id === formId ? "page" : undefined}>
                    {form.name}
                  </Link>
                  <span className="muted small">{form.allowed_origins.join(", ") || t("forms.anyOrigin")}</span>
                </div>
                <span className="muted small">{t.plural("forms.submissions", form.submissions)}</span>
                {!form.is_active && <span className="badge">{t("forms.off")}</span>}
              </li>
            ))}
          </ul>
        )}
      </section>
      {formId && <WebFormEditor key={formId} formId={formId} onSaved={reload} />}
    </>
  );
}

function WebFormEditor({ formId, onSaved }: { formId: string; onSaved: () => void }) {
  const t = useT();
  const id = useId();
  const explain = useProblemText();
  const isNew = formId === "new";
  const sources = useLookup("lead-sources");
  const channels = useLookup("lead-channels");
  const teams = useWholeList("teams");
  const [form, setForm] = useState<WebForm | null>(null);
  const [name, setName] = useState("");
  const [origins, setOrigins] = useState("");
  const [source, setSource] = useState("");
  const [channel, setChannel] = useState("");
  const [ownerId, setOwnerId] = useState<string | null>(null);
  const [teamId, setTeamId] = useState("");
  const [rate, setRate] = useState("10");
  const [redirect, setRedirect] = useState("");
  const [active, setActive] = useState(true);
  const [problem, setProblem] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const fill = (f: WebForm) => {
    setForm(f);
    setName(f.name);
    setOrigins(f.allowed_origins.join("\n"));
    setSource(f.source ?? "");
    setChannel(f.channel ?? "");
    setOwnerId(f.owner_id);
    setTeamId(f.team_id ?? "");
    setRate(String(f.rate_limit_per_minute));
    setRedirect(f.redirect_url ?? "");
    setActive(f.is_active);
  };

  useEffect(() => {
    if (isNew) return;
    get<WebForm>(`/web-forms/${encodeURIComponent(formId)}`).then(fill, (error) => setProblem(explain(error)));
  }, [formId]); // eslint-disable-line react-hooks/exhaustive-deps

  const save = async () => {
    setBusy(true);
    setProblem(null);
    setStatus(null);
    const body: Record<string, unknown> = {
      name: name.trim(),
      allowed_origins: parseOrigins(origins),
      source: source || null,
      channel: channel || null,
      owner_id: ownerId,
      team_id: teamId || null,
      rate_limit_per_minute: Number(rate) || 10,
      redirect_url: redirect.trim() || null,
      is_active: active,
    };
    try {
      if (isNew) {
        const response = await request<WebForm>("/web-forms", { method: "POST", body });
        onSaved();
        navigate(`/admin/web-forms/${response.data.id}`, { replace: true });
      } else {
        const response = await request<WebForm>(`/web-forms/${encodeURIComponent(formId)}`, { method: "PATCH", body, headers: ifMatch(form?.version) });
        fill(response.data);
        setStatus(t("record.saved"));
        onSaved();
      }
    } catch (error) {
      setProblem(explain(error));
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (!form || !window.confirm(t("admin.confirmDelete", { name: form.name }))) return;
    try {
      await request(`/web-forms/${encodeURIComponent(form.id)}`, { method: "DELETE", headers: ifMatch(form.version) });
      onSaved();
      navigate("/admin/web-forms", { replace: true });
    } catch (error) {
      setProblem(explain(error));
    }
  };

  if (!isNew && !form && !problem) return <div className="loading" aria-busy="true" />;
  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <div className="page-head">
        <h2 id={`${id}-title`} className="grow">
          {isNew ? t("forms.new") : form?.name}
        </h2>
        {status && (
          <span className="muted" role="status">
            {status}
          </span>
        )}
        {form && (
          <button type="button" className="button danger-ghost small" onClick={() => void remove()}>
            <Icon path={ICONS.trash} size={16} />
            {t("action.delete")}
          </button>
        )}
      </div>
      <Problem text={problem} />
      {form && (
        <div className="embed">
          <h3 className="subhead">{t("forms.snippet")}</h3>
          <p className="muted small">{t("forms.snippetHint")}</p>
          <div className="snippet">
            <pre aria-label={t("forms.snippet")} data-snippet>
              {form.embed_html}
            </pre>
            <CopyButton text={form.embed_html} label={t("forms.copy")} />
          </div>
          <div className="inline-fields submit-url">
            <span className="muted small">{t("forms.submitUrl")}</span>
            <code data-submit-url>{form.submit_url}</code>
            <CopyButton text={form.submit_url} label={t("forms.copyUrl")} />
          </div>
        </div>
      )}
      <form
        className="admin-form"
        aria-label={isNew ? t("forms.new") : t("forms.settings")}
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <div className="field-grid">
          <label className="field">
            <span className="field-label">{t("forms.name")}</span>
            <input value={name} required maxLength={200} autoFocus={isNew} onChange={(e) => setName(e.target.value)} />
          </label>
          <label className="field">
            <span className="field-label">{t("forms.rate")}</span>
            <input type="number" min={1} max={10000} value={rate} onChange={(e) => setRate(e.target.value)} />
          </label>
          <label className="field wide">
            <span className="field-label">{t("forms.origins")}</span>
            <textarea rows={3} value={origins} placeholder="https://www.example.com" onChange={(e) => setOrigins(e.target.value)} />
            <span className="hint">{t("forms.originsHint")}</span>
          </label>
          <label className="field">
            <span className="field-label">{t("entity.leads.field.source")}</span>
            <select value={source} onChange={(e) => setSource(e.target.value)}>
              <option value="">{t("field.none")}</option>
              {(sources ?? []).filter((s) => s.is_active || s.code === source).map((s) => (
                <option key={s.id} value={s.code}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="field-label">{t("entity.leads.field.channel")}</span>
            <select value={channel} onChange={(e) => setChannel(e.target.value)}>
              <option value="">{t("field.none")}</option>
              {(channels ?? []).filter((c) => c.is_active || c.code === channel).map((c) => (
                <option key={c.id} value={c.code}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
          <div className="field">
            <label className="field-label" htmlFor={`${id}-owner`}>
              {t("entity.leads.field.owner_id")}
            </label>
            <LookupPicker id={`${id}-owner`} lookup="users" value={ownerId} placeholder={t("forms.ownerNone")} onChange={(value) => setOwnerId(value)} />
          </div>
          <label className="field">
            <span className="field-label">{t("entity.leads.field.team_id")}</span>
            <select value={teamId} onChange={(e) => setTeamId(e.target.value)}>
              <option value="">{t("field.none")}</option>
              {teams.map((team) => (
                <option key={team.id} value={team.id}>
                  {team.name}
                </option>
              ))}
            </select>
          </label>
          <label className="field wide">
            <span className="field-label">{t("forms.redirect")}</span>
            <input type="url" value={redirect} maxLength={2000} placeholder="https://www.example.com/thanks" onChange={(e) => setRedirect(e.target.value)} />
          </label>
        </div>
        <label className="check">
          <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} />
          {t("forms.active")}
        </label>
        <div className="dialog-actions">
          <Link to="/admin/web-forms" className="button ghost">
            {t("action.cancel")}
          </Link>
          <button type="submit" className="button primary" disabled={busy || !name.trim()}>
            {isNew ? t("action.create") : t("action.save")}
          </button>
        </div>
      </form>
    </section>
  );
}
