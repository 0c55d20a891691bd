import type { LocaleMessages } from "../../i18n";

const messages: LocaleMessages = {
  en: {
    "tab.tactics": "Tactics & competitors",
    "tactics.swot": "SWOT",
    "tactics.kind.strength": "Strengths",
    "tactics.kind.weakness": "Weaknesses",
    "tactics.kind.opportunity": "Opportunities",
    "tactics.kind.threat": "Threats",
    "tactics.add": "Add",
    "tactics.new": "Add to {kind}",
    "tactics.remove": "Remove “{text}”",
    "tactics.empty": "Nothing yet",
    "competitors.title": "Competitors",
    "competitors.account": "Competitor",
    "competitors.offer": "Their offer",
    "competitors.comparison": "How we compare",
    "competitors.add": "Add competitor",
    "competitors.remove": "Remove {name}",
    "competitors.none": "No competitors recorded for this deal.",
  },
  ru: {
    "tab.tactics": "Тактика и конкуренты",
    "tactics.swot": "SWOT",
    "tactics.kind.strength": "Сильные стороны",
    "tactics.kind.weakness": "Слабые стороны",
    "tactics.kind.opportunity": "Возможности",
    "tactics.kind.threat": "Угрозы",
    "tactics.add": "Добавить",
    "tactics.new": "Добавить в «{kind}»",
    "tactics.remove": "Убрать «{text}»",
    "tactics.empty": "Пока пусто",
    "competitors.title": "Конкуренты",
    "competitors.account": "Конкурент",
    "competitors.offer": "Их предложение",
    "competitors.comparison": "Сравнение с нами",
    "competitors.add": "Добавить конкурента",
    "competitors.remove": "Убрать {name}",
    "competitors.none": "Конкуренты по сделке не указаны.",
  },
};

export default messages;
