// @ts-check
// DOM helpers shared by the game page and the dashboard.

/**
 * The element with this id. A page without it is a broken page, so this throws rather than return null.
 * @template {HTMLElement} [T=HTMLElement]
 * @param {string} id
 * @param {new () => T} [type] the element's class, checked when given
 * @returns {T}
 */
export function byId(id, type) {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  if (type && !(e instanceof type)) throw new TypeError(`#${id} is not a ${type.name}`);
  return /** @type {T} */ (e);
}

/**
 * A new element with a class and text.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string} [className]
 * @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}
