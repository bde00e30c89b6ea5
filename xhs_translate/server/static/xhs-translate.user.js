// ==UserScript==
// @name         xhs-translate: notes and comments in your language
// @namespace    xhs-translate
// @version      __XHS_TRANSLATE_VERSION__
// @description  Translates Xiaohongshu / RedNote notes and comments in place with your own xhs-translate server. Offline: the text goes to your server only.
// @match        https://www.xiaohongshu.com/*
// @match        https://www.rednote.com/*
// @grant        GM_xmlhttpRequest
// @connect      __XHS_TRANSLATE_HOST__
// @run-at       document-idle
// @noframes
// @downloadURL  __XHS_TRANSLATE_DOWNLOAD__
// @updateURL    __XHS_TRANSLATE_DOWNLOAD__
// ==/UserScript==

/*
 * Served by `xhs-translate serve` at /xhs-translate.user.js, with the server's address written in. It sends the
 * title, description, comments and replies of the note you are reading to that server (POST /translate) and
 * nowhere else, and shows each translation under its original.
 *
 * How texts travel: the emoji <img>s, @mention links and hashtag links inside a text are replaced by
 * placeholders such as [xt0] before it is sent. The server protects [..] codes verbatim (its span logic), so
 * each text is sent whole: the server detects its language and cuts its sentences with all the context, and
 * one list item per text keeps a page to one request. The placeholders that come back are replaced by clones
 * of the original nodes, in their new places. Everything is inserted with text nodes and cloned nodes: no
 * string from the server or the page is ever parsed as HTML.
 *
 * With a userscript manager (Violentmonkey, Tampermonkey) requests go through GM_xmlhttpRequest, which needs no
 * CORS. Injected straight into a page, it falls back to fetch(), allowed by the server's --cors-origin.
 */
