// Settings → Google (/settings/google): connect a Google account through Google's own
// consent page, reconnect one whose access Google revoked, choose the contact groups,
// calendars and directions, sync now, and each connection's health. Google sends the
// user back to /settings/google/callback with a code, which is handed to the server.
import { useCallback, useEffect, useId, useRef, useState } from "react";
import { ApiError } from "../../core/api";
import { Link, navigate } from "../../core/router";
import { addMessages, useT } from "../../i18n";
import { problemText } from "../../views/Dialog";
import {
  calendars as listCalendars,
  completeAuthorization,
  contactGroups as listGroups,
  disconnect,
  listConnections,
  saveConnection,
  startAuthorization,
  syncNow,
  type ContactGroup,
  type GoogleCalendar,
  type GoogleConnection,
} from "./api";
import ContactPicker from "../sync/ContactPicker";
import "./google.css";
import messages from "./messages";

addMessages(messages);

const DIRECTIONS = ["off", "import", "export", "both"];
const EXPORTS = ["all", "mine", "chosen"];
const DELETIONS = ["keep", "propagate"];
const VISIBILITY = ["all", "headers", "none"];
const COUNTS = [
  "contacts_imported",
  "contacts_matched",
  "contacts_exported",
  "contacts_updated",
  "events_imported",
  "events_exported",
  "events_updated",
  "messages",
  "conflicts",
  "throttled",
];

/** What the callback page leaves for the list to say once it is back there. */
let pendingNote: string | null = null;

export default function GoogleSettings({ path }: { path: string }) {
  return path.startsWith("/settings/google/callback") ? <Callback /> : <Connections />;
}

function useRedirect(): [boolean, (connectionId?: string) => Promise<void>, string | null] {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const go = async (connectionId?: string) => {
    setBusy(true);
    setProblem(null);
    try {
      window.location.assign(await startAuthorization(connectionId));
    } catch (error) {
      setBusy(false);
      if (!(error instanceof ApiError && error.status === 401)) setProblem(problemText(error, t("error.saveFailedRecord")));
    }
  };
  return [busy, go, problem];
}

function Connections() {
  const t = useT();
  const [connections, setConnections] = useState<GoogleConnection[] | null>(null);
  const [failed, setFailed] = useState(false);
  const [note] = useState(() => {
    const text = pendingNote;
    pendingNote = null;
    return text;
  });
  const [busy, connect, problem] = useRedirect();
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
  // while an account syncs its health moves: look again every few seconds
  useEffect(() => {
    if (!connections?.some((c) => c.health.syncing || (!c.health.last_synced_at && c.state === "active"))) return;
    const timer = window.setInterval(reload, 3000);
    return () => window.clearInterval(timer);
  }, [connections, reload]);

  return (
    <div className="page narrow google-settings">
      <header className="page-head">
        <h1 className="grow">{t("google.title")}</h1>
        <button type="button" className="button primary" disabled={busy} onClick={() => void connect()}>
          {t("google.connect")}
        </button>
      </header>
      <p className="muted">{t("google.intro")}</p>
      {note && (
        <p className="banner" role="status">
          {note}
        </p>
      )}
      {problem && (
        <p className="banner danger" role="alert">
          {problem}
        </p>
      )}
      {failed && <p className="form-error">{t("error.loadFailed")}</p>}
      {!connections && !failed && <div className="loading" aria-busy="true" />}
      {connections && connections.length === 0 && <p className="empty-note muted">{t("google.noConnections")}</p>}
      {(connections ?? []).map((connection) => (
        <ConnectionCard key={connection.id} connection={connection} onChanged={reload} />
      ))}
    </div>
  );
}

