import type { FieldMeta } from "../core/meta";
import { LOOKUPS, lookupOf, useLookupName } from "../core/lookup";
import { Link } from "../core/router";
import { stageLabel } from "../core/stages";
import { useSession } from "../core/session";
import { useT } from "../i18n";
import { formatValue } from "./format";

interface Props {
  entity: string;
  field: FieldMeta | undefined;
  value: unknown;
  record?: Record<string, unknown> | null;
  /** A link to a linked record's page (off inside a row that is itself a link). */
  link?: boolean;
}

/** One value as the user reads it; a linked record shows its name, as a link to it. */
export function Value({ entity, field, value, record, link = true }: Props) {
  const t = useT();
  const session = useSession();
  const lookup = field?.type === "uuid" ? lookupOf(field, record) : null;
  if (lookup && typeof value === "string" && value) {
    return <LookupValue lookup={lookup} id={value} link={link} me={session.user.id} />;
  }
  return <>{formatValue(t, entity, field, value, session.user.id, record)}</>;
}

/** The name of a linked record: "…" while it loads, the short id when it is hidden. */
export function LookupValue({ lookup, id, link = true, me }: { lookup: string; id: string; link?: boolean; me?: string }) {
  const t = useT();
  const name = useLookupName(lookup, id);
  const def = LOOKUPS[lookup];
  if (lookup === "users" && id === me) return <>{t("owner.me")}</>;
  const text = name ? (lookup === "opportunity-stages" ? stageLabel(t, name) : name) : name === null ? id.slice(0, 8) : "…";
  if (link && def?.route && name !== null) {
    return (
      <Link to={`${def.route}/${encodeURIComponent(id)}`} className="lookup-link" data-lookup={lookup}>
        {text}
      </Link>
    );
  }
  return <span data-lookup={lookup}>{text}</span>;
}
