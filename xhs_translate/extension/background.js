/*
 * xhs-translate's background worker (Chromium's service worker, Firefox's background script). The content script
 * (the userscript's own source, built with the extension platform) hands it POST /translate bodies; it sends them to
 * the server of the options page, which its host permissions allow (127.0.0.1 and localhost; another address only
 * once the user granted it on the options page). Nothing else is fetched, and no code is loaded from anywhere.
 */
'use strict';

const DEFAULT_SERVER = 'http://127.0.0.1:5000';
const PATHS = new Set(['/translate']); // all the content script may ask for

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  if (sender.id !== chrome.runtime.id || !message || message.type !== 'xhs-translate' || !PATHS.has(message.path)
      || typeof message.body !== 'string') {
    return false;
  }
  (async () => {
    const { server } = await chrome.storage.local.get('server');
    const base = (server || DEFAULT_SERVER).replace(/\/+$/, '');
    try {
      const response = await fetch(base + message.path, {
        method: 'POST', body: message.body, headers: { 'Content-Type': 'application/json' },
        credentials: 'omit', cache: 'no-store',
      });
      sendResponse({ status: response.status, text: await response.text() });
    } catch (e) {
      sendResponse({ status: 0, text: '' }); // unreachable: the content script says so and retries later
    }
  })();
  return true; // the answer comes asynchronously
});

chrome.runtime.onInstalled.addListener((details) => {
  if (details.reason === 'install') chrome.runtime.openOptionsPage();
});
