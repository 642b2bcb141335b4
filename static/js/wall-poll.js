// Predict then reveal, the instructor's side on the wall: ask the room a question (2–4 choices,
// each may change one setting), watch the votes come in, close the vote, then reveal: the run
// branches into the choices from the same checkpoint and the branches train overlaid on one chart.

import { el } from './dom.js';
import { roomApi } from './room-api.js';
import { state } from './state.js';
import { drawBranches } from './wall-draw.js';
import { PATCHABLE, branchColor, choicePatch, describePatch, voteShares } from './wall-model.js';
import { fmt } from './format.js';

const MAX_CHOICES = 4;
const MIN_CHOICES = 2;

/** The poll board and its ask form: {element, askButton, update(poll, branches, ink), onChange(fn)}. */
export function createPollBoard({ toast, pause }) {
  let changed = () => {};
  const askButton = el('button', { type: 'button', class: 'wall-btn wall-ask', testid: 'poll-ask-open', text: 'Ask the room' });
  const parts = {
    question: el('h3', { class: 'poll-question', testid: 'poll-question' }),
    meta: el('span', { class: 'poll-meta', testid: 'poll-meta' }),
    bars: el('ol', { class: 'poll-bars', testid: 'poll-bars' }),
    close: button('Close voting', 'poll-close'),
    reveal: button('Reveal: branch my run', 'poll-reveal'),
    end: button('End question', 'poll-end'),
    chart: el('canvas', { class: 'poll-chart', testid: 'poll-chart', hidden: true }),
    legend: el('ul', { class: 'poll-legend', testid: 'poll-legend' }),
  };
  const element = el('section', { class: 'wall-poll', testid: 'wall-poll', hidden: true, 'aria-label': 'Question to the room' },
    el('div', { class: 'poll-top' }, parts.question, parts.meta),
    el('div', { class: 'poll-main' }, parts.bars, el('div', { class: 'poll-branches' }, parts.chart, parts.legend)),
    el('div', { class: 'poll-actions' }, parts.close, parts.reveal, parts.end));
  const form = askForm();
  element.append(form.element);

  async function act(work) {
    try {
      await work();
    } catch (err) {
      toast(err.message);
    }
    changed();
  }
  parts.close.addEventListener('click', () => act(() => roomApi('POST', '/api/room/poll/close')));
  parts.end.addEventListener('click', () => act(() => roomApi('DELETE', '/api/room/poll')));
  parts.reveal.addEventListener('click', () => act(async () => {
    if (!state.session) throw new Error('no run of your own yet to branch');
    await roomApi('POST', '/api/room/poll/reveal', { id: state.session.id, token: state.session.token });
  }));
  askButton.addEventListener('click', () => form.show());

  function update(poll, branches, ink) {
    const asking = !form.element.hidden;
    element.hidden = !poll && !asking;
    element.dataset.state = poll ? (poll.revealed ? 'revealed' : poll.open ? 'open' : 'closed') : 'none';
    element.dataset.branchEpoch = String(poll?.branch_epoch ?? '');
    for (const node of [parts.question.parentElement, parts.bars.parentElement, parts.end.parentElement]) node.hidden = !poll || asking;
    if (!poll || asking) {
      parts.chart.hidden = true;
      parts.legend.replaceChildren();
      return;
    }
    parts.question.textContent = poll.question;
    parts.meta.textContent = `${poll.voters} voted · ${poll.revealed ? `branched at epoch ${poll.branch_epoch}` : poll.open ? 'voting open' : 'voting closed'}`;
    const shares = voteShares(poll.counts);
    parts.bars.replaceChildren(...poll.choices.map((choice, i) => {
      const fill = el('span', { class: 'poll-fill' });
      fill.style.width = `${Math.round(shares[i].share * 100)}%`;
      if (poll.revealed) fill.style.background = branchColor(i);
      const change = describePatch(choice.patch);
      return el('li', { class: `poll-bar${shares[i].leading ? ' is-leading' : ''}`, 'data-count': shares[i].count, testid: 'poll-bar' },
        el('span', { class: 'poll-label', text: choice.label }),
        change ? el('span', { class: 'poll-change', text: change }) : null,
        el('span', { class: 'poll-track' }, fill),
        el('span', { class: 'poll-count', testid: 'poll-count', text: String(shares[i].count) }));
    }));
    parts.close.hidden = !poll.open;
    parts.reveal.hidden = poll.revealed;
    parts.chart.hidden = !branches.length;
    parts.legend.replaceChildren(...branches.map((b) => {
      const dot = el('span', { class: 'wall-swatch', 'aria-hidden': 'true' });
      dot.style.background = branchColor(b.choice);
      const last = b.loss.val.at(-1);
      return el('li', { testid: 'poll-branch', 'data-epoch': b.epoch }, dot, el('span', { text: b.label }),
        el('span', { class: 'poll-branch-fig', text: `epoch ${b.epoch} · val loss ${fmt(last)}` }));
    }));
    if (branches.length) drawBranches(parts.chart, branches, poll.branch_epoch ?? 0, ink);
  }

  // ---- the ask form ------------------------------------------------------------------------------
  function askForm() {
    const question = el('input', { class: 'ask-question', testid: 'ask-question', maxlength: 160, required: true,
      placeholder: 'Learning rate × 10: what happens?', 'aria-label': 'Question' });
    const rows = el('ol', { class: 'ask-choices' });
    const add = el('button', { type: 'button', class: 'wall-btn', testid: 'ask-add', text: '+ Choice' });
    const template = el('button', { type: 'button', class: 'wall-btn', testid: 'ask-template', text: 'Learning rate × 10 / ÷ 10' });
    const submit = el('button', { type: 'submit', class: 'wall-btn wall-primary', testid: 'ask-submit', text: 'Pause my run and ask' });
    const cancel = el('button', { type: 'button', class: 'wall-btn', testid: 'ask-cancel', text: 'Cancel' });
    const node = el('form', { class: 'ask-form', testid: 'ask-form', hidden: true },
      el('label', { class: 'ask-field' }, el('span', { text: 'Question' }), question),
      el('p', { class: 'ask-hint', text: 'Each choice may change one setting: revealing branches your run into the choices.' }),
      rows, el('div', { class: 'poll-actions' }, add, template, submit, cancel));

    function choiceRow(text = '', path = '', value = '') {
      const labelInput = el('input', { class: 'ask-label', testid: 'ask-label', maxlength: 60, value: text, placeholder: 'Answer', 'aria-label': 'Choice' });
      const setting = el('select', { class: 'ask-setting', testid: 'ask-setting', 'aria-label': 'Setting this choice changes' },
        el('option', { value: '', text: 'no change' }),
        ...Object.entries(PATCHABLE).map(([p, spec]) => el('option', { value: p, text: spec.title })));
      setting.value = path;
      const valueInput = el('input', { class: 'ask-value', testid: 'ask-value', value, placeholder: 'value', 'aria-label': 'New value' });
      const remove = el('button', { type: 'button', class: 'close-btn', 'aria-label': 'Remove this choice', text: '×' });
      const row = el('li', {}, labelInput, setting, valueInput, remove);
      remove.addEventListener('click', () => {
        if (rows.children.length > MIN_CHOICES) row.remove();
      });
      row.read = () => ({ label: labelInput.value.trim(), patch: choicePatch(setting.value, valueInput.value) });
      return row;
    }
    const reset = (choices) => rows.replaceChildren(...choices.map((c) => choiceRow(...c)));
    add.addEventListener('click', () => {
      if (rows.children.length < MAX_CHOICES) rows.append(choiceRow());
    });
    template.addEventListener('click', () => {
      const lr = state.config?.training?.learning_rate ?? 0.01;
      question.value = 'Learning rate × 10 or ÷ 10: which ends lowest?';
      reset([['As it is', '', ''], ['× 10', 'training.learning_rate', String(Number((lr * 10).toPrecision(3)))],
        ['÷ 10', 'training.learning_rate', String(Number((lr / 10).toPrecision(3)))]]);
    });
    cancel.addEventListener('click', () => hide());
    node.addEventListener('submit', (event) => {
      event.preventDefault();
      act(async () => {
        const choices = [...rows.children].map((row) => row.read());
        if (choices.some((c) => !c.label)) throw new Error('every choice needs an answer text');
        pause?.();
        await roomApi('POST', '/api/room/poll', { question: question.value, choices });
        hide();
      });
    });
    function show() {
      if (!rows.children.length) reset([['', '', ''], ['', '', '']]);
      node.hidden = false;
      element.hidden = false;
      question.focus();
    }
    function hide() {
      node.hidden = true;
      changed();
    }
    return { element: node, show };
  }

  return { element, askButton, update, onChange: (fn) => { changed = fn; } };
}

function button(text, testid) {
  return el('button', { type: 'button', class: 'wall-btn', testid, text });
}
