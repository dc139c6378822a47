// Small DOM helpers: the page is plain DOM, built from text nodes so that no tenant data is ever parsed as HTML.

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from index.html`);
  return element as T;
}

type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (name === 'class') element.className = value === true ? '' : value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

export function show(element: HTMLElement, visible: boolean): void {
  element.hidden = !visible;
}

/** Shows a message in a notice element, or hides it for null. */
export function notify(element: HTMLElement, message: string | null): void {
  element.textContent = message ?? '';
  element.hidden = message === null;
}

/**
 * Replaces a table body's rows. A link or button in it that had the focus gets it back in the new row
 * with the same key (the attribute named), so that live updates do not throw a keyboard user out.
 */
export function replaceRows(body: HTMLTableSectionElement, rows: HTMLTableRowElement[], keyAttribute: string): void {
  const focused = document.activeElement;
  const row = focused instanceof HTMLElement && body.contains(focused) ? focused.closest('tr') : null;
  const key = row?.getAttribute(keyAttribute);
  const index = row ? [...row.querySelectorAll('a, button')].indexOf(focused as Element) : -1;
  body.replaceChildren(...rows);
  if (key === null || key === undefined || index < 0) return;
  rows.find(r => r.getAttribute(keyAttribute) === key)?.querySelectorAll<HTMLElement>('a, button')[index]?.focus();
}
