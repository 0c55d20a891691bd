import type { LocaleMessages } from "../../i18n";

const messages: LocaleMessages = {
  en: {
    "tab.accountContacts": "Contacts",
    "accountContacts.none": "Nobody from this account is in Osprey yet.",
    "accountContacts.add": "Add a contact",
    "accountContacts.name": "Name",
    "accountContacts.job": "Job title",
    "accountContacts.email": "Email",
    "accountContacts.phone": "Phone",
  },
  ru: {
    "tab.accountContacts": "Контакты",
    "accountContacts.none": "Контактов этого контрагента в Osprey пока нет.",
    "accountContacts.add": "Добавить контакт",
    "accountContacts.name": "Имя",
    "accountContacts.job": "Должность",
    "accountContacts.email": "Email",
    "accountContacts.phone": "Телефон",
  },
};

export default messages;
