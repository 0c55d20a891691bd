export default {
  en: {
    "tab.prices": "Prices",
    "prices.noLists": "There are no price lists yet.",
    "prices.list": "Price list",
    "prices.price": "Price",
    "prices.newPrice": "New price",
    "prices.newPriceIn": "New price in {list}",
    "prices.default": "default",
    "prices.set": "Set price",
  },
  ru: {
    "tab.prices": "Цены",
    "prices.noLists": "Прайс-листов пока нет.",
    "prices.list": "Прайс-лист",
    "prices.price": "Цена",
    "prices.newPrice": "Новая цена",
    "prices.newPriceIn": "Новая цена в «{list}»",
    "prices.default": "основной",
    "prices.set": "Задать цену",
  },
};
