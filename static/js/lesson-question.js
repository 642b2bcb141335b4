// A lesson step's text and question as elements: lesson markup always goes in as text nodes, the
// choices lock once one is chosen, and the verdict and explanation show once revealed.
import { el } from './dom.js';
import { parseMarkup, verdict } from './lesson-state.js';

const STYLE_TAG = { bold: 'strong', italic: 'em', code: 'code' };

/** Paragraph elements for `text` (lesson markup). */
export function richText(text) {
  return parseMarkup(text).map((runs) => el('p', {}, ...runs.map((r) => (r.style ? el(STYLE_TAG[r.style], { text: r.text }) : r.text))));
}

/**
 * Fill `box` with the step's question (`phase` from stepPhase; `chosen` the chosen index or null;
 * a click calls `onChoose(i)`) and `answer` with the verdict once the phase is 'reveal'.
 */
export function showQuestion({ box, answer, step, phase, chosen, onChoose }) {
  box.replaceChildren();
  answer.replaceChildren();
  answer.hidden = true;
  box.hidden = !step.question;
  if (!step.question) return;
  const revealed = phase === 'reveal';
  const result = chosen === null ? null : verdict(step.question, chosen);
  box.append(el('p', { class: 'lesson-prompt' }, ...richText(step.question.prompt).flatMap((p) => [...p.childNodes])));
  step.question.choices.forEach((choice, i) => {
    const b = el('button', { type: 'button', class: 'lesson-choice', text: choice.text, testid: `lesson-choice-${i}` });
    b.disabled = chosen !== null;
    if (i === chosen) b.dataset.chosen = 'true';
    if (revealed && i === result.right) b.dataset.right = 'true';
    b.addEventListener('click', () => onChoose(i));
    box.append(b);
  });
  if (!revealed) return;
  answer.hidden = false;
  answer.dataset.correct = String(result.correct);
  answer.append(el('strong', { class: 'lesson-verdict', testid: 'lesson-verdict',
    text: result.correct ? '✓ Right.' : `✗ Not quite: ${result.answer}.` }), ...richText(step.question.explanation));
}
