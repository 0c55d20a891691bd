// Administration → Webhooks: addresses of other systems that get the CRM's events,
// signed with the webhook's secret (shown once, when it is made), and the delivery log:
// each event sent, every try with the answer received, and "Send again".
import { Fragment, useEffect, useId, useState } from "react";
import { get, ifMatch, request } from "../../core/api";
import { Link, navigate } from "../../core/router";
import { useT } from "../../i18n";
import { ICONS, Icon } from "../../shell/Icon";
import { CopyButton, Problem, useItems, useProblemText } from "./common";

interface Webhook {
  id: string;
  name: string;
  url: string;
  events: string[];
  is_active: boolean;
  deliveries: { pending: number; delivered: number; failed: number };
  secret?: string | null;
  version: number;
}

interface Attempt {
  attempt: number;
  at: string;
  by_hand: boolean;
  status_code: number | null;
  response: string | null;
  error: string | null;
}

interface Delivery {
  id: string;
  event_type: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  body: string;
  log: Attempt[];
}

export const EVENTS = [
  "lead_created", "lead_qualified", "lead_disqualified", "lead_converted", "account_created",
  "contact_created", "opportunity_created", "opportunity_won", "opportunity_lost",
  "activity_created", "order_placed",
];

export function Webhooks({ webhookId }: { webhookId?: string }) {
  const t = useT();
  const { items, failed, reload } = useItems<Webhook>("/webhooks");
  return (
    <>
      <section className="card" aria-labelledby="hooks-title">
        <div className="page-head">
          <h2 id="hooks-title" className="grow">
            {t("admin.webhooks")}
          </h2>
          {webhookId !== "new" && (
            <Link to="/admin/webhooks/new" className="button primary">
              <Icon path={ICONS.plus} size={16} />
              {t("hooks.new")}
            </Link>
          )}
        </div>
        <p className="muted small">{t("hooks.intro")}</p>
        {failed && <p className="form-error">{t("error.loadFailed")}</p>}
        {!items && !failed && <div className="loading" aria-busy="true" />}
        {items && items.length === 0 && <p className="muted empty-note">{t("hooks.none")}</p>}
        {items && items.length > 0 && (
          <ul className="plain-list">
            {items.map((hook) => (
              <li key={hook.id} className={hook.is_active ? "plain-row" : "plain-row admin-row-off"} data-webhook={hook.name}>
                <div className="grow">
                  <Link to={`/admin/webhooks/${hook.id}`} aria-current={hook.id === webhookId ? "page" : undefined}>
                    {hook.name}
                  </Link>
                  <span className="muted small">{hook.url}</span>
                </div>
                <span className="muted small">{t("hooks.counts", hook.deliveries)}</span>
                {!hook.is_active && <span className="badge">{t("hooks.off")}</span>}
              </li>
            ))}
          </ul>
        )}
      </section>
      {webhookId && <WebhookEditor key={webhookId} webhookId={webhookId} onSaved={reload} />}
    </>
  );
}

function WebhookEditor({ webhookId, onSaved }: { webhookId: string; onSaved: () => void }) {
  const t = useT();
  const id = useId();
  const explain = useProblemText();
  const isNew = webhookId === "new";
  const [hook, setHook] = useState<Webhook | null>(null);
  const [name, setName] = useState("");
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<string[]>(["lead_created"]);
  const [active, setActive] = useState(true);
  const [secret, setSecret] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const fill = (h: Webhook) => {
    setHook(h);
    setName(h.name);
    setUrl(h.url);
    setEvents(h.events);
    setActive(h.is_active);
  };

  useEffect(() => {
    if (isNew) return;
    get<Webhook>(`/webhooks/${encodeURIComponent(webhookId)}`).then(fill, (error) => setProblem(explain(error)));
  }, [webhookId]); // eslint-disable-line react-hooks/exhaustive-deps

  const save = async () => {
    setBusy(true);
    setProblem(null);
    setStatus(null);
    const body = { name: name.trim(), url: url.trim(), events, is_active: active };
    try {
      if (isNew) {
        const response = await request<Webhook>("/webhooks", { method: "POST", body });
        fill(response.data);
        setSecret(response.data.secret ?? null);
        onSaved();
      } else {
        const response = await request<Webhook>(`/webhooks/${encodeURIComponent(webhookId)}`, { method: "PATCH", body, headers: ifMatch(hook?.version) });
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
    if (!hook || !window.confirm(t("admin.confirmDelete", { name: hook.name }))) return;
    try {
      await request(`/webhooks/${encodeURIComponent(hook.id)}`, { method: "DELETE", headers: ifMatch(hook.version) });
      onSaved();
      navigate("/admin/webhooks", { replace: true });
    } catch (error) {
      setProblem(explain(error));
    }
  };

  const toggle = (event: string, on: boolean) =>
    setEvents((list) => (on ? [...list.filter((e) => e !== event), event] : list.filter((e) => e !== event)));

  if (!isNew && !hook && !problem) return <div className="loading" aria-busy="true" />;
  const creating = isNew && !hook;
  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <div className="page-head">
        <h2 id={`${id}-title`} className="grow">
          {creating ? t("hooks.new") : hook?.name}
        </h2>
        {status && (
          <span className="muted" role="status">
            {status}
          </span>
        )}
        {hook && (
          <button type="button" className="button danger-ghost small" onClick={() => void remove()}>
            <Icon path={ICONS.trash} size={16} />
            {t("action.delete")}
          </button>
        )}
      </div>
      <Problem text={problem} />
      {secret && (
        <div className="banner warning" role="status">
          <span>{t("hooks.secretOnce")}</span>
          <div className="inline-fields">
            <code data-secret>{secret}</code>
            <CopyButton text={secret} label={t("hooks.copySecret")} />
          </div>
        </div>
      )}
      <form
        className="admin-form"
        aria-label={creating ? t("hooks.new") : hook?.name}
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <div className="field-grid">
          <label className="field">
            <span className="field-label">{t("hooks.name")}</span>
            <input value={name} required maxLength={200} autoFocus={creating} onChange={(e) => setName(e.target.value)} />
          </label>
          <label className="field wide">
            <span className="field-label">{t("hooks.url")}</span>
            <input type="url" value={url} required maxLength={2000} placeholder="https://partner.example.com/osprey" onChange={(e) => setUrl(e.target.value)} />
          </label>
        </div>
        <fieldset className="plain-fieldset">
          <legend className="field-label">{t("hooks.events")}</legend>
          <div className="chips">
            {EVENTS.map((event) => (
              <label className="check" key={event}>
                <input type="checkbox" checked={events.includes(event)} onChange={(e) => toggle(event, e.target.checked)} />
                <code>{event}</code>
              </label>
            ))}
          </div>
        </fieldset>
        <label className="check">
          <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} />
          {t("hooks.active")}
        </label>
        <div className="dialog-actions">
          <Link to="/admin/webhooks" className="button ghost">
            {t("action.cancel")}
          </Link>
          <button type="submit" className="button primary" disabled={busy || !name.trim() || !url.trim() || events.length === 0}>
            {creating ? t("action.create") : t("action.save")}
          </button>
        </div>
      </form>
      {hook && <DeliveryLog webhookId={hook.id} onChanged={onSaved} />}
    </section>
  );
}

