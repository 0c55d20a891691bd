// Administration → Social channels: Facebook Lead Ads, a Telegram bot and VK lead forms
// that make leads. Each has its platform's settings, its secrets (write-only: the page
// says which are set, never their values), the address to give the platform, its
// health and the log of the requests it got (refused ones with the reason).
import { useEffect, useId, useState } from "react";
import { get, ifMatch, request } from "../../core/api";
import { useLookup } from "../../core/lookups";
import { Link, navigate } from "../../core/router";
import { useT } from "../../i18n";
import { ICONS, Icon } from "../../shell/Icon";
import { CopyButton, Problem, useItems, useProblemText } from "./common";

type Kind = "facebook" | "telegram" | "vk";

interface Health {
  last_synced_at: string | null;
  last_error: string | null;
  counts: Record<string, number>;
}

interface Channel {
  id: string;
  kind: Kind;
  name: string;
  is_active: boolean;
  source?: string;
  secrets_set: string[];
  hook_path: string;
  health: Health;
  version: number;
  [setting: string]: unknown;
}

interface LogEntry {
  id: string;
  outcome: string;
  detail: string | null;
  client_ip: string | null;
  received_at: string;
}

const KINDS: Kind[] = ["facebook", "telegram", "vk"];
export const SETTINGS: Record<Kind, string[]> = {
  facebook: ["page_id", "graph_url"],
  telegram: ["bot_username"],
  vk: ["group_id", "confirmation"],
};
export const SECRETS: Record<Kind, string[]> = {
  facebook: ["app_secret", "verify_token", "page_access_token"],
  telegram: ["secret_token"],
  vk: ["secret"],
};
const REFUSED = ["unsigned", "forged", "replayed"];

export function hookUrl(path: string): string {
  return `${window.location.origin}${path}`;
}

export function SocialChannels({ channelId }: { channelId?: string }) {
  const t = useT();
  const { items, failed, reload } = useItems<Channel>("/social-channels");
  return (
    <>
      <section className="card" aria-labelledby="social-title">
        <div className="page-head">
          <h2 id="social-title" className="grow">
            {t("admin.socialChannels")}
          </h2>
          {channelId !== "new" && (
            <Link to="/admin/social-channels/new" className="button primary">
              <Icon path={ICONS.plus} size={16} />
              {t("social.new")}
            </Link>
          )}
        </div>
        <p className="muted small">{t("social.intro")}</p>
        {failed && <p className="form-error">{t("error.loadFailed")}</p>}
        {!items && !failed && <div className="loading" aria-busy="true" />}
        {items && items.length === 0 && <p className="muted empty-note">{t("social.none")}</p>}
        {items && items.length > 0 && (
          <ul className="plain-list">
            {items.map((channel) => {
              const counts = channel.health.counts ?? {};
              const refused = REFUSED.reduce((sum, key) => sum + (counts[key] ?? 0), 0);
              return (
                <li key={channel.id} className={channel.is_active ? "plain-row" : "plain-row admin-row-off"} data-channel={channel.name}>
                  <div className="grow">
                    <Link to={`/admin/social-channels/${channel.id}`} aria-current={channel.id === channelId ? "page" : undefined}>
                      {channel.name}
                    </Link>
                    <span className="muted small">{t(`social.kind.${channel.kind}`)}</span>
                  </div>
                  <span className="muted small" data-counts>
                    {t("social.leads")}: {counts.leads ?? 0} · {t("social.refused")}: {refused}
                  </span>
                  {!channel.is_active && <span className="badge">{t("social.off")}</span>}
                </li>
              );
            })}
          </ul>
        )}
      </section>
      {channelId && <ChannelEditor key={channelId} channelId={channelId} onSaved={reload} />}
    </>
  );
}