function ConnectionCard({ connection, onChanged }: { connection: GoogleConnection; onChanged: () => void }) {
  const t = useT();
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [reconnecting, reconnect, reconnectProblem] = useRedirect();
  const health = connection.health;
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
  const counts = COUNTS.filter((key) => health.counts[key]);
  return (
    <article className="card google-card" aria-label={connection.email ?? connection.id} data-connection={connection.id}>
      <div className="google-card-head">
        <h2>{connection.email}</h2>
        <span className={health.state === "active" ? "badge accent" : "badge danger"} data-health="state">
          {t(`google.state.${health.state}`)}
        </span>
        <span className="grow" />
        {connection.needs_reconnect ? (
          <button type="button" className="button small primary" disabled={reconnecting} onClick={() => void reconnect(connection.id)}>
            {t("google.reconnect")}
          </button>
        ) : (
          <button type="button" className="button small" disabled={busy} onClick={() => void act(() => syncNow(connection.id))}>
            {t("google.syncNow")}
          </button>
        )}
        {confirming ? (
          <span className="inline-confirm">
            {t("google.confirmDisconnect")}
            <button type="button" className="button small danger" disabled={busy} onClick={() => void act(() => disconnect(connection))}>
              {t("google.disconnect")}
            </button>
            <button type="button" className="button small ghost" onClick={() => setConfirming(false)}>
              {t("action.cancel")}
            </button>
          </span>
        ) : (
          <button type="button" className="button small ghost" onClick={() => setConfirming(true)}>
            {t("google.disconnect")}
          </button>
        )}
      </div>
      {connection.needs_reconnect && (
        <p className="banner danger" role="alert" data-health="reconnect">
          {t("google.needsReconnect")}
        </p>
      )}
      {(problem || reconnectProblem) && (
        <p className="banner danger" role="alert">
          {problem || reconnectProblem}
        </p>
      )}
      <dl className="google-health">
        <div>
          <dt>{t("google.lastSync")}</dt>
          <dd data-health="last-sync">
            {health.syncing ? t("google.syncing") : health.last_synced_at ? t.dateTime(health.last_synced_at) : t("google.neverSynced")}
          </dd>
        </div>
        {health.next_sync_at && health.state === "active" && (
          <div>
            <dt>{t("google.nextSync")}</dt>
            <dd>{t.dateTime(health.next_sync_at)}</dd>
          </div>
        )}
        {counts.map((key) => (
          <div key={key} data-count={key}>
            <dt>{t(`google.count.${key}`)}</dt>
            <dd>{t.number(health.counts[key])}</dd>
          </div>
        ))}
      </dl>
      {health.last_error && (
        <p className="banner warning" role="status" data-health="last-error">
          {t("google.lastError", { when: health.last_error_at ? t.dateTime(health.last_error_at) : "" })} {health.last_error}
        </p>
      )}
      {!connection.needs_reconnect && <Choices connection={connection} onSaved={onChanged} />}
    </article>
  );
}

