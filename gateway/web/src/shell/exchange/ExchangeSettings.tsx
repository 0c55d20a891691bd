// Settings → Exchange (/settings/exchange): connect an Exchange mailbox with a password or
// an OAuth2 token, at a fixed EWS address or found by autodiscover; "Test connection"
// says in words what is wrong and lists the contact folders to choose; mail, contacts,
// meetings and tasks each switch on or off; every connection's health, conflicts and
// "Sync now". The password and token are write-only.
import { useCallback, useEffect, useId, useState } from "react";
import { ApiError } from "../../core/api";
import { useSession } from "../../core/session";
import { addMessages, useT } from "../../i18n";
import { isAdmin } from "../../sections/leads/process";
import { problemText } from "../../views/Dialog";
import {
  conflicts as listConflicts,
  createConnection,
  disconnect,
  folders as listFolders,
  listConnections,
  syncNow,
  testConnection,
  updateConnection,
  type ExchangeConflict,
  type ExchangeConnection,
  type ExchangeFolder,
  type ExchangeTest,
} from "./api";
import ContactPicker from "../sync/ContactPicker";
import "./exchange.css";
import messages from "./messages";

addMessages(messages);

const VISIBILITY = ["all", "headers", "none"];
// "chosen": the contacts picked below the choice
const EXPORTS = ["none", "all", "mine", "chosen"];
const DELETIONS = ["keep", "mirror"];
const COUNTS = [
  "messages",
  "contacts_in",
  "contacts_out",
  "meetings_in",
  "meetings_out",
  "tasks_in",
  "tasks_out",
  "deleted",
  "conflicts",
  "throttled",
];

export default function ExchangeSettings() {
  const t = useT();
  const [connections, setConnections] = useState<ExchangeConnection[] | null>(null);
  const [failed, setFailed] = useState(false);
  const [editing, setEditing] = useState<ExchangeConnection | "new" | null>(null);
  const reload = useCallback(() => {
    listConnections().then(
      (items) => {
        setConnections(items);
        setFailed(false);
      },
      (error) => !(error instanceof ApiError && error.status === 401) && setFailed(true),
    );
  }, []);
  useEffect(reload, [reload]);
  // while a connection syncs or is due (just asked to "Sync now") its health moves: look
  // again every few seconds
  useEffect(() => {
    const moving = (c: ExchangeConnection) =>
      c.health.syncing ||
      (c.state === "active" &&
        (!c.health.last_synced_at || (c.health.next_sync_at !== null && Date.parse(c.health.next_sync_at) <= Date.now())));
    if (!connections?.some(moving)) return;
    const timer = window.setInterval(reload, 3000);
    return () => window.clearInterval(timer);
  }, [connections, reload]);

  return (
    <div className="page narrow exchange-settings">
      <header className="page-head">
        <h1 className="grow">{t("exchange.title")}</h1>
        {editing === null && (
          <button type="button" className="button primary" onClick={() => setEditing("new")}>
            {t("exchange.connect")}
          </button>
        )}
      </header>
      <p className="muted">{t("exchange.intro")}</p>
      {failed && <p className="form-error">{t("error.loadFailed")}</p>}
      {editing !== null && (
        <ConnectionForm
          connection={editing === "new" ? null : editing}
          onCancel={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            reload();
          }}
        />
      )}
      {!connections && !failed && <div className="loading" aria-busy="true" />}
      {connections && connections.length === 0 && editing === null && (
        <p className="empty-note muted">{t("exchange.noConnections")}</p>
      )}
      <div className="exchange-cards">
        {(connections ?? [])
          .filter((c) => editing === null || editing === "new" || c.id !== editing.id)
          .map((connection) => (
            <ConnectionCard key={connection.id} connection={connection} onEdit={() => setEditing(connection)} onChanged={reload} />
          ))}
      </div>
    </div>
  );
}

function show(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  return Array.isArray(value) ? value.join(", ") : String(value);
}

