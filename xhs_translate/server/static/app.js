// The page at GET /: paste a comment or a thread, read it translated side by side; the server's models and cache.
// Everything is written with textContent: nothing from the input or the server is parsed as HTML.
'use strict';

const CHILDREN = ['sub_comments', 'replies'];
const LANGUAGES = { en: 'English', zh: 'Chinese', zt: 'Chinese (traditional)', und: 'no language' };
const STATUSES = {
  same_language: 'already in the target language',
  no_text: 'nothing to translate',
  unsupported_language: 'no model for this language',
  failed: 'the translation failed',
};
const EXAMPLE = [
  {
    comment_id: 'c1', nickname: 'Jake from Ohio', content: 'Hi from Ohio! What should I post first? 🫡',
    sub_comments: [
      { comment_id: 'c2', nickname: '麻辣小兔', content: '欢迎欢迎！先交猫税 [doge] 这是这里的规矩' },
      { comment_id: 'c3', nickname: 'Jake from Ohio', content: 'Cat tax will be paid, thanks for the tips!' },
    ],
  },
  { comment_id: 'c4', nickname: '胡同里的猫', content: '你们那边现在几点了？我这里已经凌晨两点了 @Jake from Ohio' },
];

const $ = (id) => document.getElementById(id);

function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined && text !== null) el.textContent = String(text);
  return el;
}

function languageName(code) {
  return LANGUAGES[code] || code || '?';
}