function ChannelEditor({ channelId, onSaved }: { channelId: string; onSaved: () => void }) {
  const t = useT();
  const id = useId();
  const explain = useProblemText();
  const isNew = channelId === "new";
  const sources = useLookup("lead-sources");
  const [channel, setChannel] = useState<Channel | null>(null);
  const [kind, setKind] = useState<Kind>("facebook");
  const [name, setName] = useState("");
  const [active, setActive] = useState(true);
  const [values, setValues] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [logVersion, setLogVersion] = useState(0);

  const fill = (c: Channel) => {
    setChannel(c);
    setKind(c.kind);
    setName(c.name);
    setActive(c.is_active);
    const next: Record<string, string> = { source: String(c.source ?? ""), language: String(c.language ?? "en") };
    for (const field of SETTINGS[c.kind]) next[field] = String(c[field] ?? "");
    setValues(next);
  };

  useEffect(() => {
    if (isNew) return;
    get<Channel>(`/social-channels/${encodeURIComponent(channelId)}`).then(fill, (error) => setProblem(explain(error)));
  }, [channelId]); // eslint-disable-line react-hooks/exhaustive-deps

  const set = (field: string, value: string) => setValues((v) => ({ ...v, [field]: value }));

  const save = async () => {
    setBusy(true);
    setProblem(null);
    setStatus(null);
    const body: Record<string, unknown> = { name: name.trim(), is_active: active };
    if (isNew) body.kind = kind;
    for (const field of SETTINGS[kind]) body[field] = values[field]?.trim() || null;
    if (kind === "telegram") body.language = values.language || "en";
    body.source = values.source || null;
    for (const field of SECRETS[kind]) if (values[field]) body[field] = values[field];
    try {
      if (isNew) {
        const response = await request<Channel>("/social-channels", { method: "POST", body });
        onSaved();
        navigate(`/admin/social-channels/${response.data.id}`, { replace: true });
      } else {
        const response = await request<Channel>(`/social-channels/${encodeURIComponent(channelId)}`, {
          method: "PATCH",
          body,
          headers: ifMatch(channel?.version),
        });
        fill(response.data);
        setStatus(t("record.saved"));
        setLogVersion((n) => n + 1);
        onSaved();
      }
    } catch (error) {
      setProblem(explain(error));
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (!channel || !window.confirm(t("admin.confirmDelete", { name: channel.name }))) return;
    try {
      await request(`/social-channels/${encodeURIComponent(channel.id)}`, { method: "DELETE", headers: ifMatch(channel.version) });
      onSaved();
      navigate("/admin/social-channels", { replace: true });
    } catch (error) {
      setProblem(explain(error));
    }
  };

  if (!isNew && !channel && !problem) return <div className="loading" aria-busy="true" />;
  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <div className="page-head">
        <h2 id={`${id}-title`} className="grow">
          {isNew ? t("social.new") : channel?.name}
        </h2>
        {status && (
          <span className="muted" role="status">
            {status}
          </span>
        )}
        {channel && (
          <button type="button" className="button danger-ghost small" onClick={() => void remove()}>
            <Icon path={ICONS.trash} size={16} />
            {t("action.delete")}
          </button>
        )}
      </div>
      <Problem text={problem} />
      {channel && (
        <div className="inline-fields submit-url">
          <span className="muted small">{t("social.hookUrl")}</span>
          <code data-hook-url>{hookUrl(channel.hook_path)}</code>
          <CopyButton text={hookUrl(channel.hook_path)} label={t("social.copyUrl")} />
        </div>
      )}
      {channel?.health.last_error && (
        <p className="banner warning" data-last-error>
          {t("social.lastError", { error: channel.health.last_error })}
        </p>
      )}
      <form
        className="admin-form"
        aria-label={isNew ? t("social.new") : channel?.name}
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <div className="field-grid">
          <label className="field">
            <span className="field-label">{t("social.kind")}</span>
            <select value={kind} disabled={!isNew} onChange={(e) => setKind(e.target.value as Kind)}>
              {KINDS.map((k) => (
                <option key={k} value={k}>
                  {t(`social.kind.${k}`)}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="field-label">{t("social.name")}</span>
            <input value={name} required maxLength={300} autoFocus={isNew} onChange={(e) => setName(e.target.value)} />
          </label>
          {SETTINGS[kind].map((field) => (
            <label className="field" key={field}>
              <span className="field-label">{t(`social.field.${field}`)}</span>
              <input
                name={field}
                value={values[field] ?? ""}
                maxLength={2000}
                required={isNew && kind === "vk" && field === "confirmation"}
                placeholder={field === "graph_url" ? "https://graph.facebook.com/v19.0" : undefined}
                onChange={(e) => set(field, e.target.value)}
              />
            </label>
          ))}
          {kind === "telegram" && (
            <label className="field">
              <span className="field-label">{t("social.field.language")}</span>
              <select value={values.language ?? "en"} onChange={(e) => set("language", e.target.value)}>
                <option value="en">{t("social.language.en")}</option>
                <option value="ru">{t("social.language.ru")}</option>
              </select>
            </label>
          )}
          <label className="field">
            <span className="field-label">{t("social.field.source")}</span>
            <select value={values.source ?? ""} onChange={(e) => set("source", e.target.value)}>
              <option value="">{t("field.none")}</option>
              {(sources ?? []).filter((s) => s.is_active || s.code === values.source).map((s) => (
                <option key={s.id} value={s.code}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
          {SECRETS[kind].map((field) => (
            <label className="field" key={field}>
              <span className="field-label">{t(`social.field.${field}`)}</span>
              <input
                type="password"
                name={field}
                autoComplete="new-password"
                value={values[field] ?? ""}
                required={isNew}
                maxLength={1000}
                placeholder={channel?.secrets_set.includes(field) ? t("social.secretKept") : ""}
                onChange={(e) => set(field, e.target.value)}
              />
              <span className="hint">{t("social.secretHint")}</span>
            </label>
          ))}
        </div>
        <label className="check">
          <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} />
          {t("social.active")}
        </label>
        <div className="dialog-actions">
          <Link to="/admin/social-channels" className="button ghost">
            {t("action.cancel")}
          </Link>
          <button type="submit" className="button primary" disabled={busy || !name.trim()}>
            {isNew ? t("action.create") : t("action.save")}
          </button>
        </div>
      </form>
      {channel && <ChannelLog channelId={channel.id} refresh={logVersion} />}
    </section>
  );
}

function ChannelLog({ channelId, refresh }: { channelId: string; refresh: number }) {
  const t = useT();
  const { items, failed, reload } = useItems<LogEntry>(`/social-channels/${encodeURIComponent(channelId)}/log?limit=100`);
  useEffect(() => {
    if (refresh) reload();
  }, [refresh]); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <div className="social-log">
      <h3 className="subhead">{t("social.log")}</h3>
      {failed && <p className="form-error">{t("error.loadFailed")}</p>}
      {items && items.length === 0 && <p className="muted empty-note">{t("social.logNone")}</p>}
      {items && items.length > 0 && (
        <table className="simple-table" aria-label={t("social.log")}>
          <thead>
            <tr>
              <th scope="col">{t("social.when")}</th>
              <th scope="col">{t("social.outcome")}</th>
              <th scope="col">{t("social.detail")}</th>
              <th scope="col">{t("social.from")}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((entry) => (
              <tr key={entry.id} data-outcome={entry.outcome}>
                <td>{t.dateTime(entry.received_at)}</td>
                <td>
                  <span className={REFUSED.includes(entry.outcome) ? "badge danger" : "badge"}>
                    {t.has(`social.outcome.${entry.outcome}`) ? t(`social.outcome.${entry.outcome}`) : entry.outcome}
                  </span>
                </td>
                <td>{entry.detail}</td>
                <td className="muted small">{entry.client_ip}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
