// Roles (administrators): what each role lets its holders do, in words. The roles are
// Osprey's three seeded ones; their rights are read here, not changed.
import { useId } from "react";
import { Link } from "../../core/router";
import { useT } from "../../i18n";
import { useItems } from "./common";
import { type Role, permissionGroup, permissionLabel, roleLabel, sortRoles } from "./people";

const GROUPS = ["sections", "records", "administration"] as const;

export function Roles() {
  const t = useT();
  const id = useId();
  const { items, failed } = useItems<Role>("/roles");
  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <div className="page-head">
        <h2 id={`${id}-title`} className="grow">
          {t("admin.roles")}
        </h2>
      </div>
      <p className="muted small">{t("roles.intro")}</p>
      {failed && <p className="form-error">{t("error.loadFailed")}</p>}
      {!items && !failed && <div className="loading" aria-busy="true" />}
      {items && (
        <div className="role-cards">
          {sortRoles(items).map((role) => (
            <RoleCard key={role.id} role={role} />
          ))}
        </div>
      )}
    </section>
  );
}

function RoleCard({ role }: { role: Role }) {
  const t = useT();
  const id = useId();
  const byGroup = (group: (typeof GROUPS)[number]) => role.permissions.filter((p) => permissionGroup(p) === group);
  return (
    <article className="role-card" aria-labelledby={`${id}-title`} data-role={role.name}>
      <div className="page-head">
        <h3 id={`${id}-title`} className="grow">
          {roleLabel(t, role.name)}
        </h3>
        <Link to={`/admin/users?role=${encodeURIComponent(role.name)}`} className="small">
          {t("roles.holders")}
        </Link>
      </div>
      {t.has(`roles.about.${role.name}`) && <p className="muted small">{t(`roles.about.${role.name}`)}</p>}
      {GROUPS.map((group) => {
        const permissions = byGroup(group);
        if (!permissions.length) return null;
        return (
          <div key={group}>
            <h4 className="subhead">{t(`roles.group.${group}`)}</h4>
            <ul className="permission-list">
              {permissions.map((permission) => (
                <li key={permission} title={permission}>
                  {permissionLabel(t, permission)}
                </li>
              ))}
            </ul>
          </div>
        );
      })}
      {!role.permissions.length && <p className="muted small">{t("roles.noRights")}</p>}
    </article>
  );
}