(() => {
  'use strict';

  const SERVER = '__XHS_TRANSLATE_SERVER__';
  const API_KEY = '__XHS_TRANSLATE_API_KEY__'; // written in when installed from /xhs-translate.user.js?api_key=KEY

  // Every selector of the site's markup, here and only here: a change of the site's markup is a one-line fix.
  // From the public extensions that read these pages (2025-2026): xhsTrans and red-trans (#detail-title,
  // #detail-desc .note-text, .comments-container .list-container, the /explore/{id} path), rednote_helper
  // (.comment-item, .comment-item-sub in .reply-container, .show-more, .note-text) and
  // xhs-translator-chrome-extension (.comment-item); emoji are <img class="note-content-emoji">, mentions
  // <a class="note-content-user">, hashtags <a class="tag">: every <img> and <a> in a text is kept as it is.
  const SITE = {
    notePath: /^\/(?:explore|discovery\/item)\/[0-9A-Za-z]+/,
    title: '#detail-title',
    description: '#detail-desc .note-text',
    comment: '.comments-container .list-container .comment-item',
    reply: '.reply-container .comment-item-sub',
    text: '.note-text',
    keep: 'img, a',
  };

  const NAME = 'xhs-translate'; // the class of our translations; our other elements' classes start with it
  const STORAGE_KEY = 'xhs-translate';
  const TARGETS = { en: 'EN', 'zh-Hans': '简', 'zh-Hant': '繁' };
  const MAX_ITEMS = 100; // texts in one request: a page of comments goes in one or a few
  const MAX_CHARS = 20000;
  const QUIET_MS = 250; // a rescan waits for the page to be quiet this long...
  const MAX_WAIT_MS = 1000; // ...but never longer than this after the first change
  const RETRY_MIN_MS = 5000; // after a failed request, retry in 5 s, 10 s, 20 s ... up to a minute
  const RETRY_MAX_MS = 60000;
  const TIMEOUT_MS = 120000;
  const RETRY_LATER = new Set([0, 403, 408, 429, 502, 503, 504]); // unreachable, refused for now, or busy
  const SPLIT = new Set([413, 500]); // a limit or one text failed: halve the batch to find it

  const settings = loadSettings();
  const state = new WeakMap(); // original element -> {source, target, div}
  let failures = 0;
  let retryAt = 0;
  let notice = null;
  let noticeDismissed = false;

  // --- settings ------------------------------------------------------------------------------------------
  function defaultTarget() {
    const lang = (navigator.language || 'en').toLowerCase();
    if (!lang.startsWith('zh')) return 'en';
    return /^zh-(hant|tw|hk|mo)/.test(lang) ? 'zh-Hant' : 'zh-Hans';
  }

  function loadSettings() {
    let saved = {};
    try {
      saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || '{}') || {};
    } catch (e) {
      saved = {}; // unreadable or blocked storage: the defaults
    }
    return {
      on: saved.on !== false,
      target: Object.prototype.hasOwnProperty.call(TARGETS, saved.target) ? saved.target : defaultTarget(),
    };
  }

  function saveSettings() {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(settings));
    } catch (e) {
      // storage blocked: the choice lasts for this page only
    }
  }

  // --- reading texts --------------------------------------------------------------------------------------
  function isOurs(node) {
    return node.nodeType === 1 && typeof node.className === 'string' && node.className.startsWith(NAME);
  }

  /** The text elements of the page, title first, then comments and replies in page order. */
  function textElements() {
    const found = new Set();
    const add = (el) => {
      if (el) found.add(el);
    };
    add(document.querySelector(SITE.title));
    add(document.querySelector(SITE.description));
    for (const item of document.querySelectorAll(`${SITE.comment}, ${SITE.reply}`)) {
      // the item's own text, not one of a reply nested inside it
      for (const text of item.querySelectorAll(SITE.text)) {
        if (text.closest(`${SITE.comment}, ${SITE.reply}`) === item) {
          add(text);
          break;
        }
      }
    }
    return [...found];
  }

  /** A placeholder prefix that the text does not contain: [xt0], or [xu0] if "[xt" is in the text, ... */
  function placeholderPrefix(raw) {
    for (const letter of 'tuvwyz') {
      if (!raw.includes(`[x${letter}`)) return `x${letter}`;
    }
    return null; // contains all of them: sent without placeholders
  }

  /** {text, keep, prefix}: the element's text with a placeholder for each kept node (emoji, mention, hashtag). */
  function extract(el) {
    const prefix = placeholderPrefix(el.textContent);
    const keep = [];
    let text = '';
    const walk = (node) => {
      for (const child of node.childNodes) {
        if (child.nodeType === Node.TEXT_NODE) {
          text += child.data;
        } else if (child.nodeType === Node.ELEMENT_NODE && !isOurs(child)) {
          if (child.tagName === 'BR') {
            text += '\n';
          } else if (prefix !== null && child.matches(SITE.keep)) {
            text += `[${prefix}${keep.length}]`;
            keep.push(child);
          } else {
            walk(child);
          }
        }
      }
    };
    walk(el);
    return { text, keep, prefix };
  }

  function hasWords(text, prefix) {
    const bare = prefix === null ? text : text.split(new RegExp(`\\[${prefix}\\d+\\]`)).join(' ');
    return /\p{L}/u.test(bare);
  }

  // --- writing translations -------------------------------------------------------------------------------
  function cloneKept(node) {
    const copy = node.cloneNode(true);
    copy.removeAttribute('id'); // ids stay unique on the page (a hashtag link has id="hash-tag")
    for (const inner of copy.querySelectorAll('[id]')) inner.removeAttribute('id');
    return copy;
  }

  /** The translation element: text nodes, and clones of the kept nodes where their placeholders came back. */
  function translationElement(job, translated, target, detected) {
    const div = document.createElement('div');
    div.className = NAME;
    div.lang = target;
    if (detected) div.dataset.from = detected;
    const used = new Set();
    let last = 0;
    if (job.prefix !== null) {
      for (const match of translated.matchAll(new RegExp(`\\[${job.prefix}(\\d+)\\]`, 'g'))) {
        const index = Number(match[1]);
        div.append(translated.slice(last, match.index));
        if (index < job.keep.length && !used.has(index)) {
          div.append(cloneKept(job.keep[index]));
          used.add(index);
        } else {
          div.append(match[0]);
        }
        last = match.index + match[0].length;
      }
    }
    div.append(translated.slice(last));
    job.keep.forEach((node, index) => {
      if (!used.has(index)) div.append(' ', cloneKept(node)); // never lose one, even if it did not come back
    });
    return div;
  }

  function mark(el, value, div, target, source) {
    el.dataset.xhsTranslate = value;
    if (div) el.after(div);
    state.set(el, { source, target, div });
  }

  /** Forget an element's translation (its text changed, the page dropped our element, or the target changed). */
  function reset(el) {
    const known = state.get(el);
    if (known && known.div) known.div.remove();
    const next = el.nextElementSibling;
    if (next && next.classList.contains(NAME)) next.remove();
    delete el.dataset.xhsTranslate;
    state.delete(el);
  }

  function upToDate(el, text) {
    const known = state.get(el);
    if (!known || !el.dataset.xhsTranslate) return false;
    if (known.target !== settings.target || known.source !== text) return false;
    return known.div === null || (known.div.isConnected && el.nextElementSibling === known.div);
  }

  // --- talking to the server ------------------------------------------------------------------------------
  function parseJson(text) {
    try {
      return JSON.parse(text);
    } catch (e) {
      return null;
    }
  }

  /** POST a JSON body; resolves {status, data}, status 0 when the server cannot be reached. Never rejects. */
  function post(path, body) {
    const url = SERVER + path;
    const payload = JSON.stringify(body);
    if (typeof GM_xmlhttpRequest === 'function') {
      return new Promise((resolve) => {
        const failed = () => resolve({ status: 0, data: null });
        GM_xmlhttpRequest({
          method: 'POST',
          url,
          data: payload,
          headers: { 'Content-Type': 'application/json' },
          timeout: TIMEOUT_MS,
          anonymous: true,
          onload: (r) => resolve({ status: r.status, data: parseJson(r.responseText) }),
          onerror: failed,
          ontimeout: failed,
          onabort: failed,
        });
      });
    }
    // A text/plain body needs no CORS preflight; the server reads it as JSON.
    const options = { method: 'POST', body: payload, headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
      credentials: 'omit', cache: 'no-store' };
    if (typeof AbortSignal.timeout === 'function') options.signal = AbortSignal.timeout(TIMEOUT_MS);
    return fetch(url, options).then(
      (r) => r.text().then((text) => ({ status: r.status, data: parseJson(text) }), () => ({ status: 0, data: null })),
      () => ({ status: 0, data: null }),
    );
  }

  function valid(data, count) {
    return data && Array.isArray(data.translatedText) && data.translatedText.length === count
      && data.translatedText.every((t) => typeof t === 'string');
  }

  /** Translate one batch of jobs; false when the server is down (the caller stops and retries later). */
  async function send(jobs, target) {
    const body = { q: jobs.map((j) => j.text), source: 'auto', target, format: 'text' };
    if (API_KEY) body.api_key = API_KEY;
    const { status, data } = await post('/translate', body);
    if (status === 200 && valid(data, jobs.length)) {
      serverUp();
      const detected = Array.isArray(data.detectedLanguage) ? data.detectedLanguage : [];
      jobs.forEach((job, i) => apply(job, data.translatedText[i], target, (detected[i] || {}).language));
      return true;
    }
    if (RETRY_LATER.has(status)) {
      serverDown(status, data);
      return false;
    }
    serverUp(); // it answered: reachable
    if ((SPLIT.has(status) || status === 200) && jobs.length > 1) {
      const half = jobs.length >> 1;
      return (await send(jobs.slice(0, half), target)) && send(jobs.slice(half), target);
    }
    for (const job of jobs) apply(job, null, target); // refused for good (e.g. an unsupported language)
    if (status !== 200 && !SPLIT.has(status)) showNotice(`the server refused: ${serverError(status, data)}`);
    return true;
  }

  function apply(job, translated, target, detected) {
    const el = job.el;
    if (!el.isConnected || el.dataset.xhsTranslate || target !== settings.target) return; // changed meanwhile
    if (extract(el).text !== job.text) return; // its text changed while it was away: the next scan sends it
    if (translated === null) mark(el, 'failed', null, target, job.text);
    else if (translated === job.text) mark(el, 'same', null, target, job.text);
    else mark(el, 'done', translationElement(job, translated, target, detected), target, job.text);
  }

  function serverError(status, data) {
    return data && typeof data.error === 'string' ? data.error.slice(0, 200) : `HTTP ${status}`;
  }

  function serverUp() {
    failures = 0;
    retryAt = 0;
    noticeDismissed = false;
    if (notice) notice.hidden = true;
  }

  function serverDown(status, data) {
    failures += 1;
    const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (failures - 1));
    retryAt = Date.now() + delay;
    const why = status === 0 ? `cannot reach the translation server at ${SERVER} (is xhs-translate serve running?)`
      : `the translation server said: ${serverError(status, data)}`;
    showNotice(`${why}; retrying in ${Math.round(delay / 1000)} s`);
    setTimeout(schedule, delay + 50);
  }

  // --- the scan -------------------------------------------------------------------------------------------
  function visible(el) {
    return el.getClientRects().length > 0;
  }

  /** The texts to send now: shown, on a note page, not translated for the current target yet. */
  function collect() {
    const jobs = [];
    for (const el of textElements()) {
      if (!visible(el)) continue;
      const job = extract(el);
      if (upToDate(el, job.text)) continue;
      if (el.dataset.xhsTranslate || state.has(el)) reset(el);
      if (!hasWords(job.text, job.prefix)) {
        mark(el, 'same', null, settings.target, job.text); // emoji or mentions only: nothing to translate
        continue;
      }
      jobs.push({ el, ...job });
    }
    return jobs;
  }

  function batches(jobs) {
    const out = [];
    let current = [];
    let chars = 0;
    for (const job of jobs) {
      if (current.length && (current.length >= MAX_ITEMS || chars + job.text.length > MAX_CHARS)) {
        out.push(current);
        current = [];
        chars = 0;
      }
      current.push(job);
      chars += job.text.length;
    }
    if (current.length) out.push(current);
    return out;
  }

  let running = false;
  let again = false;

  async function scan() {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        if (!settings.on || !SITE.notePath.test(location.pathname) || Date.now() < retryAt) return;
        const target = settings.target;
        for (const batch of batches(collect())) {
          if (!(await send(batch, target))) return;
        }
      } while (again);
    } finally {
      running = false;
    }
  }

  let timer = 0;
  let firstChange = 0;

  /** Rescan once the page is quiet for QUIET_MS, and at most MAX_WAIT_MS after the first change of a burst. */
  function schedule() {
    const now = Date.now();
    if (!timer) firstChange = now;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = 0;
      scan();
    }, Math.max(0, Math.min(QUIET_MS, firstChange + MAX_WAIT_MS - now)));
  }

  function ourMutation(m) {
    const target = m.target.nodeType === Node.ELEMENT_NODE ? m.target : m.target.parentElement;
    if (target && target.closest(`.${NAME}, .${NAME}-ui, .${NAME}-notice`)) return true;
    const nodes = [...m.addedNodes, ...m.removedNodes];
    return nodes.length > 0 && nodes.every(isOurs);
  }

  // --- the page furniture: style, toggle, notice ----------------------------------------------------------
  const STYLE = `
.${NAME} { margin: 4px 0 2px; padding-left: 8px; border-left: 2px solid #ff2442; opacity: .85;
  white-space: pre-wrap; overflow-wrap: anywhere; font-size: .95em; line-height: 1.45; }
.${NAME} img { height: 1.25em; width: auto; vertical-align: text-bottom; }
html.${NAME}-off .${NAME} { display: none; }
.${NAME}-ui, .${NAME}-notice { position: fixed; z-index: 2147483646; font: 12px/1.4 system-ui, sans-serif;
  color: #333; background: rgba(255,255,255,.94); border: 1px solid #ddd; border-radius: 16px;
  box-shadow: 0 1px 4px rgba(0,0,0,.12); }
.${NAME}-ui { right: 12px; bottom: 12px; display: flex; align-items: center; gap: 6px; padding: 3px 8px; }
.${NAME}-ui label { display: flex; align-items: center; gap: 4px; cursor: pointer; }
.${NAME}-ui select { font: inherit; border: 0; background: transparent; }
.${NAME}-notice { left: 12px; bottom: 12px; max-width: min(420px, calc(100vw - 24px)); padding: 6px 10px;
  border-radius: 8px; display: flex; gap: 8px; align-items: flex-start; }
.${NAME}-notice[hidden] { display: none; }
.${NAME}-notice button { font: inherit; border: 0; background: transparent; cursor: pointer; padding: 0 2px; }
`;

  function addStyle() {
    const style = document.createElement('style');
    style.className = `${NAME}-style`;
    style.textContent = STYLE;
    (document.head || document.documentElement).append(style);
  }

  function addToggle() {
    const ui = document.createElement('div');
    ui.className = `${NAME}-ui`;
    const label = document.createElement('label');
    label.title = 'xhs-translate: translate notes and comments with your own server';
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = settings.on;
    label.append(box, '译');
    const select = document.createElement('select');
    select.setAttribute('aria-label', 'Translate into');
    for (const [code, text] of Object.entries(TARGETS)) select.append(new Option(text, code, false, code === settings.target));
    box.addEventListener('change', () => {
      settings.on = box.checked;
      saveSettings();
      document.documentElement.classList.toggle(`${NAME}-off`, !settings.on);
      if (settings.on) schedule();
    });
    select.addEventListener('change', () => {
      settings.target = select.value;
      saveSettings();
      schedule(); // every text is out of date now: the scan replaces the translations
    });
    ui.append(label, select);
    document.body.append(ui);
    document.documentElement.classList.toggle(`${NAME}-off`, !settings.on);
  }

  function showNotice(message) {
    if (!notice) {
      notice = document.createElement('div');
      notice.className = `${NAME}-notice`;
      notice.setAttribute('role', 'status');
      const text = document.createElement('span');
      const close = document.createElement('button');
      close.type = 'button';
      close.textContent = '×';
      close.setAttribute('aria-label', 'Dismiss');
      close.addEventListener('click', () => {
        notice.hidden = true;
        noticeDismissed = true;
      });
      notice.append(text, close);
      document.body.append(notice);
    }
    notice.firstChild.textContent = `xhs-translate: ${message}`;
    notice.hidden = noticeDismissed;
  }

  // --- start ----------------------------------------------------------------------------------------------
  function start() {
    addStyle();
    addToggle();
    new MutationObserver((mutations) => {
      if (!mutations.every(ourMutation)) schedule();
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
    for (const name of ['pushState', 'replaceState']) { // navigation between notes without a page load
      const original = history[name];
      if (typeof original !== 'function') continue;
      history[name] = function patched(...args) {
        const result = original.apply(this, args);
        schedule();
        return result;
      };
    }
    window.addEventListener('popstate', schedule);
    schedule();
  }

  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start, { once: true });
})();
