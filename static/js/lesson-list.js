// The Lessons overlay: every lesson the server offers (GET /api/lessons) as a card with its
// summary and length, and, for whoever writes lessons, the files it could not read and why.
import { api } from './api.js';
import { el } from './dom.js';

/** Wire `button` to open the list; picking a lesson calls `onPick(id)`. */
export function createLessonList({ button, onPick, toast }) {
  const grid = el('div', { class: 'lesson-list-grid', testid: 'lesson-list-items' });
  const problems = el('div', { class: 'lesson-list-problems', testid: 'lesson-list-invalid' });
  const close = el('button', { type: 'button', class: 'close-btn', testid: 'lesson-list-close', 'aria-label': 'Close the lessons', text: '×' });
  const overlay = el('div', { class: 'lesson-list', testid: 'lesson-list', role: 'dialog', 'aria-modal': 'true', 'aria-label': 'Lessons', hidden: true },
    el('div', { class: 'lesson-list-panel' },
      el('div', { class: 'lesson-list-head' }, el('h2', { text: 'Lessons: guess, run, see why' }), close),
      grid, problems));
  document.getElementById('app').append(overlay);

  function hide() {
    if (overlay.hidden) return;
    overlay.hidden = true;
    button.setAttribute('aria-expanded', 'false');
  }

  function card(item) {
    const start = el('button', { type: 'button', class: 'lesson-list-start', testid: `lesson-open-${item.id}`,
      text: `Start · ${item.steps} steps` });
    start.addEventListener('click', () => {
      hide();
      onPick(item.id);
    });
    return el('article', { class: 'lesson-card' },
      el('h3', { text: item.title }), el('p', { text: item.summary }), start);
  }

  async function show() {
    let body;
    try {
      body = await api.lessons();
    } catch (err) {
      toast(`Lessons unavailable: ${err.message}`, 'warn');
      return;
    }
    grid.replaceChildren(...body.lessons.map(card));
    problems.hidden = !body.invalid.length;
    problems.replaceChildren(...(body.invalid.length
      ? [el('h3', { text: 'Lesson files that could not be read' }),
        ...body.invalid.map((f) => el('p', {}, el('code', { text: f.file }), ` ${f.error}`))]
      : []));
    overlay.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    grid.querySelector('button')?.focus();
  }

  button.addEventListener('click', () => (overlay.hidden ? show() : hide()));
  close.addEventListener('click', hide);
  overlay.addEventListener('click', (event) => {
    if (event.target === overlay) hide();
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !overlay.hidden) {
      event.preventDefault();
      hide();
    }
  });
  return { show, hide };
}
