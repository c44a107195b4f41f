// @ts-check
// RPS Quest web UI: plain DOM, talks to /api/v1.
import { setupCamera } from './camera.js';
import { byId } from './dom.js';

/** @import { GameReply, MoveReply, StartGameReply } from '../../core/game-api.ts' */
/** @import { Move } from './gesture.js' */
/** @typedef {GameReply} Game */
/** @typedef {MoveReply} Outcome */
/** @typedef {'click' | 'key' | 'camera'} InputMethod */
/** @typedef {Game['values']} Values */
/** What a game shows when it is entered (a stored game, or one just started): @typedef {Pick<Game, 'gameId' | 'bot' | 'displayName' | 'player' | 'playerHp' | 'botHp' | 'round' | 'values'> & { rounds: PlayedRound[] }} GameStart */
/** A round in the history (stored, or the outcome of a move just played): @typedef {Pick<Outcome, 'round' | 'playerMove' | 'botMove' | 'playerGain' | 'botGain'> & { result: string }} PlayedRound */
/** What this page shows of `GET /api/v1/bots` (app/routes/bots.ts): @typedef {{ model: string; displayName: string; algorithm: string; games: number; winRate: number | null }} BotEntry */

/** @type {readonly Move[]} */
const MOVES = ['rock', 'paper', 'scissors'];
/** @type {Record<string, string>} */
const ALGORITHMS = {
  mlp: 'neural network',
  gbdt: 'boosted trees',
  logistic: 'logistic regression',
};
const $ = byId;

const state = {
  /** @type {string | null} */
  gameId: null,
  round: 1,
  /** @type {Values} */
  values: null,
  /** @type {string | null} */
  bot: null,
  botName: 'Bot',
  /** @type {PlayedRound[]} */
  history: [],
  busy: false,
};

/** @param {string} message */
function showError(message) {
  const el = $('error');
  el.textContent = message;
  el.hidden = !message;
}

/** A reply other than 2xx: its status and the server's message. */
class ApiError extends Error {
  /** @param {string} message @param {number} status */
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

/**
 * The JSON reply of an API call, typed by the caller as the route's reply schema.
 * @template T
 * @param {string} path
 * @param {RequestInit} [options]
 * @returns {Promise<T>}
 */
async function api(path, options = {}) {
  const res = await fetch(path, {
    ...options,
    headers: options.body ? { 'content-type': 'application/json' } : {},
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(body.message || `HTTP ${res.status}`, res.status);
  return body;
}

const dmg = (/** @type {number} */ value) => Math.round(value * 10);
const message = (/** @type {unknown} */ err) => (err instanceof Error ? err.message : String(err));

// the end panel lies over the finished game
/** @param {'pick' | 'play' | 'end'} section */
function show(section) {
  $('pick').hidden = section !== 'pick';
  $('play').hidden = section === 'pick';
  $('end').hidden = section !== 'end';
}

async function loadBots() {
  const container = $('bots');
  try {
    /** @type {{ bots: BotEntry[] }} */
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
        const [name, kind, rateText] = card.children;
        if (name) name.textContent = b.displayName;
        if (kind) kind.textContent = ALGORITHMS[b.algorithm] || b.algorithm;
        if (rateText) rateText.textContent = rate;
        card.setAttribute('aria-label', `Play ${b.displayName}, ${rate}`);
        card.addEventListener('click', () => startGame(b.model));
        return card;
      }),
    );
  } catch (err) {
    container.textContent = '';
    showError(`Could not load the bots: ${message(err)}`);
  }
}

/**
 * A fighter's name and HP bar from the #fighter template, its parts given the ids setHp and
 * enterGame use (`<side>-label`, `<side>-hp-text`, `<side>-hp-bar`, `<side>-hp-fill`).
 * @param {'player' | 'bot'} side @param {string} name @param {string} barLabel
 */
