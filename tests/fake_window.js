// shim.js in Node, in a fake window that looks like one engine family: the way adapter.js
// is unit-tested. Reads a JSON list of scenarios on stdin and prints one result each:
//   {family, userAgent, options, scripts: [{path, report}]}  ->
//   {family, prefixes, window, navigator, element, scripts: [{report} | {error}]}
// `family` picks the engine's own features (what shim.js tells families apart by);
// `scripts` run after the shim, as a page's would, and `report` is an expression read
// afterwards (what a library concluded about the browser).
'use strict';

const fs = require('fs');
const path = require('path');
const vm = require('vm');

const SHIM = fs.readFileSync(path.join(__dirname, '..', 'shim.js'), 'utf8');

// What each engine has of its own and no other engine has (see engineFamily in shim.js).
const FEATURES = {
  gecko: { globals: { mozInnerScreenX: 0 }, css: ['-moz-appearance', '-webkit-appearance'] },
  blink: { globals: { chrome: {}, webkitRequestFileSystem() {} }, css: ['-webkit-appearance'] },
  webkit: { globals: {}, css: ['-webkit-appearance'] },
  other: { globals: {}, css: [] },
};

// A socket that never opens: detection code may construct a peer connection at load.
class WebSocket extends EventTarget {
  constructor(url) { super(); this.url = url; this.readyState = 0; }
  send() {}
  close() {}
}

function fakeWindow(family, userAgent) {
  class Navigator {
    get userAgent() { return userAgent; }
    get platform() { return 'Linux x86_64'; }
  }
  class HTMLMediaElement {}
  for (const name of ['srcObject', 'src']) {
    Object.defineProperty(HTMLMediaElement.prototype, name, { get() { return null; }, set() {}, configurable: true });
  }
  class HTMLElement {}
  class AudioContext { createMediaStreamSource() {} }
  const quiet = { log() {}, info() {}, warn() {}, error() {}, debug() {} };
  const window = {
    Navigator, navigator: new Navigator(), HTMLMediaElement, HTMLElement, AudioContext, WebSocket,
    URL, Blob, EventTarget, Event, DOMException, TextEncoder, TextDecoder, crypto, performance,
    setTimeout, clearTimeout, setInterval, clearInterval, console: quiet,
    document: { currentScript: null, addEventListener() {}, createElement: () => ({ style: {} }) },
    location: { href: 'http://127.0.0.1:8765/', protocol: 'http:', origin: 'http://127.0.0.1:8765' },
    CSS: { supports: (property) => FEATURES[family].css.includes(property) },
    ...FEATURES[family].globals,
  };
  window.window = window;
  window.self = window;
  return window;
}

function ownNames(object, pattern) {
  return Object.getOwnPropertyNames(object).filter((name) => pattern.test(name)).sort();
}

function run({ family, userAgent, options, scripts = [] }) {
  const window = fakeWindow(family, userAgent);
  if (options) window.rtcshimOptions = options;
  const context = vm.createContext(window);
  vm.runInContext(SHIM, context, { filename: 'shim.js' });
  const prefixed = /^(webkit|moz|ms)[A-Z]/;
  const result = {
    family: window.rtcshim.family,
    prefixes: [...window.rtcshim.prefixes],
    window: ownNames(window, prefixed).filter((name) => !(name in FEATURES[family].globals)),
    navigator: ownNames(window.Navigator.prototype, prefixed),
    element: ownNames(window.HTMLMediaElement.prototype, prefixed),
    scripts: [],
  };
  for (const script of scripts) {
    try {
      vm.runInContext(fs.readFileSync(script.path, 'utf8'), context, { filename: script.path });
      result.scripts.push({ report: vm.runInContext(`(${script.report})`, context) });
    } catch (error) {
      result.scripts.push({ error: `${error.name}: ${error.message}` });
    }
  }
  return result;
}

const scenarios = JSON.parse(fs.readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(scenarios.map(run)));
// Timers a library started at load must not keep Node running.
process.exit(0);
