// The mail administration pages: email templates and subject rules.
const messages = {
  en: {
    "admin.mailTemplates": "Email templates",
    "admin.subjectRules": "Mail subject rules",
    "mailTemplates.title": "Email templates",
    "mailTemplates.new": "New template",
    "mailTemplates.editTitle": "Edit the template",
    "mailTemplates.none": "No templates yet.",
    "mailTemplates.name": "Name",
    "mailTemplates.subject": "Subject",
    "mailTemplates.body": "Text",
    "mailTemplates.mergeHelp":
      "Merge fields are filled from the record the email is written on; a field without a value becomes empty. Click one to add it to the text:",
    "mailTemplates.insert": "Add to the text",
    "subjectRules.title": "Mail subject rules",
    "subjectRules.intro":
      "Mail whose subject matches a rule's pattern is linked to the rule's record, or to the record the pattern's first group names (INV-(\\d+) links to that invoice).",
    "subjectRules.none": "No subject rules yet.",
    "subjectRules.name": "Name",
    "subjectRules.pattern": "Pattern (regular expression)",
    "subjectRules.recordType": "Record type",
    "subjectRules.record": "Record",
    "subjectRules.fixedRecord": "Always this record (empty: the one the match names)",
    "subjectRules.byMatch": "Named by the match",
    "subjectRules.new": "New rule",
    "subjectRules.add": "Add the rule",
    "subjectRules.patternHelp": "A Python regular expression, found anywhere in the subject, upper and lower case as written; e.g. INV-(\\d+) or DEAL-\\d+.",
  },
  ru: {
    "admin.mailTemplates": "Шаблоны писем",
    "admin.subjectRules": "Правила по теме письма",
    "mailTemplates.title": "Шаблоны писем",
    "mailTemplates.new": "Новый шаблон",
    "mailTemplates.editTitle": "Изменить шаблон",
    "mailTemplates.none": "Шаблонов пока нет.",
    "mailTemplates.name": "Название",
    "mailTemplates.subject": "Тема",
    "mailTemplates.body": "Текст",
    "mailTemplates.mergeHelp":
      "Поля подстановки заполняются из записи, по которой пишется письмо; поле без значения становится пустым. Нажмите на поле, чтобы добавить его в текст:",
    "mailTemplates.insert": "Добавить в текст",
    "subjectRules.title": "Правила по теме письма",
    "subjectRules.intro":
      "Письмо, тема которого подходит под шаблон правила, связывается с записью правила или с записью, которую называет первая группа шаблона (INV-(\\d+) — с этим счётом).",
    "subjectRules.none": "Правил пока нет.",
    "subjectRules.name": "Название",
    "subjectRules.pattern": "Шаблон (регулярное выражение)",
    "subjectRules.recordType": "Тип записи",
    "subjectRules.record": "Запись",
    "subjectRules.fixedRecord": "Всегда эта запись (пусто — та, что названа в теме)",
    "subjectRules.byMatch": "Названа в теме",
    "subjectRules.new": "Новое правило",
    "subjectRules.add": "Добавить правило",
    "subjectRules.patternHelp": "Регулярное выражение Python, ищется в любом месте темы с учётом регистра; например INV-(\\d+) или DEAL-\\d+.",
  },
};

export default messages;
