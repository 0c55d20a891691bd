// The instance page: its process's name and version, then the instance itself.
import { lazy, Suspense, useEffect, useState } from "react";
import { get } from "../../core/api";
import { Link } from "../../core/router";
import { useT } from "../../i18n";
import type { Instance } from "./api";

const InstanceView = lazy(() => import("./InstanceView"));

export function InstancePage({ instanceId }: { instanceId: string }) {
  const t = useT();
  const [instance, setInstance] = useState<Instance | null>(null);
  useEffect(() => {
    get<Instance>(`/process-instances/${encodeURIComponent(instanceId)}`).then(setInstance, () => setInstance(null));
  }, [instanceId]);
  return (
    <section className="card" aria-labelledby="instance-title">
      <div className="page-head">
        <Link to="/processes/instances" className="back-link">
          {t("processes.instances")}
        </Link>
      </div>
      <h2 id="instance-title">
        {instance ? (
          <Link to={`/processes/definitions/${instance.definition_id}`}>{instance.name}</Link>
        ) : (
          t("processes.instance")
        )}
      </h2>
      <Suspense fallback={<div className="loading" aria-busy="true" />}>
        <InstanceView instanceId={instanceId} />
      </Suspense>
    </section>
  );
}
