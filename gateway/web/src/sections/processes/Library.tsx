// The library: every process with its latest and deployed versions; upload a .bpmn
// file, or draw a new one.
import { useRef, useState } from "react";
import { Link, navigate } from "../../core/router";
import { useT } from "../../i18n";
import { ICONS, Icon } from "../../shell/Icon";
import { Problem, useItems, useProblemText } from "../admin/common";
import { sendXml, type Definition } from "./api";

export function Library() {
  const t = useT();
  const problemText = useProblemText();
  const { items, failed } = useItems<Definition>("/process-definitions");
  const file = useRef<HTMLInputElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const upload = async (picked: File | undefined) => {
    if (!picked) return;
    setError(null);
    setBusy(true);
    try {
      const { data } = await sendXml<Definition>("/process-definitions", await picked.text());
      navigate(`/processes/definitions/${data.id}`);
    } catch (caught) {
      setError(problemText(caught));
    } finally {
      setBusy(false);
      if (file.current) file.current.value = "";
    }
  };

  return (
    <section className="card" aria-labelledby="process-library-title">
      <div className="page-head">
        <h2 id="process-library-title" className="grow">
          {t("processes.library")}
        </h2>
        <label className="button">
          {t("processes.upload")}
          <input
            ref={file}
            type="file"
            accept=".bpmn,.xml,application/xml,text/xml"
            className="visually-hidden"
            disabled={busy}
            onChange={(e) => void upload(e.target.files?.[0])}
          />
        </label>
        <Link to="/processes/new" className="button primary">
          <Icon path={ICONS.plus} size={16} />
          {t("processes.new")}
        </Link>
      </div>
      <p className="muted small">{t("processes.libraryIntro")}</p>
      {error && <Problem text={error} />}
      {failed && <p className="form-error">{t("error.loadFailed")}</p>}
      {!items && !failed && <div className="loading" aria-busy="true" />}
      {items && items.length === 0 && <p className="muted empty-note">{t("processes.none")}</p>}
      {items && items.length > 0 && (
        <table className="simple-table process-table">
          <thead>
            <tr>
              <th>{t("processes.name")}</th>
              <th>{t("processes.key")}</th>
              <th>{t("processes.latest")}</th>
              <th>{t("processes.deployed")}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <tr key={d.id} data-process={d.key}>
                <td>
                  <Link to={`/processes/definitions/${d.id}`}>{d.name}</Link>
                  {d.is_shipped && <span className="badge">{t("processes.shipped")}</span>}
                </td>
                <td>
                  <code>{d.key}</code>
                </td>
                <td>{t("processes.versionN", { n: d.latest_version })}</td>
                <td>
                  {d.deployed_version ? (
                    <span className="badge accent">{t("processes.versionN", { n: d.deployed_version })}</span>
                  ) : (
                    <span className="muted">{t("processes.notDeployed")}</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
