/*
 * The options page: server address, API key, target language, on/off per site, card titles. Kept in
 * chrome.storage.local, which the content script reads (and follows at once when it changes).
 */
'use strict';

const DEFAULT_SERVER = 'http://127.0.0.1:5000';
const SITES = ['www.xiaohongshu.com', 'www.rednote.com'];
const $ = (id) => document.getElementById(id);

function defaultTarget() {
  const lang = (navigator.language || 'en').toLowerCase();
  if (!lang.startsWith('zh')) return 'en';
  return /^zh-(hant|tw|hk|mo)/.test(lang) ? 'zh-Hant' : 'zh-Hans';
}

function say(text, bad = false) {
  $('status').textContent = text;
  $('status').className = bad ? 'bad' : '';
}

async function load() {
  const saved = await chrome.storage.local.get(null);
  $('server').value = saved.server || DEFAULT_SERVER;
  $('apiKey').value = saved.apiKey || '';
  $('target').value = saved.target || defaultTarget();
  for (const site of SITES) $(`site-${site}`).checked = (saved.sites || {})[site] !== false;
  $('cards').checked = saved.cards === true;
}

/** The server's origin, or null for an address that is not http(s). */
function originOf(address) {
  try {
    const url = new URL(address);
    return /^https?:$/.test(url.protocol) ? url.origin : null;
  } catch (e) {
    return null;
  }
}

/** Ask for the host permission of a server that is not on this machine (the manifest grants 127.0.0.1 and
 * localhost only); must run in the Save click. */
async function permitted(origin) {
  const origins = [`${origin}/*`];
  if (await chrome.permissions.contains({ origins })) return true;
  try {
    return await chrome.permissions.request({ origins });
  } catch (e) {
    return false;
  }
}

async function save(event) {
  event.preventDefault();
  const server = $('server').value.trim().replace(/\/+$/, '');
  const origin = originOf(server);
  if (!origin) {
    say('The server address must start with http:// or https://', true);
    return;
  }
  if (!(await permitted(origin))) {
    say(`Not saved: the extension needs your permission to reach ${origin}.`, true);
    return;
  }
  const sites = Object.fromEntries(SITES.map((site) => [site, $(`site-${site}`).checked]));
  await chrome.storage.local.set({ server, apiKey: $('apiKey').value.trim(), target: $('target').value, sites,
    cards: $('cards').checked });
  say('Saved. Open pages follow at once.');
}

async function check() {
  const server = $('server').value.trim().replace(/\/+$/, '');
  try {
    const health = await (await fetch(`${server}/health`, { cache: 'no-store', credentials: 'omit' })).json();
    const demo = health.demo ? ` ${health.demo}` : '';
    say(`The server answers: ${health.status}, models ${(health.models || []).join(', ') || 'none'}.${demo}`, !!health.demo);
  } catch (e) {
    say(`Cannot reach ${server}: is xhs-translate serve running? (Or save first if it is not on this machine.)`, true);
  }
}

$('options').addEventListener('submit', save);
$('check').addEventListener('click', check);
load();
