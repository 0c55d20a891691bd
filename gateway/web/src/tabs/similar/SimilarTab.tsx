import type { TabProps } from "../../core/registry";
import { SimilarList } from "../../views/Similar";

export default function SimilarTab({ entity, record, reload }: TabProps) {
  return <SimilarList entity={entity} record={record} reload={reload} />;
}