function answerOf(t: ReturnType<typeof useT>, a: { status_code: number | null; error: string | null }): string {
  return a.status_code != null ? `HTTP ${a.status_code}` : a.error || t("hooks.noAnswer");
}

function DeliveryLog({ webhookId, onChanged }: { webhookId: string; onChanged: () => void }) {
  const t = useT();
  const explain = useProblemText();
  const { items, failed, reload } = useItems<Delivery>(`/webhooks/${encodeURIComponent(webhookId)}/deliveries?limit=100`);
  const [open, setOpen] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const resend = async (delivery: Delivery) => {
    setProblem(null);
    setNote(null);
    try {
      const response = await request<Delivery>(
        `/webhooks/${encodeURIComponent(webhookId)}/deliveries/${encodeURIComponent(delivery.id)}/resend`,
        { method: "POST" },
      );
      const last = response.data.log[response.data.log.length - 1];
      setNote(t("hooks.resent", { answer: last ? answerOf(t, last) : t("hooks.noAnswer") }));
      setOpen(delivery.id);
      reload();
      onChanged();
    } catch (error) {
      setProblem(explain(error));
    }
  };

  return (
    <div className="webhook-log">
      <div className="page-head">
        <h3 className="subhead grow">{t("hooks.deliveries")}</h3>
        <button
          type="button"
          className="button small ghost"
          onClick={() => {
            reload();
            onChanged();
          }}
        >
          {t("hooks.refresh")}
        </button>
      </div>
      <Problem text={problem} />
      {note && (
        <p className="muted" role="status" data-resent>
          {note}
        </p>
      )}
      {failed && <p className="form-error">{t("error.loadFailed")}</p>}
      {items && items.length === 0 && <p className="muted empty-note">{t("hooks.deliveriesNone")}</p>}
      {items && items.length > 0 && (
        <table className="simple-table" aria-label={t("hooks.deliveries")}>
          <thead>
            <tr>
              <th scope="col">{t("hooks.created")}</th>
              <th scope="col">{t("hooks.event")}</th>
              <th scope="col">{t("hooks.status")}</th>
              <th scope="col">{t("hooks.tries")}</th>
              <th scope="col">{t("hooks.answer")}</th>
              <th scope="col">
                <span className="visually-hidden">{t("hooks.resend")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <Fragment key={d.id}>
                <tr data-delivery={d.event_type} data-status={d.status}>
                  <td>
                    <button type="button" className="link-button" aria-expanded={open === d.id} onClick={() => setOpen(open === d.id ? null : d.id)}>
                      {t.dateTime(d.created_at)}
                    </button>
                  </td>
                  <td>
                    <code>{d.event_type}</code>
                  </td>
                  <td>
                    <span className={d.status === "failed" ? "badge danger" : d.status === "delivered" ? "badge accent" : "badge"}>{t(`hooks.status.${d.status}`)}</span>
                    {d.next_attempt_at && <span className="muted small"> {t("hooks.nextTry", { when: t.dateTime(d.next_attempt_at) })}</span>}
                  </td>
                  <td>{d.attempts}</td>
                  <td>{d.attempts ? answerOf(t, { status_code: d.last_status_code, error: d.last_status_code == null ? d.last_error : null }) : ""}</td>
                  <td>
                    <button type="button" className="button small" onClick={() => void resend(d)}>
                      {t("hooks.resend")}
                    </button>
                  </td>
                </tr>
                {open === d.id && (
                  <tr className="webhook-attempts">
                    <td colSpan={6}>
                      <ol className="plain-list" aria-label={t("hooks.tries")}>
                        {d.log.map((a) => (
                          <li key={a.attempt} data-attempt={a.attempt}>
                            <strong>{t("hooks.attempt", { n: a.attempt })}</strong> {t.dateTime(a.at)}
                            {a.by_hand && <span className="badge">{t("hooks.byHand")}</span>} — {answerOf(t, a)}
                            {a.response && <pre className="small">{a.response}</pre>}
                          </li>
                        ))}
                      </ol>
                      <details>
                        <summary>{t("hooks.body")}</summary>
                        <pre className="small">{d.body}</pre>
                      </details>
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
