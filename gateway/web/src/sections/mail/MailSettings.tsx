// Settings → Mail: the user's mailboxes (and, for administrators, the shared ones):
// connect, test the connection (the server's own words when it fails), folders to sync,
// how far back, what colleagues see, sync now, health. The password is write-only.
import { useCallback, useEffect, useId, useState } from "react";
import { ApiError, get, ifMatch, request } from "../../core/api";
import { useSession } from "../../core/session";
import { addMessages, useT } from "../../i18n";
import { problemText } from "../../views/Dialog";
import { isAdmin } from "../leads/process";
import { listMailboxes, type ConnectionTest, type Mailbox } from "./api";
import "./mail.css";
import mailMessages from "./messages";

addMessages(mailMessages);

const SECURITY = ["ssl", "starttls", "none"];
const VISIBILITY = ["all", "headers", "none"];
const COUNTS = ["messages", "duplicates", "internal_skipped", "malformed", "skipped", "uidvalidity_resets"];

function daysAgo(days: number): string {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
}

export function MailSettings() {
  const t = useT();
  const [mailboxes, setMailboxes] = useState<Mailbox[] | null>(null);
  const [failed, setFailed] = useState(false);
  const [editing, setEditing] = useState<Mailbox | "new" | null>(null);
  const reload = useCallback(() => {
    listMailboxes().then(
      (items) => {
        setMailboxes(items);
        setFailed(false);
      },
      (error) => !(error instanceof ApiError && error.status === 401) && setFailed(true),
    );
  }, []);
  useEffect(reload, [reload]);
  // while a mailbox syncs, its health moves: look again every few seconds
  useEffect(() => {
    if (!mailboxes?.some((m) => m.health.syncing || !m.health.last_synced_at)) return;
    const timer = window.setInterval(reload, 3000);
    return () => window.clearInterval(timer);
  }, [mailboxes, reload]);

  return (
    <section className="mail-settings" aria-labelledby="mail-settings-title">
      <div className="page-head">
        <h2 id="mail-settings-title" className="grow">
          {t("mail.mailboxes")}
        </h2>
        {editing === null && (
          <button type="button" className="button primary" onClick={() => setEditing("new")}>
            {t("mail.connect")}
          </button>
        )}
      </div>
      <p className="muted">{t("mail.mailboxesIntro")}</p>
      {failed && <p className="form-error">{t("error.loadFailed")}</p>}
      {editing !== null && (
        <MailboxForm
          mailbox={editing === "new" ? null : editing}
          onCancel={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            reload();
          }}
        />
      )}
      {!mailboxes && !failed && <div className="loading" aria-busy="true" />}
      {mailboxes && mailboxes.length === 0 && editing === null && <p className="empty-note muted">{t("mail.noMailboxes")}</p>}
      <div className="mailbox-cards">
        {(mailboxes ?? [])
          .filter((m) => editing === null || editing === "new" || m.id !== editing.id)
          .map((mailbox) => (
            <MailboxCard key={mailbox.id} mailbox={mailbox} onEdit={() => setEditing(mailbox)} onChanged={reload} />
          ))}
      </div>
    </section>
  );
}

