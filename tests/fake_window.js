// shim.js in Node, in a fake window that looks like one engine family: the way adapter.js
// is unit-tested. Reads a JSON list of scenarios on stdin and prints one result each:
//   {family, userAgent, options, scripts: [{path, report}], without, loads, repeatInstalls}  ->
//   {family, prefixes, window, navigator, element, scripts: [{report} | {error}],
//    changed?, secondLoad?, secondCalls?} or, when shim.js threw, {shimError, changed}
// `family` picks the engine's own features (what shim.js tells families apart by);
// `scripts` run after the shim, as a page's would, and `report` is an expression read
// afterwards (what a library concluded about the browser). The rest tests the install
// functions themselves:
// - `without` lists engine features to take out of the fake window first ('AudioContext',
//   'HTMLMediaElement.prototype.srcObject', ...; [] for none); `changed` then says, for each of the
//   window's own objects that shim.js may patch, which of its properties shim.js added or
//   replaced (or null when the window has no such object).
// - `loads: 2` loads shim.js a second time; `secondLoad` lists what that changed.
// - `repeatInstalls` runs each call of the install sequence at the bottom of shim.js twice
//   in a row; `secondCalls` maps each install function to what its second call changed.
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
  // Its own, so that what shim.js does to URL's statics stays in this window.
  class WindowURL extends URL {}
  const quiet = { log() {}, info() {}, warn() {}, error() {}, debug() {} };
  const window = {
    Navigator, navigator: new Navigator(), HTMLMediaElement, HTMLElement, AudioContext, WebSocket,
    URL: WindowURL, Blob, EventTarget, Event, DOMException, TextEncoder, TextDecoder, crypto, performance,
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

// Take a feature out of the window: 'AudioContext', or a member such as
// 'HTMLMediaElement.prototype.srcObject'.
function remove(window, feature) {
  const path = feature.split('.');
  const name = path.pop();
  const holder = path.reduce((object, key) => object[key], window);
  if (!delete holder[name]) throw new Error(`cannot remove ${feature}`);
}

function ownNames(object, pattern) {
  return Object.getOwnPropertyNames(object).filter((name) => pattern.test(name)).sort();
}

// The objects of the window's own that shim.js may patch, by the name results give them.
const PATCHABLE = {
  window: (window) => window,
  navigator: (window) => window.Navigator && window.Navigator.prototype,
  element: (window) => window.HTMLMediaElement && window.HTMLMediaElement.prototype,
  audioContext: (window) => window.AudioContext && window.AudioContext.prototype,
  url: (window) => window.URL,
};

// Every property the page can reach in one step from the window: the window's own, and
// those of each object and function it holds, of each function's prototype, and of
// rtcshim.native, as lines "holder.key: what it holds". Objects are told apart by
// identity (the same object keeps its number for the whole run), so that a property
// given a new function, even one alike, counts as changed.
function snapshot(window, identities) {
  const id = (value) => {
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null) {
      return JSON.stringify(String(value));
    }
    if (!identities.has(value)) identities.set(value, identities.size);
    return `#${identities.get(value)}`;
  };
  const lines = new Set();
  const describe = (holderName, holder) => {
    for (const key of Reflect.ownKeys(holder)) {
      const { value, get, set, writable, enumerable, configurable } = Object.getOwnPropertyDescriptor(holder, key);
      const held = get || set ? `get ${id(get)} set ${id(set)}` : `value ${id(value)} writable ${writable}`;
      lines.add(`${holderName}.${String(key)}: ${held} enumerable ${enumerable} configurable ${configurable}`);
    }
  };
  describe('window', window);
  for (const name of Reflect.ownKeys(window)) {
    const { value } = Object.getOwnPropertyDescriptor(window, name);
    if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
      describe(String(name), value);
      if (typeof value === 'function' && value.prototype) describe(`${String(name)}.prototype`, value.prototype);
    }
  }
  if (window.rtcshim && window.rtcshim.native) describe('rtcshim.native', window.rtcshim.native);
  return lines;
}

function difference(before, after) {
  return [...after].filter((line) => !before.has(line))
    .concat([...before].filter((line) => !after.has(line)).map((line) => `gone: ${line}`)).sort();
}

// Which properties of each patchable object shim.js added or replaced.
function changedBy(window, load) {
  const before = Object.fromEntries(Object.entries(PATCHABLE).map(([name, find]) => {
    const object = find(window);
    return [name, object && new Map(Reflect.ownKeys(object).map((key) => [key, Object.getOwnPropertyDescriptor(object, key)]))];
  }));
  try {
    load();
    return { changed: changedSince(window, before) };
  } catch (error) {
    return { shimError: `${error.name}: ${error.message}`, changed: changedSince(window, before) };
  }
}

function changedSince(window, before) {
  const same = (a, b) => a && b && ['value', 'get', 'set', 'writable', 'enumerable', 'configurable']
    .every((field) => a[field] === b[field]);
  return Object.fromEntries(Object.entries(PATCHABLE).map(([name, find]) => {
    const object = find(window);
    if (!object) return [name, null];
    const keys = Reflect.ownKeys(object).filter((key) => !same(before[name].get(key), Object.getOwnPropertyDescriptor(object, key)));
    return [name, keys.map(String).sort()];
  }));
}

// Each call of the install sequence (the lines `  installX(window);` at the bottom of
// shim.js) made twice, with a snapshot before and after the second call.
function withInstallsRepeated(source) {
  return source.replace(/^  (install\w+)\(window\);$/gm, (call, name) => [
    call, `  __fakeWindow.beforeSecondCall('${name}');`, call, `  __fakeWindow.afterSecondCall('${name}');`,
  ].join('\n'));
}

function run({ family, userAgent, options, scripts = [], without, loads = 1, repeatInstalls = false }) {
  const window = fakeWindow(family, userAgent);
  if (options) window.rtcshimOptions = options;
  (without || []).forEach((feature) => remove(window, feature));
  const identities = new Map();
  const secondCalls = {};
  let beforeSecondCall = null;
  Object.defineProperty(window, '__fakeWindow', {
    value: {
      beforeSecondCall: () => { beforeSecondCall = snapshot(window, identities); },
      afterSecondCall: (name) => { secondCalls[name] = difference(beforeSecondCall, snapshot(window, identities)); },
    },
  });
  const context = vm.createContext(window);
  const source = repeatInstalls ? withInstallsRepeated(SHIM) : SHIM;
  const loaded = changedBy(window, () => vm.runInContext(source, context, { filename: 'shim.js' }));
  if (loaded.shimError) {
    return loaded;
  }
  const prefixed = /^(webkit|moz|ms)[A-Z]/;
  const result = {
    family: window.rtcshim.family,
    prefixes: [...window.rtcshim.prefixes],
    window: ownNames(window, prefixed).filter((name) => !(name in FEATURES[family].globals)),
    navigator: window.Navigator ? ownNames(window.Navigator.prototype, prefixed) : null,
    element: window.HTMLMediaElement ? ownNames(window.HTMLMediaElement.prototype, prefixed) : null,
    scripts: [],
  };
  if (without) result.changed = loaded.changed;
  if (repeatInstalls) result.secondCalls = secondCalls;
  if (loads === 2) {
    const first = snapshot(window, identities);
    vm.runInContext(SHIM, context, { filename: 'shim.js' });
    result.secondLoad = difference(first, snapshot(window, identities));
  }
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
// Timers a library started at load must not keep Node running: exit once the results are out.
process.stdout.write(JSON.stringify(scenarios.map(run)), () => process.exit(0));
