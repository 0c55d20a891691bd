// The contacts a connection exports when its choice is "chosen" (Settings → Exchange and
// Settings → Google): the chosen ones as removable chips, and a search box that finds
// contacts the user may read by name, email or phone (the contacts list's own search).
import { useEffect, useId, useState } from "react";
import { get } from "../../core/api";
import { addMessages, useT } from "../../i18n";
import messages from "./messages";
import "./sync.css";

addMessages(messages);

interface ContactRow {
  id: string;
  full_name: string;
  emails?: { email: string }[];
}

function label(contact: ContactRow): string {
  const email = contact.emails?.[0]?.email;
  return email ? `${contact.full_name} <${email}>` : contact.full_name;
}

export default function ContactPicker({ value, onChange }: { value: string[]; onChange: (ids: string[]) => void }) {
  const t = useT();
  const id = useId();
  const [names, setNames] = useState<Record<string, string>>({});
  const [query, setQuery] = useState("");
  const [found, setFound] = useState<ContactRow[] | null>(null);

  // the names of the chosen ones (one read each, once)
  useEffect(() => {
    for (const contactId of value) {
      if (names[contactId] !== undefined) continue;
      get<ContactRow>(`/contacts/${encodeURIComponent(contactId)}`).then(
        (contact) => setNames((known) => ({ ...known, [contactId]: label(contact) })),
        () => setNames((known) => ({ ...known, [contactId]: t("sync.picker.unknown") })),
      );
    }
  }, [value, names, t]);

  // the contacts matching what is typed, a moment after typing stops
  useEffect(() => {
    const text = query.trim();
    if (text.length < 2) {
      setFound(null);
      return;
    }
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      get<{ items: ContactRow[] }>(`/contacts?q=${encodeURIComponent(text)}&limit=8`, controller.signal).then(
        (page) => setFound(page.items),
        () => setFound([]),
      );
    }, 250);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [query]);

  const add = (contact: ContactRow) => {
    setNames((known) => ({ ...known, [contact.id]: label(contact) }));
    if (!value.includes(contact.id)) onChange([...value, contact.id]);
    setQuery("");
    setFound(null);
  };

  return (
    <div className="field contact-picker" data-part="chosen-contacts">
      <span className="field-label" id={`${id}-label`}>
        {t("sync.picker.chosen")}
      </span>
      {value.length === 0 ? (
        <span className="muted">{t("sync.picker.none")}</span>
      ) : (
        <ul className="contact-picker-chosen" aria-labelledby={`${id}-label`}>
          {value.map((contactId) => (
            <li key={contactId} className="chip" data-contact={contactId}>
              <span>{names[contactId] ?? "…"}</span>
              <button
                type="button"
                className="button small ghost"
                aria-label={t("sync.picker.remove", { name: names[contactId] ?? "" })}
                onClick={() => onChange(value.filter((v) => v !== contactId))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <input
        type="search"
        aria-label={t("sync.picker.search")}
        placeholder={t("sync.picker.search")}
        value={query}
        onChange={(e) => setQuery(e.target.value)}
      />
      {found !== null && (
        <ul className="contact-picker-found" role="listbox" aria-label={t("sync.picker.results")}>
          {found.length === 0 && <li className="muted">{t("sync.picker.noMatch")}</li>}
          {found.map((contact) => (
            <li key={contact.id} role="option" aria-selected={value.includes(contact.id)}>
              <button type="button" className="button small ghost" disabled={value.includes(contact.id)} onClick={() => add(contact)}>
                {label(contact)}
              </button>
            </li>
          ))}
        </ul>
      )}
      <span className="hint">{t("sync.picker.hint")}</span>
    </div>
  );
}