function MailboxCard({ mailbox, onEdit, onChanged }: { mailbox: Mailbox; onEdit: () => void; onChanged: () => void }) {
  const t = useT();
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const health = mailbox.health;
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
    <article className="card mailbox-card" aria-label={mailbox.email ?? mailbox.id} data-mailbox={mailbox.id}>
      <div className="mailbox-card-head">
        <h3>{mailbox.email}</h3>
        <span className={health.state === "active" ? "badge accent" : "badge danger"}>{t(`mail.state.${health.state}`)}</span>
        {mailbox.is_shared && <span className="badge">{t("mail.shared")}</span>}
        <span className="grow" />
        <button type="button" className="button small" disabled={busy} onClick={() => void act(() => request(`/mailboxes/${mailbox.id}/sync`, { method: "POST" }))}>
          {t("mail.syncNow")}
        </button>
        <button type="button" className="button small" onClick={onEdit}>
          {t("mail.edit")}
        </button>
        {confirming ? (
          <span className="inline-confirm">
            {t("mail.confirmRemove")}
            <button type="button" className="button small danger" disabled={busy} onClick={() => void act(() => request(`/mailboxes/${mailbox.id}`, { method: "DELETE", headers: ifMatch(mailbox.version) }))}>
              {t("mail.remove")}
            </button>
            <button type="button" className="button small ghost" onClick={() => setConfirming(false)}>
              {t("action.cancel")}
            </button>
          </span>
        ) : (
          <button type="button" className="button small ghost" onClick={() => setConfirming(true)}>
            {t("mail.remove")}
          </button>
        )}
      </div>
      {problem && (
        <p className="banner danger" role="alert">
          {problem}
        </p>
      )}
      <dl className="mailbox-health" aria-label={t("mail.health")}>
        <div>
          <dt>{t("mail.lastSync")}</dt>
          <dd data-health="last-sync">{health.syncing ? t("mail.syncing") : health.last_synced_at ? t.dateTime(health.last_synced_at) : t("mail.neverSynced")}</dd>
        </div>
        <div>
          <dt>{t("mail.messagesSynced")}</dt>
          <dd data-health="messages">{t.number(health.messages_synced ?? mailbox.messages_synced)}</dd>
        </div>
        <div>
          <dt>{t("mail.server")}</dt>
          <dd>
            {mailbox.imap_host}:{mailbox.imap_port} ({t(`mail.security.${mailbox.security ?? "none"}`)})
          </dd>
        </div>
        <div>
          <dt>{t("mail.visibility")}</dt>
          <dd>{t(`mail.visibility.${mailbox.visibility ?? "headers"}`)}</dd>
        </div>
        {COUNTS.filter((key) => key !== "messages" && health.counts[key]).map((key) => (
          <div key={key}>
            <dt>{t(`mail.count.${key}`)}</dt>
            <dd>{t.number(health.counts[key])}</dd>
          </div>
        ))}
        {health.next_sync_at && (
          <div>
            <dt>{t("mail.nextSync")}</dt>
            <dd>{t.dateTime(health.next_sync_at)}</dd>
          </div>
        )}
      </dl>
      {health.last_error && (
        <p className="banner warning" role="status" data-health="last-error">
          {t("mail.lastError", { when: health.last_error_at ? t.dateTime(health.last_error_at) : "" })} {health.last_error}
        </p>
      )}
    </article>
  );
}

