// The attendee's side of the room's questions and pushes: a vote card for the instructor's
// question (one vote, changeable until voting closes; the counts show only then, so nobody just
// follows the crowd) and a banner for what the instructor sent ("Load" configures your own run).

import { el } from './dom.js';
import { roomApi } from './room-api.js';
import { voteShares } from './wall-model.js';
import { createBranchesView } from './branches.js';

/** Install the vote card and push banner; returns {update(room)} for each /api/room reply. */
export function installAttendeeRoom({ root, toast, load, watchBranch }) {
  const card = el('section', { class: 'vote-card', testid: 'vote-card', hidden: true, 'aria-label': 'The instructor’s question' },
    el('p', { class: 'vote-kicker', text: 'The instructor asks' }),
    el('h2', { class: 'vote-question', testid: 'vote-question' }),
    el('ol', { class: 'vote-choices', testid: 'vote-choices' }),
    el('p', { class: 'vote-note', testid: 'vote-note' }),
    el('button', { type: 'button', class: 'vote-hide', testid: 'vote-hide', text: 'Hide' }));
  const branches = createBranchesView({ watch: watchBranch, toast });
  card.append(branches.element);
  const pushTitle = el('span', { class: 'push-title', testid: 'push-title' });
  const loadButton = el('button', { type: 'button', class: 'push-load', testid: 'push-load', text: 'Load' });
  const dismiss = el('button', { type: 'button', class: 'close-btn', testid: 'push-dismiss', 'aria-label': 'Dismiss', text: '×' });
  const banner = el('div', { class: 'push-banner', testid: 'push-banner', hidden: true, role: 'status' },
    el('span', { text: 'The instructor sent: ' }), pushTitle, loadButton, dismiss);
  root.append(card, banner);

  let poll = null;
  let push = null;
  let handledPush = null; // the id of the push loaded or dismissed
  let hiddenPoll = null; // the poll the attendee hid (a new question shows again)
  let watchingBranch = false;

  async function vote(choice) {
    try {
      poll = await roomApi('PUT', '/api/room/poll/vote', { poll: poll.id, choice });
      showPoll();
    } catch (err) {
      toast(err.message);
    }
  }

  let drawn = ''; // what the card shows: rebuilt only when it changes (a press is never lost)

  function showPoll() {
    card.hidden = !poll || hiddenPoll === poll.id || watchingBranch;
    if (!poll) return;
    const key = JSON.stringify([poll.id, poll.open, poll.revealed, poll.yours, poll.counts ?? null]);
    if (key === drawn) return;
    drawn = key;
    card.dataset.pollId = String(poll.id);
    card.dataset.state = poll.open ? 'open' : poll.revealed ? 'revealed' : 'closed';
    card.querySelector('.vote-question').textContent = poll.question;
    const shares = poll.counts ? voteShares(poll.counts) : null;
    const choices = poll.choices.map((choice, i) => {
      const mine = poll.yours === i;
      const button = el('button', { type: 'button', class: 'vote-choice', testid: 'vote-choice', 'aria-pressed': String(mine),
        disabled: !poll.open, 'data-choice': i },
      el('span', { class: 'vote-label', text: choice.label }),
      shares ? el('span', { class: 'vote-count', text: `${shares[i].count} vote${shares[i].count === 1 ? '' : 's'}` }) : null);
      button.addEventListener('click', () => vote(i));
      return el('li', {}, button);
    });
    card.querySelector('.vote-choices').replaceChildren(...choices);
    let note = 'Tap your prediction. You can change it until the instructor closes the vote.';
    if (poll.yours !== null && poll.open) note = 'Vote counted. You can still change it.';
    if (!poll.open) note = poll.revealed ? 'Revealed: each answer trains as a branch of the run, below.' : 'Voting closed: watch the wall.';
    card.querySelector('.vote-note').textContent = note;
  }

  function showPush() {
    banner.hidden = !push || push.id === handledPush;
    if (!push) return;
    banner.dataset.pushId = String(push.id);
    pushTitle.textContent = push.title;
  }

  loadButton.addEventListener('click', async () => {
    const sent = push;
    handledPush = sent.id;
    showPush();
    try {
      await load(sent.kind === 'preset' ? { preset: sent.preset } : { config: sent.config });
      toast(`Loaded: ${sent.title}. Press play.`, 'info', 4000);
    } catch (err) {
      toast(err.message);
    }
  });
  dismiss.addEventListener('click', () => {
    handledPush = push?.id ?? null;
    showPush();
  });
  card.querySelector('.vote-hide').addEventListener('click', () => {
    hiddenPoll = poll?.id ?? null;
    showPoll();
  });

  return {
    /** While the page watches a branch the card steps aside; it comes back afterwards. */
    setWatchingBranch(on) {
      watchingBranch = on;
      showPoll();
    },
    update(room) {
      const incoming = room.poll ?? null;
      if (incoming?.id !== poll?.id) hiddenPoll = null;
      poll = incoming;
      push = room.push ?? null;
      showPoll();
      showPush();
      if (!card.hidden) branches.update(poll);
    },
  };
}
