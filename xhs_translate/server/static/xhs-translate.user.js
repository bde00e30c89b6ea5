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
 * One source, two builds. Served by `xhs-translate serve` at /xhs-translate.user.js, with the server's address
 * written in; built by `xhs-translate extension` into the browser extension's content script (its requests then go
 * through the extension's background worker, its settings come from the extension's options page).
 *
 * It sends the title, description, comments and replies of the note on screen (and, if asked, the titles of feed
 * and search cards) to that server (POST /translate) and nowhere else, and shows each translation under its
 * original. A note is wherever the site shows a note container, whatever the address: /explore/{id},
 * /discovery/item/{id}, /search_result/{id}?xsec_token=..., /user/profile/{uid}/{id}, the feed's overlay.
 *
 * How texts travel: the emoji <img>s, @mention links, hashtag links and the reply-to name ("回复 name：") inside a
 * text are replaced by placeholders such as [xt0] before it is sent. The server protects [..] codes verbatim (its
 * span logic), so each text is sent whole and one list item per text keeps a page to one request. The
 * placeholders that come back are replaced by clones of the original nodes; a hashtag's words travel as an item of
 * their own, and its clone keeps its link with the translated words. Everything is inserted with text nodes and
 * cloned nodes: no string from the server or the page is ever parsed as HTML.
 *
 * The reply composer gets one button: it translates the draft into the note's language in the box, keeps the
 * original beside it with an Undo, and never sends anything: sending stays the site's own button.
 *
 * With a userscript manager (Violentmonkey, Tampermonkey) requests go through GM_xmlhttpRequest, which needs no
 * CORS. Injected straight into a page, it falls back to fetch(), allowed by the server's --cors-origin.
 */