function MailboxForm({ mailbox, onCancel, onSaved }: { mailbox: Mailbox | null; onCancel: () => void; onSaved: () => void }) {
  const t = useT();
  const id = useId();
  const { user } = useSession();
  const admin = isAdmin(user);
  const [email, setEmail] = useState(mailbox?.email ?? "");
  const [login, setLogin] = useState(mailbox?.login ?? "");
  const [password, setPassword] = useState("");
  const [imapHost, setImapHost] = useState(mailbox?.imap_host ?? "");
  const [imapPort, setImapPort] = useState(mailbox?.imap_port ? String(mailbox.imap_port) : "");
  const [security, setSecurity] = useState(mailbox?.security ?? "ssl");
  const [smtpHost, setSmtpHost] = useState(mailbox?.smtp_host ?? "");
  const [smtpPort, setSmtpPort] = useState(mailbox?.smtp_port ? String(mailbox.smtp_port) : "");
  const [smtpSecurity, setSmtpSecurity] = useState(mailbox?.smtp_security ?? "");
  const [folders, setFolders] = useState<string[]>(mailbox?.folders ?? []);
  const [serverFolders, setServerFolders] = useState<string[] | null>(null);
  const [syncSince, setSyncSince] = useState(mailbox?.sync_since ?? daysAgo(90));
  const [visibility, setVisibility] = useState(mailbox?.visibility ?? "headers");
  const [shared, setShared] = useState(mailbox?.is_shared ?? false);
  const [storeInternal, setStoreInternal] = useState(mailbox?.store_internal ?? false);
  const [test, setTest] = useState<ConnectionTest | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!mailbox) return;
    get<string[]>(`/mailboxes/${mailbox.id}/folders`).then(setServerFolders, () => setServerFolders(null));
  }, [mailbox]);

  const settings = (): Record<string, unknown> => {
    const body: Record<string, unknown> = {
      email: email.trim(),
      imap_host: imapHost.trim(),
      security,
      visibility,
      sync_since: syncSince || null,
      folders,
      store_internal: storeInternal,
    };
    if (login.trim()) body.login = login.trim();
    if (password) body.password = password;
    if (imapPort.trim()) body.imap_port = Number(imapPort);
    if (smtpHost.trim()) body.smtp_host = smtpHost.trim();
    if (smtpPort.trim()) body.smtp_port = Number(smtpPort);
    if (smtpSecurity) body.smtp_security = smtpSecurity;
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

  const testConnection = async () => {
    setBusy(true);
    setProblem(null);
    setFieldErrors({});
    setTest(null);
    try {
      const body = settings();
      delete body.folders;
      delete body.sync_since;
      const result = (await request<ConnectionTest>("/mailboxes/test-connection", { method: "POST", body })).data;
      setTest(result);
      if (result.ok) setServerFolders(result.folders);
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
      if (mailbox) await request(`/mailboxes/${mailbox.id}`, { method: "PATCH", body: settings(), headers: ifMatch(mailbox.version) });
      else await request("/mailboxes", { method: "POST", body: settings() });
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
  const choosable = (serverFolders ?? []).filter((f) => f.toUpperCase() !== "INBOX" && f !== (test?.sent_folder ?? mailbox?.sent_folder));

  return (
    <form
      className="card admin-form mailbox-form"
      aria-label={mailbox ? t("mail.editMailbox", { email: mailbox.email ?? "" }) : t("mail.connect")}
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
          <span className="field-label">{t("mail.email")}</span>
          <input type="email" value={email} required autoFocus aria-invalid={!!fieldErrors.email || undefined} onChange={(e) => setEmail(e.target.value)} />
          {fieldError("email")}
        </label>
        <label className="field">
          <span className="field-label">{t("mail.login")}</span>
          <input value={login} placeholder={t("mail.loginHint")} autoComplete="off" onChange={(e) => setLogin(e.target.value)} />
          {fieldError("login")}
        </label>
        <label className="field">
          <span className="field-label">{t("mail.password")}</span>
          <input
            type="password"
            value={password}
            autoComplete="new-password"
            placeholder={mailbox?.has_password ? t("mail.passwordKept") : ""}
            aria-invalid={!!fieldErrors.password || undefined}
            onChange={(e) => setPassword(e.target.value)}
          />
          {fieldError("password")}
        </label>
      </div>
      <fieldset className="dialog-group">
        <legend>{t("mail.imap")}</legend>
        <div className="field-grid">
          <label className="field">
            <span className="field-label">{t("mail.imapHost")}</span>
            <input value={imapHost} required aria-invalid={!!fieldErrors.imap_host || undefined} onChange={(e) => setImapHost(e.target.value)} />
            {fieldError("imap_host")}
          </label>
          <label className="field">
            <span className="field-label">{t("mail.imapPort")}</span>
            <input inputMode="numeric" value={imapPort} placeholder={security === "ssl" ? "993" : "143"} onChange={(e) => setImapPort(e.target.value)} />
            {fieldError("imap_port")}
          </label>
          <label className="field">
            <span className="field-label">{t("mail.security")}</span>
            <select value={security} onChange={(e) => setSecurity(e.target.value)}>
              {SECURITY.map((value) => (
                <option key={value} value={value}>
                  {t(`mail.security.${value}`)}
                </option>
              ))}
            </select>
          </label>
        </div>
      </fieldset>
      <fieldset className="dialog-group">
        <legend>{t("mail.smtp")}</legend>
        <div className="field-grid">
          <label className="field">
            <span className="field-label">{t("mail.smtpHost")}</span>
            <input value={smtpHost} placeholder={t("mail.smtpHostHint")} onChange={(e) => setSmtpHost(e.target.value)} />
            {fieldError("smtp_host")}
          </label>
          <label className="field">
            <span className="field-label">{t("mail.smtpPort")}</span>
            <input inputMode="numeric" value={smtpPort} placeholder={(smtpSecurity || security) === "ssl" ? "465" : "587"} onChange={(e) => setSmtpPort(e.target.value)} />
            {fieldError("smtp_port")}
          </label>
          <label className="field">
            <span className="field-label">{t("mail.smtpSecurity")}</span>
            <select value={smtpSecurity} onChange={(e) => setSmtpSecurity(e.target.value)}>
              <option value="">{t("mail.sameAsImap")}</option>
              {SECURITY.map((value) => (
                <option key={value} value={value}>
                  {t(`mail.security.${value}`)}
                </option>
              ))}
            </select>
          </label>
        </div>
      </fieldset>
      <div className="mail-actions">
        <button type="button" className="button" disabled={busy || !email.trim() || !imapHost.trim()} onClick={() => void testConnection()}>
          {t("mail.testConnection")}
        </button>
        {mailbox && !password && <span className="muted small">{t("mail.testNeedsPassword")}</span>}
      </div>
      {test && (
        <p className={test.ok ? "notice mail-test-result" : "banner danger mail-test-result"} role="status" data-test-result={test.ok ? "ok" : "failed"}>
          {test.ok ? t("mail.testOk", { count: test.folders.length }) : test.error}
        </p>
      )}
      <fieldset className="dialog-group">
        <legend>{t("mail.folders")}</legend>
        <p className="muted small">{t("mail.foldersHint")}</p>
        {serverFolders === null ? (
          <p className="muted small">{t("mail.foldersAfterTest")}</p>
        ) : choosable.length === 0 ? (
          <p className="muted small">{t("mail.noOtherFolders")}</p>
        ) : (
          <div className="mailbox-folders">
            {choosable.map((folder) => (
              <label key={folder} className="check">
                <input
                  type="checkbox"
                  checked={folders.includes(folder)}
                  onChange={(e) => setFolders(e.target.checked ? [...folders, folder] : folders.filter((f) => f !== folder))}
                />
                {folder}
              </label>
            ))}
          </div>
        )}
        {fieldError("folders")}
      </fieldset>
      <div className="field-grid">
        <label className="field">
          <span className="field-label">{t("mail.syncSince")}</span>
          <input type="date" value={syncSince} onChange={(e) => setSyncSince(e.target.value)} />
          {fieldError("sync_since")}
        </label>
        <label className="field">
          <span className="field-label">{t("mail.visibility")}</span>
          <select value={visibility} onChange={(e) => setVisibility(e.target.value)}>
            {VISIBILITY.map((value) => (
              <option key={value} value={value}>
                {t(`mail.visibility.${value}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <label className="check">
        <input type="checkbox" checked={storeInternal} onChange={(e) => setStoreInternal(e.target.checked)} />
        {t("mail.storeInternal")}
      </label>
      {admin && (
        <label className="check">
          <input type="checkbox" checked={shared} onChange={(e) => setShared(e.target.checked)} />
          {t("mail.isShared")}
        </label>
      )}
      <div className="dialog-actions">
        <button type="button" className="button ghost" onClick={onCancel}>
          {t("action.cancel")}
        </button>
        <button type="submit" className="button primary" disabled={busy || !email.trim() || !imapHost.trim() || (!mailbox && !password)}>
          {mailbox ? t("action.save") : t("mail.connectSave")}
        </button>
      </div>
    </form>
  );
}
