import type { LocaleMessages } from "../../i18n";

const messages: LocaleMessages = {
  en: {
    "tab.sharing": "Sharing",
    "sharing.intro":
      "Share this record with a colleague or a team beyond what their role lets them see: for reading, or for editing (not deleting).",
    "sharing.none": "Not shared with anyone beyond their roles.",
    "sharing.with": "Share with",
    "sharing.kind.user": "A user",
    "sharing.kind.team": "A team",
    "sharing.user": "User",
    "sharing.team": "Team",
    "sharing.access": "Access",
    "sharing.access.read": "Read",
    "sharing.access.edit": "Edit",
    "sharing.share": "Share",
    "sharing.stop": "Stop sharing with {name}",
    "sharing.shared": "Shared with {name}.",
    "sharing.stopped": "No longer shared with {name}.",
    "sharing.who": "Who",
    "sharing.since": "Since",
    "sharing.refused": "You may not share this record: only those who may change it by their role can.",
  },
  ru: {
    "tab.sharing": "Доступ",
    "sharing.intro":
      "Откройте запись коллеге или команде сверх того, что им даёт роль: для чтения или для правки (без удаления).",
    "sharing.none": "Сверх ролей запись никому не открыта.",
    "sharing.with": "Открыть",
    "sharing.kind.user": "Пользователю",
    "sharing.kind.team": "Команде",
    "sharing.user": "Пользователь",
    "sharing.team": "Команда",
    "sharing.access": "Доступ",
    "sharing.access.read": "Чтение",
    "sharing.access.edit": "Правка",
    "sharing.share": "Открыть доступ",
    "sharing.stop": "Закрыть доступ для {name}",
    "sharing.shared": "Доступ открыт: {name}.",
    "sharing.stopped": "Доступ закрыт: {name}.",
    "sharing.who": "Кому",
    "sharing.since": "С",
    "sharing.refused": "Открывать доступ к записи может только тот, кому роль позволяет её менять.",
  },
};

export default messages;
