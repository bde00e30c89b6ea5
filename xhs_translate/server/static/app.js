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
  else rows.push(['Cache', `${cache.reachable ? 'on' : 'unreachable'}: ${cache.path}`, cache.reachable ? '' : 'bad']);
  const s = status.stats;
  rows.push(['Since start', `${s.comments} texts, ${s.segments_translated} sentences translated, `
    + `${s.cache_hits} cache hits, ${s.cache_misses} misses`]);
  list.replaceChildren(...rows.flatMap(([name, value, tone]) => [element('dt', '', name), element('dd', tone || '', value)]));
}

// --- reading the input ----------------------------------------------------------------------------------
/** The comments to send: a pasted JSON thread as it is, or the text as one comment. */
function commentsFrom(text) {
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let data;
    try {
      data = JSON.parse(trimmed);
    } catch (e) {
      data = undefined; // not JSON: a comment that starts with a bracket, like "[doge] ..."
    }
    if (Array.isArray(data)) return data;
    if (data && typeof data === 'object') return Array.isArray(data.comments) ? data.comments : [data];
  }
  return [{ comment_id: 'pasted', content: text }];
}

/** Every comment of a translated thread with its depth: nested replies, or flat records by parent_comment_id. */
function walk(comments) {
  const out = [];
  const depthOf = new Map();
  const visit = (comment, depth) => {
    if (!comment || typeof comment !== 'object') return;
    const parent = comment.parent_comment_id;
    if (depth === 0 && parent && depthOf.has(String(parent))) depth = depthOf.get(String(parent)) + 1;
    if (comment.comment_id !== undefined) depthOf.set(String(comment.comment_id), depth);
    out.push({ comment, depth });
    for (const name of CHILDREN) {
      if (Array.isArray(comment[name])) comment[name].forEach((reply) => visit(reply, depth + 1));
    }
  };
  comments.forEach((comment) => visit(comment, 0));
  return out;
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
    result.replaceChildren(...rows.map(pair));
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
