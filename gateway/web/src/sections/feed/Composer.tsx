// Write a post: text with @mentions, files by button or by dropping them here.
import { useRef, useState, type DragEvent } from "react";
import { ApiError, request } from "../../core/api";
import { usePref } from "../../core/session";
import { useT } from "../../i18n";
import { ICONS, Icon } from "../../shell/Icon";
import { problemText } from "../../views/Dialog";
import { uploadFile } from "./api";
import { formatSize } from "./mentions";
import { defaultChannel } from "./channelDefault";
import { MentionTextarea } from "./MentionTextarea";
import type { Attachment, Channel, Post, Related } from "./types";

interface Props {
  /** Where the post goes: a channel, or a record. With `channels` the user picks one. */
  channelId?: string | null;
  related?: Related | null;
  channels?: Channel[];
  onPosted: (post: Post) => void;
}

const PAPERCLIP = "M21.44 11.05l-9.19 9.19a6 6 0 0 1-8.49-8.49l9.19-9.19a4 4 0 0 1 5.66 5.66l-9.2 9.19a2 2 0 0 1-2.83-2.83l8.49-8.48";

export function Composer({ channelId, related, channels, onPosted }: Props) {
  const t = useT();
  const [text, setText] = useState("");
  const [files, setFiles] = useState<Attachment[]>([]);
  const [uploading, setUploading] = useState(0);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [picked, setPicked] = useState<string>("");
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const [lastChannel, setLastChannel] = usePref<string>("feed.last_channel");
  const target = channelId ?? (related ? null : picked || defaultChannel(channels, lastChannel));

  const addFiles = async (list: FileList | File[]) => {
    setProblem(null);
    for (const file of Array.from(list)) {
      setUploading((n) => n + 1);
      try {
        const uploaded = await uploadFile(file);
        setFiles((f) => [...f, uploaded]);
      } catch (error) {
        if (error instanceof ApiError && error.status === 413) {
          setProblem(t("feed.file.tooLarge", { name: file.name, detail: error.detail ?? error.title }));
        } else if (!(error instanceof ApiError && error.status === 401)) {
          setProblem(problemText(error, t("feed.file.failed", { name: file.name })));
        }
      } finally {
        setUploading((n) => n - 1);
      }
    }
  };

  const submit = async () => {
    if (!text.trim() || busy || uploading > 0) return;
    if (!related && !target) {
      setProblem(t("feed.compose.noChannel"));
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      const body: Record<string, unknown> = { text, attachment_ids: files.map((f) => f.id) };
      if (related) body.related = related;
      else body.channel_id = target;
      const made = await request<Post>("/posts", { method: "POST", body });
      if (!related && !channelId && target && target !== lastChannel) void setLastChannel(target);
      setText("");
      setFiles([]);
      onPosted(made.data);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setProblem(problemText(error, t("feed.failed")));
    } finally {
      setBusy(false);
    }
  };

  const drop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    if (event.dataTransfer.files.length) void addFiles(event.dataTransfer.files);
  };

  return (
    <form
      className={dragging ? "composer card dragging" : "composer card"}
      aria-label={t("feed.compose.title")}
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes("Files")) {
          e.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={drop}
    >
      {!channelId && !related && channels && (
        <label className="composer-channel">
          <span>{t("feed.compose.channel")}</span>
          <select value={target ?? ""} onChange={(e) => setPicked(e.target.value)} name="channel">
            {channels.map((c) => (
              <option key={c.id} value={c.id}>
                # {c.name}
              </option>
            ))}
          </select>
        </label>
      )}
      <MentionTextarea
        name="text"
        value={text}
        onChange={setText}
        label={t("feed.compose.label")}
        placeholder={t("feed.compose.placeholder")}
        onSubmit={() => void submit()}
      />
      {files.length > 0 && (
        <ul className="attachment-chips">
          {files.map((file) => (
            <li key={file.id} className="chip">
              <Icon path={PAPERCLIP} size={14} />
              <span>{file.name}</span>
              <span className="muted">{formatSize(file.size, t.locale)}</span>
              <button
                type="button"
                className="button ghost small icon-only"
                aria-label={t("feed.file.remove", { name: file.name })}
                onClick={() => setFiles((f) => f.filter((x) => x.id !== file.id))}
              >
                <Icon path={ICONS.close} size={14} />
              </button>
            </li>
          ))}
        </ul>
      )}
      {problem && (
        <p className="banner danger" role="alert">
          {problem}
        </p>
      )}
      <div className="composer-actions">
        <input
          ref={input}
          type="file"
          multiple
          hidden
          aria-label={t("feed.file.attach")}
          onChange={(e) => {
            if (e.target.files) void addFiles(e.target.files);
            e.target.value = "";
          }}
        />
        <button type="button" className="button ghost small" onClick={() => input.current?.click()}>
          <Icon path={PAPERCLIP} size={16} />
          {t("feed.file.attach")}
        </button>
        <span className="hint">{uploading > 0 ? t("feed.file.uploading") : t("feed.compose.hint")}</span>
        <span className="spacer" />
        <button type="submit" className="button primary" disabled={busy || uploading > 0 || !text.trim()}>
          {t("feed.compose.post")}
        </button>
      </div>
    </form>
  );
}