(() => {
  'use strict';

  const PLATFORM = '__XHS_TRANSLATE_PLATFORM__'; // 'extension' in the extension's build; the userscript otherwise
  const EXTENSION = PLATFORM === 'extension';
  const SERVER = '__XHS_TRANSLATE_SERVER__';
  const API_KEY = '__XHS_TRANSLATE_API_KEY__'; // written in when installed from /xhs-translate.user.js?api_key=KEY

  // Every selector of the site's markup, here and only here (the userscript and the extension share it): a change
  // of the site's markup is a one-line fix. Matched by class and id only, never by the interface's words, which
  // rednote.com shows in English and xiaohongshu.com in Chinese. From the public tools that read these pages
  // (2025-2026): xhsTrans and red-trans (#detail-title, #detail-desc .note-text, .comments-container
  // .list-container), rednote_helper (.comment-item, .comment-item-sub in .reply-container, .show-more, .note-text,
  // the reply-to .nickname), Playwright collectors (#noteContainer, .note-container, .note-detail-mask: a note
  // opened from the feed or search), WhiteSevs' 小红书优化 (the phone layout .narmal-note-container >
  // .note-view-container, without comments), scrapers' feed cards (.note-item .footer .title) and the comment box
  // (#content-textarea, contenteditable). Emoji are <img class="note-content-emoji">, mentions
  // <a class="note-content-user">, hashtags <a class="tag">: every <img> and <a> in a text is kept.
  const SITE = {
    note: '#noteContainer, .note-container, .note-detail-mask, .narmal-note-container, .note-view-container',
    title: '#detail-title, .note-view-container .note-content .title',
    description: '#detail-desc .note-text, .note-view-container .note-content .desc',
    comment: '.comments-container .list-container .comment-item',
    reply: '.reply-container .comment-item-sub',
    text: '.note-text',
    keep: 'img, a, .nickname, [contenteditable="false"]',
    hashtag: 'a.tag',
    siteTranslation: '[class*="translat"]', // rednote's own translation of a note: never translated again
    card: '.note-item .footer .title',
    composer: '#content-textarea, .content-input',
  };

  const NAME = 'xhs-translate'; // the class of our translations; our other elements' classes start with it
  const STORAGE_KEY = 'xhs-translate';
  const TARGETS = { en: 'EN', 'zh-Hans': '简', 'zh-Hant': '繁' };
  const TARGET_NAMES = { en: 'English', 'zh-Hans': '中文', 'zh-Hant': '中文（繁體）' };
  const MAX_ITEMS = 100; // texts in one request: a page of comments goes in one or a few
  const MAX_CHARS = 20000;
  const QUIET_MS = 250; // a rescan waits for the page to be quiet this long...
  const MAX_WAIT_MS = 1000; // ...but never longer than this after the first change
  const LOCATION_MS = 1000; // how often the address is compared: navigation seen without patching history
  const RETRY_MIN_MS = 5000; // after a failed request, retry in 5 s, 10 s, 20 s ... up to a minute
  const RETRY_MAX_MS = 60000;
  const TIMEOUT_MS = 120000;
  const RETRY_LATER = new Set([0, 403, 408, 429, 502, 503, 504]); // unreachable, refused for now, or busy
  const SPLIT = new Set([413, 500]); // a limit or one text failed: halve the batch to find it
  const DEMO_NOTICE = 'DEMO: random-weight models (models install --demo) wrote these translations; they are '
    + 'gibberish. Install real models for real translations.';

  let settings = null; // {server, apiKey, target, on, cards}, from loadSettings()
  const state = new WeakMap(); // original element -> {source, target, div}
  let failures = 0;
  let retryAt = 0;
  let notice = null;
  let noticeDismissed = false;
  let demoSeen = false;

  // --- settings ------------------------------------------------------------------------------------------
  // The userscript keeps them in the site's localStorage (one site, one switch); the extension in its own storage,
  // shared with its options page: {server, apiKey, target, cards, sites: {hostname: on}}.
  function defaultTarget() {
    const lang = (navigator.language || 'en').toLowerCase();
    if (!lang.startsWith('zh')) return 'en';
    return /^zh-(hant|tw|hk|mo)/.test(lang) ? 'zh-Hant' : 'zh-Hans';
  }

  function fromSaved(saved, on) {
    return {
      server: typeof saved.server === 'string' && saved.server ? saved.server.replace(/\/+$/, '') : SERVER,
      apiKey: typeof saved.apiKey === 'string' ? saved.apiKey : API_KEY,
      target: Object.prototype.hasOwnProperty.call(TARGETS, saved.target) ? saved.target : defaultTarget(),
      on: on !== false,
      cards: saved.cards === true,
    };
  }

  async function loadSettings() {
    if (EXTENSION) {
      const saved = await chrome.storage.local.get(null);
      return fromSaved(saved, (saved.sites || {})[location.hostname]);
    }
    let saved = {};
    try {
      saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || '{}') || {};
    } catch (e) {
      saved = {}; // unreadable or blocked storage: the defaults
    }
    return fromSaved({ target: saved.target, cards: saved.cards }, saved.on);
  }

  async function saveSettings() {
    if (EXTENSION) {
      const { sites } = await chrome.storage.local.get('sites');
      await chrome.storage.local.set({ target: settings.target, cards: settings.cards,
        sites: { ...(sites || {}), [location.hostname]: settings.on } });
      return;
    }
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify({ on: settings.on, target: settings.target, cards: settings.cards }));
    } catch (e) {
      // storage blocked: the choice lasts for this page only
    }
  }

  // --- reading texts --------------------------------------------------------------------------------------
  function isOurs(node) {
    return node.nodeType === 1 && typeof node.className === 'string' && node.className.startsWith(NAME);
  }

  function visible(el) {
    return el.getClientRects().length > 0;
  }

  /** The text elements to translate: in each note on screen, title, description, comments and replies in page
   * order; then the feed's card titles when asked. Never the site's own translation. */
  function textElements() {
    const found = new Set();
    const add = (el) => {
      if (el && !el.closest(SITE.siteTranslation)) found.add(el);
    };
    for (const note of document.querySelectorAll(SITE.note)) {
      if (!visible(note)) continue;
      add(note.querySelector(SITE.title));
      add(note.querySelector(SITE.description));
      for (const item of note.querySelectorAll(`${SITE.comment}, ${SITE.reply}`)) {
        // the item's own text, not one of a reply nested inside it, nor the site's translation of it
        for (const text of item.querySelectorAll(SITE.text)) {
          if (text.closest(`${SITE.comment}, ${SITE.reply}`) === item && !text.closest(SITE.siteTranslation)) {
            add(text);
            break;
          }
        }
      }
    }
    if (settings.cards) for (const title of document.querySelectorAll(SITE.card)) add(title);
    return [...found];
  }

  /** A placeholder prefix that the text does not contain: [xt0], or [xu0] if "[xt" is in the text, ... */
  function placeholderPrefix(raw) {
    for (const letter of 'tuvwyz') {
      if (!raw.includes(`[x${letter}`)) return `x${letter}`;
    }
    return null; // contains all of them: sent without placeholders
  }

  /** A hashtag link's words ("#成都美食" -> "成都美食"), or '' when it has none. */
  function hashtagWords(node) {
    const words = node.textContent.replace(/^[#\s]+|[#\s]+$/g, '');
    return /\p{L}/u.test(words) ? words : '';
  }

  /** {text, keep, prefix, tags}: the element's text with a placeholder for each kept node (emoji, mention, hashtag,
   * reply-to name), and the words of its hashtags, sent as items of their own. */
  function extract(el) {
    const prefix = placeholderPrefix(el.textContent);
    const keep = [];
    const tags = [];
    let text = '';
    const walk = (node) => {
      for (const child of node.childNodes) {
        if (child.nodeType === Node.TEXT_NODE) {
          text += child.data;
        } else if (child.nodeType === Node.ELEMENT_NODE && !isOurs(child) && !child.matches(SITE.siteTranslation)) {
          if (child.tagName === 'BR') {
            text += '\n';
          } else if (prefix !== null && child.matches(SITE.keep)) {
            text += `[${prefix}${keep.length}]`;
            keep.push(child);
            const words = child.matches(SITE.hashtag) ? hashtagWords(child) : '';
            if (words && !tags.includes(words)) tags.push(words);
          } else {
            walk(child);
          }
        }
      }
    };
    walk(el);
    return { text, keep, prefix, tags };
  }

  function hasWords(text, prefix) {
    const bare = prefix === null ? text : text.split(new RegExp(`\\[${prefix}\\d+\\]`)).join(' ');
    return /\p{L}/u.test(bare);
  }

  // --- writing translations -------------------------------------------------------------------------------
  /** A copy of a kept node for a translation: no ids (they stay unique on the page); a hashtag keeps its link and
   * class and gets its words translated ("#" + words), when they were. */
  function cloneKept(node, tagWords) {
    const copy = node.cloneNode(true);
    copy.removeAttribute('id');
    for (const inner of copy.querySelectorAll('[id]')) inner.removeAttribute('id');
    const words = node.matches(SITE.hashtag) ? hashtagWords(node) : '';
    const translated = words && tagWords && tagWords.get(words);
    if (translated && translated !== words) copy.textContent = `#${translated.trim()}`;
    return copy;
  }

  /** The nodes of a translation: text nodes, and clones of the kept nodes where their placeholders came back. */
  function translationNodes(job, translated, tagWords) {
    const nodes = [];
    const used = new Set();
    let last = 0;
    if (job.prefix !== null) {
      for (const match of translated.matchAll(new RegExp(`\\[${job.prefix}(\\d+)\\]`, 'g'))) {
        const index = Number(match[1]);
        nodes.push(translated.slice(last, match.index));
        if (index < job.keep.length && !used.has(index)) {
          nodes.push(cloneKept(job.keep[index], tagWords));
          used.add(index);
        } else {
          nodes.push(match[0]);
        }
        last = match.index + match[0].length;
      }
    }
    nodes.push(translated.slice(last));
    job.keep.forEach((node, index) => {
      if (!used.has(index)) nodes.push(' ', cloneKept(node, tagWords)); // never lose one, even if it did not come back
    });
    return nodes;
  }

  function translationElement(job, translated, target, detected, tagWords, demo) {
    const div = document.createElement('div');
    div.className = NAME;
    div.lang = target;
    if (detected) div.dataset.from = detected;
    if (demo) {
      div.dataset.demo = '';
      div.title = DEMO_NOTICE;
    }
    div.append(...translationNodes(job, translated, tagWords));
    return div;
  }

  function mark(el, value, div, target, source, detected) {
    el.dataset.xhsTranslate = value;
    if (div) el.after(div);
    state.set(el, { source, target, div, detected });
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

  /** Whether the browser keeps this page from the server on this machine (Chrome's Local Network Access
   * permission, blocked or never granted), rather than the server being down. */
  async function localNetworkBlocked() {
    try {
      const status = await navigator.permissions.query({ name: 'local-network-access' });
      return status.state !== 'granted';
    } catch (e) {
      return false; // a browser without that permission: nothing blocks it
    }
  }

  /** POST a JSON body; resolves {status, data, blocked}, status 0 when the server cannot be reached. Never rejects. */
  function post(path, body) {
    const payload = JSON.stringify(body);
    if (EXTENSION) { // the background worker holds the host permission for the server
      return chrome.runtime.sendMessage({ type: NAME, path, body: payload }).then(
        (r) => ({ status: r && typeof r.status === 'number' ? r.status : 0, data: r ? parseJson(r.text) : null }),
        () => ({ status: 0, data: null }),
      );
    }
    const url = settings.server + path;
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
    const unreachable = async () => ({ status: 0, data: null, blocked: await localNetworkBlocked() });
    return fetch(url, options).then(
      (r) => r.text().then((text) => ({ status: r.status, data: parseJson(text) }), unreachable),
      unreachable,
    );
  }

  function valid(data, count) {
    return data && Array.isArray(data.translatedText) && data.translatedText.length === count
      && data.translatedText.every((t) => typeof t === 'string');
  }

  /** POST /translate for a list of texts: {status, data, blocked}, data checked to hold one string per text. */
  async function translateTexts(texts, target) {
    const body = { q: texts, source: 'auto', target, format: 'text' };
    if (settings.apiKey) body.api_key = settings.apiKey;
    const answer = await post('/translate', body);
    if (answer.status === 200 && !valid(answer.data, texts.length)) return { ...answer, data: null };
    if (answer.status === 200 && answer.data.demo === true) showDemo();
    return answer;
  }

  /** Translate one batch of jobs (with their hashtags' words); false when the server is down (the caller stops
   * and retries later). */
  async function send(jobs, target) {
    const tags = [...new Set(jobs.flatMap((j) => j.tags))];
    const { status, data, blocked } = await translateTexts([...jobs.map((j) => j.text), ...tags], target);
    if (status === 200 && data) {
      serverUp();
      const detected = Array.isArray(data.detectedLanguage) ? data.detectedLanguage : [];
      const tagWords = new Map(tags.map((t, i) => [t, data.translatedText[jobs.length + i]]));
      jobs.forEach((job, i) => apply(job, data.translatedText[i], target, (detected[i] || {}).language, tagWords,
        data.demo === true));
      return true;
    }
    if (RETRY_LATER.has(status)) {
      serverDown(status, data, blocked);
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

  function apply(job, translated, target, detected, tagWords, demo) {
    const el = job.el;
    if (!el.isConnected || el.dataset.xhsTranslate || target !== settings.target) return; // changed meanwhile
    if (extract(el).text !== job.text) return; // its text changed while it was away: the next scan sends it
    if (translated === null) {
      mark(el, 'failed', null, target, job.text);
      return;
    }
    const tagsChanged = job.tags.some((t) => tagWords.get(t) && tagWords.get(t) !== t);
    if (translated === job.text && !tagsChanged) mark(el, 'same', null, target, job.text, detected);
    else mark(el, 'done', translationElement(job, translated, target, detected, tagWords, demo), target, job.text, detected);
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

  function unreachableMessage(blocked) {
    if (blocked) {
      return `your browser blocks this site from reaching the translation server on your computer (${settings.server}): `
        + 'its "Local network access" permission is not allowed. Click the icon left of the address bar, then Site '
        + 'settings, set "Local network access" to Allow and reload the page';
    }
    return `cannot reach the translation server at ${settings.server} (is xhs-translate serve running?)`;
  }

  function serverDown(status, data, blocked) {
    failures += 1;
    const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (failures - 1));
    retryAt = Date.now() + delay;
    const why = status === 0 ? unreachableMessage(blocked) : `the translation server said: ${serverError(status, data)}`;
    showNotice(`${why}; retrying in ${Math.round(delay / 1000)} s`);
    setTimeout(schedule, delay + 50);
  }

  // --- the scan -------------------------------------------------------------------------------------------
  /** The texts to send now: shown, in a note on screen, not translated for the current target yet. */
  function collect() {
    const jobs = [];
    for (const el of textElements()) {
      if (!visible(el)) continue;
      const job = extract(el);
      if (upToDate(el, job.text)) continue;
      if (el.dataset.xhsTranslate || state.has(el)) reset(el);
      if (!hasWords(job.text, job.prefix) && job.tags.length === 0) {
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
    let items = 0;
    let chars = 0;
    for (const job of jobs) {
      const size = 1 + job.tags.length;
      if (current.length && (items + size > MAX_ITEMS || chars + job.text.length > MAX_CHARS)) {
        out.push(current);
        current = [];
        items = 0;
        chars = 0;
      }
      current.push(job);
      items += size;
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
        addComposerButtons();
        if (!settings.on || Date.now() < retryAt) return;
        const target = settings.target;
        for (const batch of batches(collect())) {
          if (!(await send(batch, target))) return;
        }
        addComposerButtons();
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
    if (target && target.closest(`.${NAME}, .${NAME}-ui, .${NAME}-notice, .${NAME}-compose`)) return true;
    const nodes = [...m.addedNodes, ...m.removedNodes];
    return nodes.length > 0 && nodes.every(isOurs);
  }

  // --- the reply composer ---------------------------------------------------------------------------------
  /** The language of the note on screen: what the server detected in its description or title (translated or
   * already in the reader's language), else Chinese, the site's. */
  function noteLanguage() {
    for (const selector of [SITE.description, SITE.title]) {
      const el = document.querySelector(selector);
      const known = el && state.get(el);
      if (known && TARGET_NAMES[known.detected]) return known.detected;
    }
    return 'zh-Hans';
  }

  function composerLabel(button) {
    button.textContent = `译 → ${TARGET_NAMES[noteLanguage()]}`;
    button.title = 'xhs-translate: translate your draft into the note\'s language (you still send it yourself)';
  }

  function setDraft(box, nodes) {
    box.replaceChildren(...nodes);
    box.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertReplacementText' }));
  }

  /** One button beside each comment box: the draft into the note's language, in the box, with the original kept
   * beside it and an Undo. It only edits the draft: sending stays the site's own button. */
  function addComposerButtons() {
    for (const box of document.querySelectorAll(SITE.composer)) {
      if (box.querySelector(SITE.composer)) continue; // the outer one of a nested pair: the inner one holds the draft
      const next = box.nextElementSibling;
      if (next && next.classList.contains(`${NAME}-compose`)) {
        composerLabel(next.firstChild); // the note's language may be known by now
        continue;
      }
      const bar = document.createElement('div');
      bar.className = `${NAME}-compose`;
      const button = document.createElement('button');
      button.type = 'button';
      button.className = `${NAME}-compose-go`;
      const original = document.createElement('div');
      original.className = `${NAME}-compose-original`;
      original.hidden = true;
      const undo = document.createElement('button');
      undo.type = 'button';
      undo.className = `${NAME}-compose-undo`;
      undo.textContent = 'Undo';
      undo.hidden = true;
      let kept = null; // the draft's own nodes, for Undo
      composerLabel(button);
      button.addEventListener('click', async (event) => {
        event.preventDefault();
        event.stopPropagation();
        const target = noteLanguage();
        const job = extract(box);
        if (!hasWords(job.text, job.prefix)) return;
        button.disabled = true;
        try {
          const { status, data, blocked } = await translateTexts([job.text], target);
          if (status !== 200 || !data) {
            original.textContent = status === 0 ? unreachableMessage(blocked) : `the server refused: ${serverError(status, data)}`;
            original.hidden = false;
            return;
          }
          const translated = data.translatedText[0];
          if (translated === job.text) {
            original.textContent = 'Already in the note\'s language.';
            original.hidden = false;
            return;
          }
          kept = [...box.childNodes].map((n) => n.cloneNode(true));
          setDraft(box, translationNodes(job, translated, null));
          const said = job.prefix === null ? job.text : job.text.replace(new RegExp(`\\[${job.prefix}(\\d+)\\]`, 'g'),
            (code, index) => (job.keep[Number(index)] ? job.keep[Number(index)].textContent : code));
          original.textContent = `${data.demo === true ? 'DEMO translation (gibberish). ' : ''}Original: ${said}`;
          original.hidden = false;
          undo.hidden = false;
        } finally {
          button.disabled = false;
        }
      });
      undo.addEventListener('click', (event) => {
        event.preventDefault();
        event.stopPropagation();
        if (kept) setDraft(box, kept);
        kept = null;
        undo.hidden = true;
        original.hidden = true;
      });
      bar.append(button, undo, original);
      box.after(bar);
    }
  }

  // --- the page furniture: style, toggle, notice ----------------------------------------------------------
  const STYLE = `
.${NAME} { margin: 4px 0 2px; padding-left: 8px; border-left: 2px solid #ff2442; opacity: .85;
  white-space: pre-wrap; overflow-wrap: anywhere; font-size: .95em; line-height: 1.45; }
.${NAME}[data-demo]::before { content: 'DEMO'; margin-right: 6px; padding: 0 4px; border-radius: 3px;
  background: #9a1b1b; color: #fff; font: 600 10px/1.6 system-ui, sans-serif; vertical-align: 1px; }
.${NAME} img { height: 1.25em; width: auto; vertical-align: text-bottom; }
html.${NAME}-off .${NAME}, html.${NAME}-off .${NAME}-compose { display: none; }
.${NAME}-ui, .${NAME}-notice { position: fixed; z-index: 2147483646; font: 12px/1.4 system-ui, sans-serif;
  color: #333; background: rgba(255,255,255,.94); border: 1px solid #ddd; border-radius: 16px;
  box-shadow: 0 1px 4px rgba(0,0,0,.12); }
.${NAME}-ui { right: 12px; bottom: 12px; display: flex; align-items: center; gap: 6px; padding: 3px 8px; }
.${NAME}-ui label { display: flex; align-items: center; gap: 4px; cursor: pointer; }
.${NAME}-ui select { font: inherit; border: 0; background: transparent; }
.${NAME}-demo { background: #9a1b1b; color: #fff; border-radius: 3px; padding: 0 4px; font-weight: 600; }
.${NAME}-demo[hidden] { display: none; }
.${NAME}-notice { left: 12px; bottom: 12px; max-width: min(420px, calc(100vw - 24px)); padding: 6px 10px;
  border-radius: 8px; display: flex; gap: 8px; align-items: flex-start; }
.${NAME}-notice[hidden] { display: none; }
.${NAME}-notice button { font: inherit; border: 0; background: transparent; cursor: pointer; padding: 0 2px; }
.${NAME}-compose { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 4px 0;
  font: 12px/1.4 system-ui, sans-serif; color: #666; }
.${NAME}-compose button { font: inherit; border: 1px solid #ddd; border-radius: 10px; background: #fff;
  padding: 1px 8px; cursor: pointer; }
.${NAME}-compose [hidden] { display: none; }
.${NAME}-compose-original { flex-basis: 100%; overflow-wrap: anywhere; }
`;

  function addStyle() {
    const style = document.createElement('style');
    style.className = `${NAME}-style`;
    style.textContent = STYLE;
    (document.head || document.documentElement).append(style);
  }

  let ui = null;

  /** A labelled checkbox of the switch bar, showing and saving one boolean setting. */
  function settingBox(key, text, title, onChange) {
    const label = document.createElement('label');
    label.title = title;
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.className = `${NAME}-${key}`;
    box.checked = settings[key];
    label.append(box, text);
    box.addEventListener('change', () => {
      settings[key] = box.checked;
      saveSettings();
      onChange();
    });
    return label;
  }

  function addToggle() {
    ui = document.createElement('div');
    ui.className = `${NAME}-ui`;
    const label = settingBox('on', '译', 'xhs-translate: translate notes and comments with your own server', applySwitch);
    const select = document.createElement('select');
    select.setAttribute('aria-label', 'Translate into');
    for (const [code, text] of Object.entries(TARGETS)) select.append(new Option(text, code, false, code === settings.target));
    const cardsLabel = settingBox('cards', 'cards', 'Also translate the titles of feed and search result cards', schedule);
    const demo = document.createElement('span');
    demo.className = `${NAME}-demo`;
    demo.textContent = 'DEMO';
    demo.title = DEMO_NOTICE;
    demo.hidden = !demoSeen;
    select.addEventListener('change', () => {
      settings.target = select.value;
      saveSettings();
      schedule(); // every text is out of date now: the scan replaces the translations
    });
    ui.append(label, select, cardsLabel, demo);
    document.body.append(ui);
    document.documentElement.classList.toggle(`${NAME}-off`, !settings.on);
  }

  function applySwitch() {
    document.documentElement.classList.toggle(`${NAME}-off`, !settings.on);
    if (ui) {
      ui.querySelector(`.${NAME}-on`).checked = settings.on;
      ui.querySelector('select').value = settings.target;
      ui.querySelector(`.${NAME}-cards`).checked = settings.cards;
    }
    if (settings.on) schedule();
  }

  function showDemo() {
    demoSeen = true;
    const badge = ui && ui.querySelector(`.${NAME}-demo`);
    if (badge) badge.hidden = false;
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
  async function start() {
    settings = await loadSettings();
    addStyle();
    addToggle();
    new MutationObserver((mutations) => {
      if (!mutations.every(ourMutation)) schedule();
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
    // Navigation between notes without a page load: the page swaps its DOM (seen above) and its address. The
    // address is compared, never hooked: a userscript manager's sandbox or an extension's isolated world has a
    // history object of its own, so a pushState patch there never sees the page's calls.
    let href = location.href;
    setInterval(() => {
      if (location.href !== href) {
        href = location.href;
        schedule();
      }
    }, LOCATION_MS);
    window.addEventListener('popstate', schedule);
    if (EXTENSION) { // the options page changed something: take it at once
      chrome.storage.onChanged.addListener(async () => {
        const target = settings.target;
        settings = await loadSettings();
        applySwitch();
        if (target !== settings.target) schedule();
      });
    }
    schedule();
  }

  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start, { once: true });
})();
