// The "Demos" overlay: one card per failure preset with its fixes as buttons, built from the preset
// list alone. A fix is a preset whose id extends the failure's ("overfitting-l2" fixes
// "overfitting"); a family with no such root (lr-too-high, lr-too-low, lr-adam, lr-schedule) takes
// as its failures the ids that share a prefix up to the second dash ("lr-too") and the rest as fixes.

import { el } from './dom.js';

const SENTENCE_END = /(?<=[.!?])\s+(?=[A-Z0-9“"(])/u;

/** The sentence of `description` that says what to watch (else its first sentence), whole. */
export function watchLine(description) {
  const sentences = String(description ?? '').trim().split(SENTENCE_END);
  return sentences.find((s) => /\bwatch/i.test(s)) ?? sentences[0];
}

/** `title` less a leading `rootTitle` and its separator, first letter capitalised ("Fixed with ReLU"). */
export function fixLabel(title, rootTitle) {
  let rest = title;
  if (rootTitle && title.startsWith(rootTitle)) rest = title.slice(rootTitle.length).replace(/^[\s,:;–—-]+/u, '');
  if (!rest) return title;
  return rest[0].toUpperCase() + rest.slice(1);
}

const segments = (id) => id.split('-');
const prefixUpTo = (id, n) => segments(id).slice(0, n).join('-');

/** The words `titles` all start with, less trailing words that only repeat `drop` ("too"). */
function commonTitle(titles, drop) {
  const split = titles.map((t) => t.split(/\s+/));
  const words = [];
  for (let i = 0; split.every((w) => i < w.length && w[i] === split[0][i]); i += 1) words.push(split[0][i]);
  while (words.length && drop.includes(words[words.length - 1].toLowerCase())) words.pop();
  return words.join(' ');
}

function rootedGroup(key, root, members) {
  const fixes = members.filter((p) => p !== root).map((p) => ({ id: p.id, label: fixLabel(p.title, root.title), title: p.title }));
  return { key, title: root.title, problems: [{ id: root.id, title: root.title, watch: watchLine(root.description) }], fixes };
}

function unrootedGroup(key, members) {
  const count = new Map();
  for (const p of members) count.set(prefixUpTo(p.id, 2), (count.get(prefixUpTo(p.id, 2)) ?? 0) + 1);
  const shared = members.filter((p) => segments(p.id).length > 2 && count.get(prefixUpTo(p.id, 2)) > 1);
  const problems = shared.length ? shared : members;
  const fixes = members.filter((p) => !problems.includes(p)).map((p) => ({ id: p.id, label: fixLabel(p.title, null), title: p.title }));
  const title = commonTitle(problems.map((p) => p.title), segments(prefixUpTo(problems[0].id, 2))) || problems[0].title;
  return { key, title, problems: problems.map((p) => ({ id: p.id, title: p.title, watch: watchLine(p.description) })), fixes };
}

/**
 * Group presets [{id, title, description}] into cards, in the order their families first appear:
 * [{key, title, problems: [{id, title, watch}], fixes: [{id, label, title}]}]. A preset with no
 * family (the spiral) makes a card with one problem and no fixes.
 */
export function groupPresets(presets) {
  const families = new Map();
  for (const p of presets) {
    const key = segments(p.id)[0];
    if (!families.has(key)) families.set(key, []);
    families.get(key).push(p);
  }
  return [...families].map(([key, members]) => {
    const root = members.find((r) => members.every((p) => p === r || p.id.startsWith(`${r.id}-`)));
    return root ? rootedGroup(key, root, members) : unrootedGroup(key, members);
  });
}

function pickButton(id, text, kind, title, onPick) {
  const button = el('button', { type: 'button', class: `preset-card-btn ${kind}`, testid: `preset-pick-${id}`, text, title });
  button.addEventListener('click', () => onPick(id));
  return button;
}

function card(group, onPick) {
  const plain = !group.fixes.length;
  const problems = group.problems.map((p) => el('div', { class: 'preset-card-problem' },
    group.problems.length > 1 ? el('strong', { class: 'preset-card-subtitle', text: p.title }) : null,
    el('p', { class: 'preset-card-watch', text: p.watch }),
    pickButton(p.id, plain ? 'Load this demo' : 'Show the problem', plain ? 'plain' : 'problem', p.title, onPick)));
  const fixes = plain ? null : el('div', { class: 'preset-card-fixes' },
    el('span', { class: 'preset-card-fixes-label', text: group.fixes.length > 1 ? 'Fixes' : 'Fix' }),
    ...group.fixes.map((f) => pickButton(f.id, f.label, 'fix', f.title, onPick)));
  const multi = group.problems.length > 1;
  return el('article', { class: multi ? 'preset-card multi' : 'preset-card', testid: `preset-card-${group.key}` },
    el('h3', { class: 'preset-card-title', text: group.title }), el('div', { class: 'preset-card-problems' }, ...problems), fixes);
}

/** Wire `button` to open the cards in `overlay` from `getPresets()`; a card's button calls `onPick(id)`. */
export function installPresetCards({ button, overlay, getPresets, getCurrent, onPick }) {
  const grid = el('div', { class: 'preset-cards-grid' });
  const close = el('button', { type: 'button', class: 'close-btn', testid: 'preset-cards-close', 'aria-label': 'Close the demos', text: '×' });
  overlay.append(el('div', { class: 'preset-cards-panel' },
    el('div', { class: 'preset-cards-head' }, el('h2', { text: 'Demos: a failure, then its fixes' }), close), grid));

  function hide() {
    if (overlay.hidden) return;
    overlay.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    button.focus();
  }

  function pick(id) {
    hide();
    onPick(id);
  }

  function show() {
    grid.replaceChildren(...groupPresets(getPresets()).map((g) => card(g, pick)));
    const current = getCurrent();
    for (const b of grid.querySelectorAll('.preset-card-btn')) {
      if (b.dataset.testid === `preset-pick-${current}`) b.setAttribute('aria-current', 'true');
    }
    overlay.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    close.focus();
  }

  button.addEventListener('click', () => (overlay.hidden ? show() : hide()));
  close.addEventListener('click', hide);
  overlay.addEventListener('click', (event) => {
    if (event.target === overlay) hide(); // a click on the backdrop, not on the panel
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !overlay.hidden) {
      event.preventDefault();
      hide();
    }
  });
}