function ConnectionCard({
  connection,
  onEdit,
  onChanged,
}: {
  connection: ExchangeConnection;
  onEdit: () => void;
  onChanged: () => void;
}) {
  const t = useT();
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [recent, setRecent] = useState<ExchangeConflict[]>([]);
  const health = connection.health;
  useEffect(() => {
    if (!health.counts.conflicts) return;
    listConflicts(connection.id).then((items) => setRecent(items.slice(0, 5)), () => setRecent([]));
  }, [connection.id, health.counts.conflicts]);
  const act = async (what: () => Promise<unknown>) => {
    setBusy(true);
    setProblem(null);
    try {
      await what();
      onChanged();
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setProblem(problemText(error, t("error.saveFailedRecord")));
    } finally {
      setBusy(false);
    }
  };
  return (
    <article className="card exchange-card" aria-label={connection.email ?? connection.id} data-connection={connection.id}>
      <div className="exchange-card-head">
        <h2>{connection.email}</h2>
        <span className={health.state === "active" ? "badge accent" : "badge danger"} data-health="state">
          {t(`exchange.state.${health.state}`)}
        </span>
        {connection.is_shared && <span className="badge">{t("exchange.shared")}</span>}
        <span className="grow" />
        <button type="button" className="button small" disabled={busy} onClick={() => void act(() => syncNow(connection.id))}>
          {t("exchange.syncNow")}
        </button>
        <button type="button" className="button small" onClick={onEdit}>
          {t("exchange.edit")}
        </button>
        {confirming ? (
          <span className="inline-confirm">
            {t("exchange.confirmDisconnect")}
            <button type="button" className="button small danger" disabled={busy} onClick={() => void act(() => disconnect(connection))}>
              {t("exchange.disconnect")}
            </button>
            <button type="button" className="button small ghost" onClick={() => setConfirming(false)}>
              {t("action.cancel")}
            </button>
          </span>
        ) : (
          <button type="button" className="button small ghost" onClick={() => setConfirming(true)}>
            {t("exchange.disconnect")}
          </button>
        )}
      </div>
      {problem && (
        <p className="banner danger" role="alert">
          {problem}
        </p>
      )}
      <dl className="exchange-health" aria-label={t("exchange.health")}>
        <div>
          <dt>{t("exchange.lastSync")}</dt>
          <dd data-health="last-sync">
            {health.syncing ? t("exchange.syncing") : health.last_synced_at ? t.dateTime(health.last_synced_at) : t("exchange.neverSynced")}
          </dd>
        </div>
        <div>
          <dt>{t("exchange.serverUsed")}</dt>
          <dd>{connection.ews_url ?? connection.discovered_ews_url ?? "—"}</dd>
        </div>
        <div>
          <dt>{t("exchange.auth")}</dt>
          <dd>{t(`exchange.auth.${connection.auth ?? "basic"}`)}</dd>
        </div>
        {COUNTS.filter((key) => health.counts[key]).map((key) => (
          <div key={key}>
            <dt>{t(`exchange.count.${key}`)}</dt>
            <dd data-count={key}>{t.number(health.counts[key])}</dd>
          </div>
        ))}
        {health.next_sync_at && (
          <div>
            <dt>{t("exchange.nextSync")}</dt>
            <dd>{t.dateTime(health.next_sync_at)}</dd>
          </div>
        )}
      </dl>
      {health.last_error && (
        <p className="banner warning" role="status" data-health="last-error">
          {t("exchange.lastError", { when: health.last_error_at ? t.dateTime(health.last_error_at) : "" })} {health.last_error}
        </p>
      )}
      {recent.length > 0 && (
        <>
          <p className="muted small">{t("exchange.conflicts")}</p>
          <ul className="exchange-conflicts">
            {recent.map((c, i) => (
              <li key={`${c.at}-${i}`}>
                {t("exchange.conflict", {
                  field: c.field,
                  winner: t(`exchange.winner.${c.winner}`),
                  crm: show(c.crm_value),
                  remote: show(c.remote_value),
                })}
              </li>
            ))}
          </ul>
        </>
      )}
    </article>
  );
}

