// RPS Quest web UI: plain DOM, talks to /api/v1.
import { setupCamera } from './camera.js';

const MOVES = ['rock', 'paper', 'scissors'];
const ALGORITHMS = {
  mlp: 'neural network',
  gbdt: 'boosted trees',
  logistic: 'logistic regression',
};
const $ = (id) => document.getElementById(id);

const state = { gameId: null, round: 1, values: null, bot: null, botName: 'Bot', history: [], busy: false };

function showError(message) {
  const el = $('error');
  el.textContent = message;
  el.hidden = !message;
}

async function api(path, options = {}) {
  const res = await fetch(path, {
    ...options,
    headers: options.body ? { 'content-type': 'application/json' } : {},
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok)
    throw Object.assign(new Error(body.message || `HTTP ${res.status}`), { status: res.status, body });
  return body;
}

const dmg = (value) => Math.round(value * 10);

// the end panel lies over the finished game
function show(section) {
  $('pick').hidden = section !== 'pick';
  $('play').hidden = section === 'pick';
  $('end').hidden = section !== 'end';
}

async function loadBots() {
  const container = $('bots');
  try {
    const { bots } = await api('/api/v1/bots');
    container.replaceChildren(
      ...bots.map((b) => {
        const card = document.createElement('button');
        card.type = 'button';
        card.className = 'bot-card';
        card.dataset.bot = b.model;
        const rate =
          b.winRate === null ? 'no games yet' : `wins ${Math.round(b.winRate * 100)}% of ${b.games} games`;
        card.innerHTML =
          '<span class="bot-name"></span><span class="bot-kind"></span><span class="bot-rate"></span>';
        card.querySelector('.bot-name').textContent = b.displayName;
        card.querySelector('.bot-kind').textContent = ALGORITHMS[b.algorithm] || b.algorithm;
        card.querySelector('.bot-rate').textContent = rate;
        card.setAttribute('aria-label', `Play ${b.displayName}, ${rate}`);
        card.addEventListener('click', () => startGame(b.model));
        return card;
      }),
    );
  } catch (err) {
    container.textContent = '';
    showError(`Could not load the bots: ${err.message}`);
  }
}

function setHp(side, hp) {
  const clamped = Math.max(0, Math.min(100, hp));
  $(`${side}-hp-fill`).style.width = `${clamped}%`;
  $(`${side}-hp-fill`).classList.toggle('low', clamped <= 30);
  $(`${side}-hp-text`).textContent = `${Math.round(clamped)} HP`;
  $(`${side}-hp-bar`).setAttribute('aria-valuenow', String(Math.round(clamped)));
}

function setRound(round, values) {
  state.round = round;
  state.values = values;
  $('round-label').textContent = `Round ${round}`;
  for (const m of MOVES) {
    document.querySelector(`[data-dmg="${m}"]`).textContent = values ? `${dmg(values[m])} dmg` : '–';
  }
}

function renderHistory() {
  const list = $('history');
  list.replaceChildren(
    ...state.history
      .slice(-6)
      .reverse()
      .map((r) => {
        const li = document.createElement('li');
        li.className = `r-${r.result}`;
        const what =
          r.result === 'win'
            ? `you hit for ${dmg(r.playerGain)}`
            : r.result === 'lose'
              ? `${state.botName} hits for ${dmg(r.botGain)}`
              : 'draw, 5 each';
        li.textContent = `R${r.round}: ${r.playerMove} vs ${r.botMove} — ${what}`;
        return li;
      }),
  );
}

function enterGame(game) {
  state.gameId = game.gameId;
  state.bot = game.bot;
  state.botName = game.displayName;
  state.history = game.rounds || [];
  localStorage.setItem('rpsq.gameId', game.gameId);
  $('bot-label').textContent = game.displayName;
  $('player-label').textContent = game.player || 'You';
  setHp('player', game.playerHp);
  setHp('bot', game.botHp);
  setRound(game.round, game.values);
  $('last-result').textContent = `${game.displayName} is ready. Pick a move.`;
  renderHistory();
  setBusy(false);
  show('play');
}

async function startGame(bot) {
  showError('');
  const player = $('player-name').value.trim();
  try {
    const game = await api('/api/v1/games', {
      method: 'POST',
      body: JSON.stringify(player ? { bot, player } : { bot }),
    });
    enterGame({ ...game, player, rounds: [] });
  } catch (err) {
    showError(`Could not start a game: ${err.message}`);
  }
}

function setBusy(busy) {
  state.busy = busy;
  for (const b of document.querySelectorAll('.move')) b.disabled = busy;
}

// how the move was entered (click, key or camera), stored with it
async function play(move, input) {
  if (state.busy || !state.gameId) return;
  setBusy(true);
  showError('');
  try {
    const r = await api(`/api/v1/games/${state.gameId}/moves`, {
      method: 'POST',
      body: JSON.stringify({ round: state.round, move, input }),
    });
    state.history.push(r);
    renderHistory();
    setHp('player', r.playerHp);
    setHp('bot', r.botHp);
    const verdict =
      r.result === 'win'
        ? 'You win the round'
        : r.result === 'lose'
          ? `${state.botName} wins the round`
          : 'Draw';
    $('last-result').textContent = `${verdict}: your ${r.playerMove} vs ${state.botName}'s ${r.botMove}`;
    $('last-result').className = `last-result r-${r.result}`;
    if (r.finished) {
      finish(r);
      return;
    }
    setRound(r.nextRound, r.nextValues);
    setBusy(false);
  } catch (err) {
    showError(err.message);
    if (err.status === 409 || err.status === 404) await resume(state.gameId);
    else setBusy(false);
  }
}

function finish(r) {
  localStorage.removeItem('rpsq.gameId');
  const title =
    r.winner === 'player' ? 'You win!' : r.winner === 'bot' ? `${state.botName} wins` : "It's a tie";
  $('end-title').textContent = title;
  $('end').className = `end end-${r.winner}`;
  $('end-score').textContent =
    `You ${fmt(r.playerScore)} – ${fmt(r.botScore)} ${state.botName} after ${r.round} rounds`;
  $('end-detail').textContent =
    `HP left: you ${Math.round(r.playerHp)}, ${state.botName} ${Math.round(r.botHp)}`;
  $('end-version').textContent = r.version
    ? `${state.botName} played model version ${r.version} (${r.alias})`
    : `${state.botName} played without a trained model (uniform odds)`;
  setBusy(true);
  camera.stop();
  show('end');
  $('new-game').focus();
}

const fmt = (score) => (Math.round(score * 10) / 10).toString();

async function resume(gameId) {
  try {
    const g = await api(`/api/v1/games/${gameId}`);
    if (g.finished) {
      localStorage.removeItem('rpsq.gameId');
      return false;
    }
    enterGame(g);
    return true;
  } catch {
    localStorage.removeItem('rpsq.gameId');
    return false;
  }
}

for (const button of document.querySelectorAll('.move')) {
  button.addEventListener('click', () => play(button.dataset.move, 'click'));
}
document.addEventListener('keydown', (e) => {
  if ($('play').hidden || !$('end').hidden) return;
  const move = { r: 'rock', p: 'paper', s: 'scissors', 1: 'rock', 2: 'paper', 3: 'scissors' }[e.key];
  if (move) play(move, 'key');
});
const camera = setupCamera({
  play: (move) => play(move, 'camera'),
  canPlay: () => !state.busy && Boolean(state.gameId) && !$('play').hidden && $('end').hidden,
});
$('new-game').addEventListener('click', async () => {
  state.gameId = null;
  showError('');
  show('pick');
  await loadBots();
});

const saved = localStorage.getItem('rpsq.gameId');
if (!(saved && (await resume(saved)))) {
  show('pick');
  await loadBots();
}