function fighter(side, name, barLabel) {
  const template = /** @type {HTMLTemplateElement} */ ($('fighter'));
  const node = /** @type {HTMLElement} */ (template.content.firstElementChild?.cloneNode(true));
  /** @param {string} selector @param {string} id */
  const part = (selector, id) => {
    const e = /** @type {HTMLElement} */ (node.querySelector(selector));
    e.id = `${side}-${id}`;
    return e;
  };
  part('.fighter-label', 'label').textContent = name;
  part('.hp-text', 'hp-text');
  part('.hp', 'hp-bar').setAttribute('aria-label', barLabel);
  part('.hp-fill', 'hp-fill').classList.add(side);
  return node;
}
$('fighters').append(fighter('player', 'You', 'Your HP'), fighter('bot', 'Bot', 'Bot HP'));

/** @param {'player' | 'bot'} side @param {number} hp */
function setHp(side, hp) {
  const clamped = Math.max(0, Math.min(100, hp));
  $(`${side}-hp-fill`).style.width = `${clamped}%`;
  $(`${side}-hp-fill`).classList.toggle('low', clamped <= 30);
  $(`${side}-hp-text`).textContent = `${Math.round(clamped)} HP`;
  $(`${side}-hp-bar`).setAttribute('aria-valuenow', String(Math.round(clamped)));
}

/** @param {number} round @param {Values} values */
function setRound(round, values) {
  state.round = round;
  state.values = values;
  $('round-label').textContent = `Round ${round}`;
  for (const m of MOVES) {
    const label = document.querySelector(`[data-dmg="${m}"]`);
    if (label) label.textContent = values ? `${dmg(values[m])} dmg` : '–';
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

/** @param {GameStart} game */
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
  setRound(game.round ?? 1, game.values);
  $('last-result').textContent = `${game.displayName} is ready. Pick a move.`;
  renderHistory();
  setBusy(false);
  show('play');
}

/** @param {string} bot */
async function startGame(bot) {
  showError('');
  const player = $('player-name', HTMLInputElement).value.trim();
  try {
    /** @type {StartGameReply} */
    const game = await api('/api/v1/games', {
      method: 'POST',
      body: JSON.stringify(player ? { bot, player } : { bot }),
    });
    enterGame({ ...game, player: player || null, rounds: [] });
  } catch (err) {
    showError(`Could not start a game: ${message(err)}`);
  }
}

/** @param {boolean} busy */
function setBusy(busy) {
  state.busy = busy;
  for (const b of document.querySelectorAll('button.move'))
    /** @type {HTMLButtonElement} */ (b).disabled = busy;
}

// how the move was entered (click, key or camera), stored with it
/** @param {Move} move @param {InputMethod} input */
async function play(move, input) {
  if (state.busy || !state.gameId) return;
  setBusy(true);
  showError('');
  try {
    /** @type {Outcome} */
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
    setRound(r.nextRound ?? r.round + 1, r.nextValues);
    setBusy(false);
  } catch (err) {
    showError(message(err));
    const gone = err instanceof ApiError && (err.status === 409 || err.status === 404);
    if (gone && state.gameId) await resume(state.gameId);
    else setBusy(false);
  }
}

/** @param {Outcome} r */
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

const fmt = (/** @type {number} */ score) => (Math.round(score * 10) / 10).toString();

/** @param {string} gameId */
async function resume(gameId) {
  try {
    /** @type {Game} */
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

/** @type {Record<string, Move>} */
const KEYS = { r: 'rock', p: 'paper', s: 'scissors', 1: 'rock', 2: 'paper', 3: 'scissors' };
for (const button of document.querySelectorAll('button.move')) {
  const move = MOVES.find((m) => m === /** @type {HTMLElement} */ (button).dataset.move);
  if (move) button.addEventListener('click', () => play(move, 'click'));
}
document.addEventListener('keydown', (e) => {
  if ($('play').hidden || !$('end').hidden) return;
  const move = KEYS[e.key];
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