function ConnectionForm({
  connection,
  onCancel,
  onSaved,
}: {
  connection: ExchangeConnection | null;
  onCancel: () => void;
  onSaved: () => void;
}) {
  const t = useT();
  const id = useId();
  const { user } = useSession();
  const admin = isAdmin(user);
  const [email, setEmail] = useState(connection?.email ?? "");
  const [login, setLogin] = useState(connection?.login && connection.login !== connection.email ? connection.login : "");
  const [auth, setAuth] = useState(connection?.auth ?? "basic");
  const [secret, setSecret] = useState("");
  const [discover, setDiscover] = useState(connection ? !connection.ews_url : false);
  const [ewsUrl, setEwsUrl] = useState(connection?.ews_url ?? "");
  const [autodiscoverUrl, setAutodiscoverUrl] = useState(connection?.autodiscover_url ?? "");
  const [syncMail, setSyncMail] = useState(connection?.sync_mail ?? true);
  const [visibility, setVisibility] = useState(connection?.visibility ?? "headers");
  const [importContacts, setImportContacts] = useState(connection?.import_contacts ?? true);
  const [contactFolders, setContactFolders] = useState<string[]>(connection?.contact_folders ?? ["contacts"]);
  const [serverFolders, setServerFolders] = useState<ExchangeFolder[] | null>(null);
  const [exportContacts, setExportContacts] = useState(connection?.export_contacts ?? "mine");
  const [exportIds, setExportIds] = useState<string[]>(connection?.export_contact_ids ?? []);
  const [syncCalendar, setSyncCalendar] = useState(connection?.sync_calendar ?? true);
  const [syncTasks, setSyncTasks] = useState(connection?.sync_tasks ?? true);
  const [deletions, setDeletions] = useState(connection?.deletions ?? "keep");
  const [pastDays, setPastDays] = useState(String(connection?.past_days ?? 30));
  const [futureDays, setFutureDays] = useState(String(connection?.future_days ?? 180));
  const [shared, setShared] = useState(connection?.is_shared ?? false);
  const [test, setTest] = useState<ExchangeTest | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!connection) return;
    listFolders(connection.id).then(setServerFolders, () => setServerFolders(null));
  }, [connection]);

  const server = (): Record<string, unknown> => {
    const body: Record<string, unknown> = { email: email.trim(), auth };
    body.login = login.trim() || null;
    if (secret) body[auth === "oauth2" ? "access_token" : "password"] = secret;
    body.ews_url = discover ? null : ewsUrl.trim() || null;
    body.autodiscover_url = discover ? autodiscoverUrl.trim() || null : null;
    return body;
  };
  const settings = (): Record<string, unknown> => {
    const body: Record<string, unknown> = {
      ...server(),
      sync_mail: syncMail,
      visibility,
      import_contacts: importContacts,
      contact_folders: contactFolders,
      export_contacts: exportContacts,
      export_contact_ids: exportIds,
      sync_calendar: syncCalendar,
      sync_tasks: syncTasks,
      deletions,
      past_days: Number(pastDays),
      future_days: Number(futureDays),
    };
    if (admin) body.is_shared = shared;
    return body;
  };

  const fail = (error: unknown) => {
    if (error instanceof ApiError && error.status === 401) return;
    if (error instanceof ApiError) {
      setFieldErrors(Object.fromEntries(error.errors.map((e) => [e.field, e.message])));
      if (error.status === 409) setProblem(t("record.conflict"));
      else if (!error.errors.length) setProblem(error.message);
      else setProblem(problemText(error, t("error.saveFailedRecord")));
    } else setProblem(problemText(error, t("error.saveFailedRecord")));
  };

  const runTest = async () => {
    setBusy(true);
    setProblem(null);
    setFieldErrors({});
    setTest(null);
    try {
      const result = await testConnection(server());
      setTest(result);
      if (result.ok) setServerFolders(result.contact_folders);
    } catch (error) {
      fail(error);
    } finally {
      setBusy(false);
    }
  };

  const save = async () => {
    setBusy(true);
    setProblem(null);
    setFieldErrors({});
    try {
      if (connection) await updateConnection(connection, settings());
      else await createConnection(settings());
      onSaved();
    } catch (error) {
      fail(error);
    } finally {
      setBusy(false);
    }
  };

  const fieldError = (name: string) =>
    fieldErrors[name] ? (
      <span className="field-error" id={`${id}-${name}-error`}>
        {fieldErrors[name]}
      </span>
    ) : null;
  const check = (label: string, value: boolean, set: (v: boolean) => void) => (
    <label className="check">
      <input type="checkbox" checked={value} onChange={(e) => set(e.target.checked)} />
      {t(label)}
    </label>
  );
  const select = (label: string, value: string, set: (v: string) => void, options: string[], prefix: string) => (
    <label className="field">
      <span className="field-label">{t(label)}</span>
      <select value={value} onChange={(e) => set(e.target.value)}>
        {options.map((option) => (
          <option key={option} value={option}>
            {t(`${prefix}.${option}`)}
          </option>
        ))}
      </select>
    </label>
  );
  const ready = email.trim() && (discover || ewsUrl.trim());

  return (
    <form
      className="card admin-form exchange-form"
      aria-label={connection ? t("exchange.editConnection", { email: connection.email ?? "" }) : t("exchange.connect")}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
      noValidate
    >
      {problem && (
        <p className="banner danger" role="alert">
          {problem}
        </p>
      )}
      <div className="field-grid">
        <label className="field">
          <span className="field-label">{t("exchange.email")}</span>
          <input type="email" value={email} required autoFocus aria-invalid={!!fieldErrors.email || undefined} onChange={(e) => setEmail(e.target.value)} />
          {fieldError("email")}
        </label>
        <label className="field">
          <span className="field-label">{t("exchange.login")}</span>
          <input value={login} placeholder={t("exchange.loginHint")} autoComplete="off" onChange={(e) => setLogin(e.target.value)} />
          {fieldError("login")}
        </label>
        {select("exchange.auth", auth, setAuth, ["basic", "oauth2"], "exchange.auth")}
        <label className="field">
          <span className="field-label">{t(auth === "oauth2" ? "exchange.accessToken" : "exchange.password")}</span>
          <input
            type="password"
            value={secret}
            autoComplete="new-password"
            placeholder={connection?.has_secret ? t("exchange.secretKept") : ""}
            aria-invalid={!!(fieldErrors.password || fieldErrors.access_token) || undefined}
            onChange={(e) => setSecret(e.target.value)}
          />
          {fieldError(auth === "oauth2" ? "access_token" : "password")}
        </label>
      </div>
      <fieldset className="dialog-group">
        <legend>{t("exchange.server")}</legend>
        <div className="exchange-server" role="radiogroup">
          <label className="check">
            <input type="radio" name={`${id}-server`} checked={!discover} onChange={() => setDiscover(false)} />
            {t("exchange.server.url")}
          </label>
          <label className="check">
            <input type="radio" name={`${id}-server`} checked={discover} onChange={() => setDiscover(true)} />
            {t("exchange.server.autodiscover")}
          </label>
        </div>
        {discover ? (
          <label className="field">
            <span className="field-label">{t("exchange.autodiscoverUrl")}</span>
            <input value={autodiscoverUrl} placeholder={t("exchange.autodiscoverUrlHint")} onChange={(e) => setAutodiscoverUrl(e.target.value)} />
            {fieldError("autodiscover_url")}
          </label>
        ) : (
          <label className="field">
            <span className="field-label">{t("exchange.ewsUrl")}</span>
            <input value={ewsUrl} placeholder={t("exchange.ewsUrlHint")} aria-invalid={!!fieldErrors.ews_url || undefined} onChange={(e) => setEwsUrl(e.target.value)} />
            {fieldError("ews_url")}
          </label>
        )}
      </fieldset>
      <div className="exchange-actions">
        <button type="button" className="button" disabled={busy || !ready || (!secret && !connection)} onClick={() => void runTest()}>
          {t("exchange.testConnection")}
        </button>
        {connection && !secret && <span className="muted small">{t("exchange.testNeedsSecret")}</span>}
      </div>
      {test && (
        <p className={test.ok ? "notice exchange-test-result" : "banner danger exchange-test-result"} role="status" data-test-result={test.ok ? "ok" : "failed"}>
          {test.ok ? t("exchange.testOk", { url: test.ews_url ?? "" }) : test.error}
        </p>
      )}
      <fieldset className="dialog-group">
        <legend>{t("exchange.mail")}</legend>
        {check("exchange.syncMail", syncMail, setSyncMail)}
        {select("exchange.visibility", visibility, setVisibility, VISIBILITY, "exchange.visibility")}
      </fieldset>
      <fieldset className="dialog-group">
        <legend>{t("exchange.contacts")}</legend>
        {check("exchange.importContacts", importContacts, setImportContacts)}
        <p className="muted small">{t("exchange.folders")}</p>
        {serverFolders === null ? (
          <p className="muted small">{t("exchange.foldersAfterTest")}</p>
        ) : (
          <div className="exchange-folders">
            {serverFolders.map((folder) => (
              <label key={folder.id} className="check">
                <input
                  type="checkbox"
                  checked={contactFolders.includes(folder.id)}
                  onChange={(e) =>
                    setContactFolders(e.target.checked ? [...contactFolders, folder.id] : contactFolders.filter((f) => f !== folder.id))
                  }
                />
                {folder.name}
              </label>
            ))}
          </div>
        )}
        {fieldError("contact_folders")}
        {select(
          "exchange.export",
          exportContacts,
          setExportContacts,
          EXPORTS,
          "exchange.export",
        )}
        {exportContacts === "chosen" && <ContactPicker value={exportIds} onChange={setExportIds} />}
        {fieldError("export_contact_ids")}
      </fieldset>
      <fieldset className="dialog-group">
        <legend>{t("exchange.calendar")}</legend>
        {check("exchange.syncCalendar", syncCalendar, setSyncCalendar)}
        {check("exchange.syncTasks", syncTasks, setSyncTasks)}
        <div className="field-grid">
          <label className="field">
            <span className="field-label">{t("exchange.pastDays")}</span>
            <input inputMode="numeric" value={pastDays} onChange={(e) => setPastDays(e.target.value)} />
            {fieldError("past_days")}
          </label>
          <label className="field">
            <span className="field-label">{t("exchange.futureDays")}</span>
            <input inputMode="numeric" value={futureDays} onChange={(e) => setFutureDays(e.target.value)} />
            {fieldError("future_days")}
          </label>
        </div>
      </fieldset>
      {select("exchange.deletions", deletions, setDeletions, DELETIONS, "exchange.deletions")}
      {admin && check("exchange.isShared", shared, setShared)}
      <div className="dialog-actions">
        <button type="button" className="button ghost" onClick={onCancel}>
          {t("action.cancel")}
        </button>
        <button type="submit" className="button primary" disabled={busy || !ready || (!connection && !secret)}>
          {connection ? t("action.save") : t("exchange.save")}
        </button>
      </div>
    </form>
  );
}
