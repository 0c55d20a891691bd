// The tab's own words; the message view and compose dialog bring sections/mail's.
export default {
  en: {
    "tab.emails": "Emails",
    "recordEmails.none": "No emails with this record yet.",
    "recordEmails.new": "New email",
    "recordEmails.thread": "{count} messages",
    "recordEmails.sent": "Sent: {subject}",
  },
  ru: {
    "tab.emails": "Письма",
    "recordEmails.none": "Писем по этой записи пока нет.",
    "recordEmails.new": "Новое письмо",
    "recordEmails.thread": "Сообщений: {count}",
    "recordEmails.sent": "Отправлено: {subject}",
  },
};
