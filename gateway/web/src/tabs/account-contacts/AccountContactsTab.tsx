// The people who work at the account (its contacts and anyone with a career there).
import { useEffect, useState } from "react";
import { ApiError, get } from "../../core/api";
import { rememberNames } from "../../core/lookup";
import type { EntityRecord } from "../../core/meta";
import type { TabProps } from "../../core/registry";
import { Link } from "../../core/router";
import { useT } from "../../i18n";
import { ICONS, Icon } from "../../shell/Icon";
import { listSummary } from "../../views/format";

export default function AccountContactsTab({ record }: TabProps) {
  const t = useT();
  const [contacts, setContacts] = useState<EntityRecord[] | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    get<EntityRecord[] | { items: EntityRecord[] }>(`/accounts/${encodeURIComponent(record.id)}/contacts`).then(
      (body) => {
        const list = Array.isArray(body) ? body : (body.items ?? []);
        rememberNames("contacts", list);
        setContacts(list);
      },
      (error) => {
        if (!(error instanceof ApiError && error.status === 401)) setFailed(true);
      },
    );
  }, [record.id]);

  if (failed) return <p className="form-error">{t("error.loadFailed")}</p>;
  if (!contacts) return <div className="loading" aria-busy="true" />;
  return (
    <div className="account-contacts">
      <div className="tab-actions">
        <Link to={`/contacts/new?set.account_id=${encodeURIComponent(record.id)}`} className="button small">
          <Icon path={ICONS.plus} size={14} />
          {t("accountContacts.add")}
        </Link>
      </div>
      {contacts.length === 0 ? (
        <p className="muted empty-note">{t("accountContacts.none")}</p>
      ) : (
        <table className="simple-table">
          <thead>
            <tr>
              <th scope="col">{t("accountContacts.name")}</th>
              <th scope="col">{t("accountContacts.job")}</th>
              <th scope="col">{t("accountContacts.email")}</th>
              <th scope="col">{t("accountContacts.phone")}</th>
            </tr>
          </thead>
          <tbody>
            {contacts.map((contact) => (
              <tr key={contact.id} data-contact={contact.id}>
                <td>
                  <Link to={`/contacts/${encodeURIComponent(contact.id)}`}>{String(contact.full_name ?? "") || t("record.untitled")}</Link>
                </td>
                <td>{String(contact.job_title ?? "")}</td>
                <td>{Array.isArray(contact.emails) ? listSummary(contact.emails) : ""}</td>
                <td>{Array.isArray(contact.phones) ? listSummary(contact.phones) : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
