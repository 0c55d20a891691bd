import type { LocaleMessages } from "../../i18n";

// The chosen contacts a connection exports (Settings → Exchange, Settings → Google).
const messages: LocaleMessages = {
  en: {
    "sync.picker.chosen": "Contacts to export",
    "sync.picker.none": "None chosen yet.",
    "sync.picker.search": "Find a contact to add",
    "sync.picker.results": "Contacts found",
    "sync.picker.noMatch": "No contact matches.",
    "sync.picker.remove": "Remove {name}",
    "sync.picker.unknown": "A contact you can no longer see",
    "sync.picker.hint": "Only these contacts go to the account; type a name, an email or a phone.",
  },
  ru: {
    "sync.picker.chosen": "Контакты для выгрузки",
    "sync.picker.none": "Пока ни одного не выбрано.",
    "sync.picker.search": "Найти контакт, чтобы добавить",
    "sync.picker.results": "Найденные контакты",
    "sync.picker.noMatch": "Подходящих контактов нет.",
    "sync.picker.remove": "Убрать {name}",
    "sync.picker.unknown": "Контакт, который вам больше не виден",
    "sync.picker.hint": "В учётную запись попадут только эти контакты; введите имя, адрес или телефон.",
  },
};

export default messages;
