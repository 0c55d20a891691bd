import type { LocaleMessages } from "../../i18n";

const messages: LocaleMessages = {
  en: {
    "tab.similarLeads": "Similar",
    "similarLeads.none": "No similar leads.",
    "similarLeads.intro": "These leads look like this one. Tick the ones that are the same lead to merge them.",
    "similarLeads.choose": "Merge {name}",
    "similarLeads.keepsOldest": "The oldest lead is kept; its empty fields are filled from the others.",
    "similarLeads.merge": "Merge leads",
    "similarLeads.mergeCount.one": "Merge {count} lead",
    "similarLeads.mergeCount.few": "Merge {count} leads",
    "similarLeads.mergeCount.many": "Merge {count} leads",
    "similarLeads.mergeCount.other": "Merge {count} leads",
    "similarLeads.confirm.one": "Merge {count} lead with this one? “{kept}” (created {date}) is kept: it gets their history and missing details, the other is deleted.",
    "similarLeads.confirm.few": "Merge {count} leads with this one? “{kept}” (created {date}) is kept: it gets their history and missing details, the others are deleted.",
    "similarLeads.confirm.many": "Merge {count} leads with this one? “{kept}” (created {date}) is kept: it gets their history and missing details, the others are deleted.",
    "similarLeads.confirm.other": "Merge {count} leads with this one? “{kept}” (created {date}) is kept: it gets their history and missing details, the others are deleted.",
    "similarLeads.mergeNow": "Merge",
    "similarLeads.mergedBefore": "Merged into this lead",
    "duplicates.reason.company": "similar company",
  },
  ru: {
    "tab.similarLeads": "Похожие",
    "similarLeads.none": "Похожих лидов нет.",
    "similarLeads.intro": "Эти лиды похожи на этот. Отметьте те, что на самом деле тот же лид, чтобы объединить их.",
    "similarLeads.choose": "Объединить {name}",
    "similarLeads.keepsOldest": "Остаётся самый старый лид; его пустые поля заполняются из остальных.",
    "similarLeads.merge": "Объединить лиды",
    "similarLeads.mergeCount.one": "Объединить {count} лид",
    "similarLeads.mergeCount.few": "Объединить {count} лида",
    "similarLeads.mergeCount.many": "Объединить {count} лидов",
    "similarLeads.mergeCount.other": "Объединить {count} лида",
    "similarLeads.confirm.one": "Объединить {count} лид с этим? Остаётся «{kept}» (создан {date}): к нему переходят история и недостающие данные, другой удаляется.",
    "similarLeads.confirm.few": "Объединить {count} лида с этим? Остаётся «{kept}» (создан {date}): к нему переходят история и недостающие данные, остальные удаляются.",
    "similarLeads.confirm.many": "Объединить {count} лидов с этим? Остаётся «{kept}» (создан {date}): к нему переходят история и недостающие данные, остальные удаляются.",
    "similarLeads.confirm.other": "Объединить {count} лида с этим? Остаётся «{kept}» (создан {date}): к нему переходят история и недостающие данные, остальные удаляются.",
    "similarLeads.mergeNow": "Объединить",
    "similarLeads.mergedBefore": "Объединены с этим лидом",
    "duplicates.reason.company": "похожая компания",
  },
};

export default messages;
