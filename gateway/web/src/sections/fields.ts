// Labels every sales record shares (owner, team, system fields), in both languages.
import type { LocaleMessages } from "../i18n";

const TAIL = {
  en: {
    id: "ID",
    owner_id: "Owner",
    team_id: "Team",
    version: "Version",
    created_at: "Created",
    updated_at: "Updated",
    created_by: "Created by",
  },
  ru: {
    id: "ID",
    owner_id: "Ответственный",
    team_id: "Команда",
    version: "Версия",
    created_at: "Создано",
    updated_at: "Изменено",
    created_by: "Кто создал",
  },
};

/** `entity.<entity>.field.<name>` for the shared fields, merged into a section's own messages. */
export function withSharedFields(entity: string, messages: LocaleMessages): LocaleMessages {
  const prefix = (labels: Record<string, string>) =>
    Object.fromEntries(Object.entries(labels).map(([name, label]) => [`entity.${entity}.field.${name}`, label]));
  return { en: { ...prefix(TAIL.en), ...messages.en }, ru: { ...prefix(TAIL.ru), ...messages.ru } };
}