async function call(path, body) {
  const options = body === undefined ? {} : {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  };
  let response;
  try {
    response = await fetch(path, options);
  } catch (e) {
    throw new Error('the server cannot be reached');
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error((data && data.error) || `HTTP ${response.status}`);
  return data;
}

// --- the server's status --------------------------------------------------------------------------------
async function loadStatus() {
  const list = $('status-list');
  let status;
  try {
    status = await call('/status');
  } catch (e) {
    list.replaceChildren(element('dt', '', 'Status'), element('dd', 'bad', e.message));
    return;
  }
  const rows = [
    ['Status', status.status === 'ok' ? 'ready' : status.status, status.status === 'ok' ? 'good' : 'bad'],
    ['Version', status.version],
    ['Models', status.models.length ? status.models.join(', ') : 'none installed (xhs-translate models install zh en)',
      status.models.length ? '' : 'bad'],
    ['Languages', status.languages.join(', ')],
  ];
  if (status.demo) rows.push(['DEMO', status.demo, 'bad']); // random-weight models: every translation is gibberish
  const cache = status.cache;
  if (!cache.enabled) rows.push(['Cache', 'off']);
  else rows.push(['Cache', `${cache.reachable ? 'on' : 'unreachable'}: ${cache.where}`, cache.reachable ? '' : 'bad']);
  const s = status.stats;
  rows.push(['Since start', `${s.comments} texts, ${s.segments_translated} sentences translated, `
    + `${s.cache_hits} cache hits, ${s.cache_misses} misses`]);
  list.replaceChildren(...rows.flatMap(([name, value, tone]) => [element('dt', '', name), element('dd', tone || '', value)]));
}

// --- reading the input ----------------------------------------------------------------------------------
// Text that starts the way a JSON thread does ({" or [{ or [" or [] ...), not like "[doge] ..." or "[笑哭R]".
const LOOKS_LIKE_JSON = /^(\{\s*["}]|\[\s*[[{"\]]|\[\s*$)/;

/** The comments to send: a pasted JSON thread as it is, or the text as one comment; an Error for text that
 * starts like a JSON thread but is not valid JSON (it is not sent as one comment). */
function commentsFrom(text) {
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let data;
    try {
      data = JSON.parse(trimmed);
    } catch (e) {
      if (LOOKS_LIKE_JSON.test(trimmed)) throw new Error(`this is not valid JSON (${e.message})`);
      data = undefined; // not JSON: a comment that starts with a bracket, like "[doge] ..."
    }
    if (Array.isArray(data)) return data;
    if (data && typeof data === 'object') return Array.isArray(data.comments) ? data.comments : [data];
  }
  return [{ comment_id: 'pasted', content: text }];
}

/** Every comment of a translated thread with its depth and note: nested replies (in their root's note), or flat
 * records by parent_comment_id (each with its own note_id). */
function walk(comments) {
  const out = [];
  const depthOf = new Map();
  const visit = (comment, depth, note) => {
    if (!comment || typeof comment !== 'object') return;
    const parent = comment.parent_comment_id;
    if (depth === 0 && parent && depthOf.has(String(parent))) depth = depthOf.get(String(parent)) + 1;
    if (comment.comment_id !== undefined) depthOf.set(String(comment.comment_id), depth);
    const own = comment.note_id === undefined || comment.note_id === null ? note : String(comment.note_id);
    out.push({ comment, depth, note: own });
    for (const name of CHILDREN) {
      if (Array.isArray(comment[name])) comment[name].forEach((reply) => visit(reply, depth + 1, own));
    }
  };
  comments.forEach((comment) => visit(comment, 0, ''));
  return out;
}

const PREVIEW_CHARS = 40; // a note without a title is headed by this much of its first comment (as html.py)

/** The start of a comment, whitespace collapsed, "…" where cut. */
function preview(text) {
  const words = typeof text === 'string' ? text.split(/\s+/).filter(Boolean).join(' ') : '';
  return words.length <= PREVIEW_CHARS ? words : `${words.slice(0, PREVIEW_CHARS).trimEnd()}…`;
}

/** Rows grouped by note, in the order notes first appear, headed as the CLI's HTML page heads them: the title,
 * else the start of the first comment, else the note's id. */
function byNote(rows) {
  const notes = new Map();
  for (const row of rows) {
    if (!notes.has(row.note)) notes.set(row.note, { id: row.note, title: '', preview: preview(row.comment.content), rows: [] });
    const note = notes.get(row.note);
    note.title = note.title || row.comment.note_title || row.comment.title || '';
    note.rows.push(row);
  }
  return [...notes.values()];
}

/** One collapsible block per note (closed, so a big export stays short), or the plain list for a single note. */
function render(rows) {
  const notes = byNote(rows);
  if (notes.length < 2) return rows.map(pair);
  return notes.map((note) => {
    const block = element('details', 'note');
    const summary = element('summary');
    const name = note.title || (note.preview ? `“${note.preview}”` : note.id ? `Note ${note.id}` : 'Without a note');
    summary.append(element('span', 'note-title', name),
      element('span', 'note-count', `${note.rows.length} comment${note.rows.length === 1 ? '' : 's'}`));
    block.append(summary);
    // the comments are built when the note is first opened: a 2,000-comment export renders 2,000 nodes at most once
    block.addEventListener('toggle', () => {
      if (block.open && block.childElementCount === 1) block.append(...note.rows.map(pair));
    });
    return block;
  });
}

// --- showing the result ---------------------------------------------------------------------------------
function side(kind, title, text, lang) {
  const box = element('div', `side ${kind}`);
  box.append(element('div', 'label', title));
  const body = element('p', 'text', text);
  if (lang && lang !== 'und') body.lang = lang === 'zt' ? 'zh-Hant' : lang;
  box.append(body);
  return box;
}

function pair({ comment, depth }) {
  const row = element('article', 'pair');
  row.dataset.depth = String(Math.min(depth, 3));
  const source = comment.source_lang;
  const status = comment.translation_status;
  const head = element('div', 'meta');
  if (comment.nickname) head.append(element('span', 'who', comment.nickname));
  head.append(element('span', `lang lang-${source || 'und'}`, `${languageName(source)}`));
  if (comment.target_lang && status !== 'no_text') head.append(element('span', 'arrow', `→ ${languageName(comment.target_lang)}`));
  if ((comment.translation_flags || []).includes('demo_model')) head.append(element('span', 'demo', 'DEMO'));
  row.append(head);
  const original = typeof comment.content === 'string' ? comment.content : JSON.stringify(comment.content ?? '');
  row.append(side('original', 'Original', original, source));
  if (typeof comment.translation === 'string') {
    row.append(side('translation', 'Translation', comment.translation, comment.target_lang));
  } else {
    row.append(side('translation none', 'Translation', STATUSES[status] || status || '—'));
  }
  return row;
}

async function translate(event) {
  event.preventDefault();
  const text = $('input').value;
  const state = $('state');
  const result = $('result');
  if (!text.trim()) {
    state.textContent = 'Paste a comment or a thread first.';
    return;
  }
  state.textContent = 'Translating…';
  const button = $('form').querySelector('button[type=submit]');
  button.disabled = true;
  const started = performance.now();
  try {
    const answer = await call('/thread', { comments: commentsFrom(text), target: $('target').value });
    const rows = walk(answer.comments);
    result.replaceChildren(...render(rows));
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const counts = Object.entries(answer.stats.statuses).map(([name, n]) => `${n} ${name.replace('_', ' ')}`).join(', ');
    state.textContent = `${rows.length} comment${rows.length === 1 ? '' : 's'} in ${seconds} s: ${counts}`;
  } catch (e) {
    state.textContent = `Error: ${e.message}`;
  } finally {
    button.disabled = false;
    loadStatus();
  }
}

document.addEventListener('DOMContentLoaded', () => {
  $('form').addEventListener('submit', translate);
  $('example').addEventListener('click', () => {
    $('input').value = JSON.stringify(EXAMPLE, null, 2);
    $('form').requestSubmit();
  });
  loadStatus();
});
