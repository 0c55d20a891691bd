// The Feed tab on a record page: its posts (live), a composer posting on the record,
// and follow / unfollow.
import { useMemo, useState } from "react";
import type { TabProps } from "../../core/registry";
import { useT } from "../../i18n";
import { useFollows } from "../../sections/feed/api";
import { Composer } from "../../sections/feed/Composer";
import { PostList } from "../../sections/feed/PostList";
import type { Scope } from "../../sections/feed/store";
import { FEED_TYPE, type Post } from "../../sections/feed/types";

export default function RecordFeedTab({ entity, record }: TabProps) {
  const t = useT();
  const type = FEED_TYPE[entity] ?? entity;
  const related = useMemo(() => ({ type, id: record.id }), [type, record.id]);
  const scope: Scope = useMemo(() => ({ kind: "record", type, id: record.id }), [type, record.id]);
  const follows = useFollows();
  const [added, setAdded] = useState<Post | null>(null);
  const [problem, setProblem] = useState(false);
  const following = Boolean(follows.find(related));
  const query = new URLSearchParams({ related_type: type, related_id: record.id });

  return (
    <div className="record-feed">
      <div className="record-feed-head">
        <button
          type="button"
          className={following ? "button small toggled" : "button small"}
          aria-pressed={following}
          disabled={follows.list === null}
          onClick={() => follows.toggle(related).then(() => setProblem(false), () => setProblem(true))}
        >
          {following ? t("recordFeed.following") : t("recordFeed.follow")}
        </button>
        <span className="hint">{t("recordFeed.followHint")}</span>
      </div>
      {problem && (
        <p className="banner danger" role="alert">
          {t("feed.failed")}
        </p>
      )}
      <Composer related={related} onPosted={setAdded} />
      <PostList path={`/posts?${query.toString()}`} scope={scope} empty={t("recordFeed.empty")} added={added} />
    </div>
  );
}