function Choices({ connection, onSaved }: { connection: GoogleConnection; onSaved: () => void }) {
  const t = useT();
  const id = useId();
  const [contacts, setContacts] = useState(connection.contacts);
  const [calendar, setCalendar] = useState(connection.calendar);
  const [mail, setMail] = useState(connection.mail);
  const [groups, setGroups] = useState<ContactGroup[] | null>(null);
  const [calendars, setCalendars] = useState<GoogleCalendar[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    listGroups(connection.id).then(setGroups, () => setGroups([]));
    listCalendars(connection.id).then(setCalendars, () => setCalendars([]));
  }, [connection.id]);
  const toggle = (list: string[], value: string) => (list.includes(value) ? list.filter((v) => v !== value) : [...list, value]);
  const save = async () => {
    setBusy(true);
    setProblem(null);
    setSaved(false);
    try {
      await saveConnection(connection, { contacts, calendar, mail });
      setSaved(true);
      onSaved();
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setProblem(problemText(error, t("error.saveFailedRecord")));
    } finally {
      setBusy(false);
    }
  };
  const select = (name: string, label: string, value: string, options: string[], prefix: string, onChange: (v: string) => void) => (
    <label className="field">
      <span className="field-label">{label}</span>
      <select name={`${id}-${name}`} aria-label={label} value={value} onChange={(e) => onChange(e.target.value)}>
        {options.map((option) => (
          <option key={option} value={option}>
            {t(`${prefix}.${option}`)}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <form
      className="google-choices"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <fieldset className="field-group" data-part="contacts">
        <legend>{t("google.contacts")}</legend>
        {select("contacts-direction", t("google.direction"), contacts.direction, DIRECTIONS, "google.direction", (v) => setContacts({ ...contacts, direction: v }))}
        <div className="field">
          <span className="field-label">{t("google.groups")}</span>
          {groups === null ? (
            <span className="muted">{t("google.loadingChoices")}</span>
          ) : (
            <div className="google-checks">
              {groups.map((group) => (
                <label key={group.id}>
                  <input type="checkbox" checked={contacts.groups.includes(group.id)} onChange={() => setContacts({ ...contacts, groups: toggle(contacts.groups, group.id) })} />
                  {group.name ?? group.id}
                </label>
              ))}
            </div>
          )}
          <span className="hint">{t("google.groupsHint")}</span>
        </div>
        {select("contacts-export", t("google.export"), contacts.export, EXPORTS, "google.export", (v) => setContacts({ ...contacts, export: v }))}
        {contacts.export === "chosen" && (
          <ContactPicker value={contacts.export_ids ?? []} onChange={(ids) => setContacts({ ...contacts, export_ids: ids })} />
        )}
        {select("contacts-deletions", t("google.deletions"), contacts.deletions, DELETIONS, "google.deletions", (v) => setContacts({ ...contacts, deletions: v }))}
      </fieldset>
      <fieldset className="field-group" data-part="calendar">
        <legend>{t("google.calendar")}</legend>
        {select("calendar-direction", t("google.direction"), calendar.direction, DIRECTIONS, "google.direction", (v) => setCalendar({ ...calendar, direction: v }))}
        <div className="field">
          <span className="field-label">{t("google.calendars")}</span>
          {calendars === null ? (
            <span className="muted">{t("google.loadingChoices")}</span>
          ) : (
            <div className="google-checks">
              {calendars.map((item) => (
                <label key={item.id}>
                  <input type="checkbox" checked={calendar.calendars.includes(item.id)} onChange={() => setCalendar({ ...calendar, calendars: toggle(calendar.calendars, item.id) })} />
                  {item.name}
                  {item.time_zone && <span className="muted"> ({item.time_zone})</span>}
                </label>
              ))}
            </div>
          )}
          <span className="hint">{t("google.calendarsHint")}</span>
        </div>
        {select("calendar-deletions", t("google.deletions"), calendar.deletions, DELETIONS, "google.deletions", (v) => setCalendar({ ...calendar, deletions: v }))}
      </fieldset>
      <fieldset className="field-group" data-part="mail">
        <legend>{t("google.mail")}</legend>
        <label className="google-check">
          <input type="checkbox" checked={mail.enabled} onChange={(e) => setMail({ ...mail, enabled: e.target.checked })} />
          {t("google.mailEnabled")}
        </label>
        {select("mail-visibility", t("google.visibility"), mail.visibility, VISIBILITY, "google.visibility", (v) => setMail({ ...mail, visibility: v }))}
        <label className="field">
          <span className="field-label">{t("google.syncSince")}</span>
          <input type="date" value={mail.sync_since} onChange={(e) => setMail({ ...mail, sync_since: e.target.value })} />
        </label>
      </fieldset>
      {problem && (
        <p className="banner danger" role="alert">
          {problem}
        </p>
      )}
      {saved && (
        <p className="muted" role="status">
          {t("google.saved")}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={busy}>
          {t("google.save")}
        </button>
      </div>
    </form>
  );
}

function Callback() {
  const t = useT();
  const [problem, setProblem] = useState<string | null>(null);
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return; // once: a code is used once
    started.current = true;
    const params = new URLSearchParams(window.location.search);
    if (params.get("error")) {
      pendingNote = t("google.declined");
      navigate("/settings/google", { replace: true });
      return;
    }
    completeAuthorization(params).then(
      (connection) => {
        pendingNote = t("google.connected", { email: connection.email ?? "" });
        navigate("/settings/google", { replace: true });
      },
      (error) => setProblem(problemText(error, t("error.saveFailedRecord"))),
    );
  }, [t]);
  return (
    <div className="page narrow google-settings">
      <header className="page-head">
        <h1>{t("google.title")}</h1>
      </header>
      {problem ? (
        <>
          <p className="banner danger" role="alert">
            {problem}
          </p>
          <Link to="/settings/google">{t("google.back")}</Link>
        </>
      ) : (
        <p className="muted" aria-busy="true">
          {t("google.completing")}
        </p>
      )}
    </div>
  );
}
